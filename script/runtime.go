package script

import "context"

// Runtime runs cells of one language against an Env, keeping one
// namespace across cells. The Jupyter kernel and the study runner see only
// this interface.
type Runtime interface {
	// Execute runs a cell. When its last statement is an expression, its
	// value comes back as a MIME bundle (text/plain always, text/html or an
	// image for rich results); otherwise nil. Cancelling ctx stops the
	// cell. A DSL error comes back as *Error; any other error of the
	// language as *Error with the language's exception name as Kind.
	Execute(ctx context.Context, code string) (map[string]string, error)
	// Complete returns the names that complete code at cursor (counted in
	// Unicode code points) and the range [start, end) they replace.
	Complete(code string, cursor int) (matches []string, start, end int)
	// Inspect returns the documentation of the name at cursor.
	Inspect(code string, cursor int) (doc string, found bool)
	// IsComplete says whether code is "complete", "incomplete" (with the
	// indent the next line wants) or "invalid".
	IsComplete(code string) (status, indent string)
	// Language describes the language for kernel_info.
	Language() LanguageInfo
	// Close frees the runtime.
	Close()
}

// LanguageInfo is what a kernel reports of its language.
type LanguageInfo struct {
	Name, Version, Mimetype, FileExtension, PygmentsLexer, CodemirrorMode string
	// Exporter is nbconvert's exporter for the language's notebooks.
	Exporter string
	// Syntax and Example describe the language in the kernel's banner.
	Syntax, Example string
	// ManualText and ManualURL link the language's own manual.
	ManualText, ManualURL string
	// Interrupted names the error of an interrupted cell, as the language
	// names it (Python's KeyboardInterrupt).
	Interrupted string
}

// Display is how a value shows: its MIME bundle.
func Display(v any) map[string]string {
	if r, ok := v.(*Rich); ok {
		return r.MIME
	}
	return map[string]string{"text/plain": Repr(v)}
}
