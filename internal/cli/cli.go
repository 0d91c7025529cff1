// Package cli parses the flags of the project's commands one way: -h and
// --help print the usage to standard output and succeed, and a bad flag
// is reported once, pointing to -h.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ErrHelped is returned by Parse after it printed the usage on request; the
// command then exits with status 0.
var ErrHelped = errors.New("usage printed")

// New returns a flag set whose usage is synopsis, then the flags.
func New(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage:\n%s\n", synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(fs.Output(), "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// Parse parses args into fs. It prints nothing itself on a bad flag: the
// error says what is wrong and where to look.
func Parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fs.Usage()
		return ErrHelped
	}
	if err != nil {
		return fmt.Errorf("%v (see %s -h)", err, fs.Name())
	}
	return nil
}

// IsHelp reports whether arg asks for help.
func IsHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// Exit ends a command: status 0 after ErrHelped or no error, otherwise the
// error once on standard error and status 1.
func Exit(command string, err error) {
	if err == nil || errors.Is(err, ErrHelped) {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", command, err)
	os.Exit(1)
}
