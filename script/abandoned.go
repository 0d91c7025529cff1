package script

// Abandoned is the error of a cancelled cell that did not stop within its
// grace because it was inside one long builtin call: its runtime went on in
// a fresh interpreter, and the old one still runs until that call returns.
// Its text is the cancellation's, so it reads as an interrupt; a host that
// can stop the old interpreter (the kernel's worker process) checks for it
// with errors.As.
type Abandoned struct{ Err error }

func (a *Abandoned) Error() string { return a.Err.Error() }

// Unwrap returns the cancellation.
func (a *Abandoned) Unwrap() error { return a.Err }
