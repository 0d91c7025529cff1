package kernel

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// Run is what `fsc-kernel kernel` does: it reads the connection file,
// binds the sockets, starts a runtime of language ("python" or "lua")
// whose fsc functions talk to the node at nodeURL with token, and serves
// until a shutdown_request arrives or ctx is done. SIGINT interrupts the
// running cell instead of stopping the kernel, as Jupyter expects. Run
// returns nil when the kernel was shut down or ctx ended.
func Run(ctx context.Context, language, connectionFile, nodeURL, token string, opts ...Option) error {
	conn, err := ReadConnection(connectionFile)
	if err != nil {
		return err
	}
	if language != "python" && language != "lua" {
		return fmt.Errorf("kernel: unknown language %q (python or lua)", language)
	}
	k, err := New(conn, opts...)
	if err != nil {
		return err
	}
	rt, err := newRuntime(language, script.NewEnv(nodeURL, token, k.Output()))
	if err != nil {
		k.Close()
		return err
	}
	defer rt.Close()

	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	defer signal.Stop(sigint)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-sigint:
				k.Interrupt()
			case <-done:
				return
			}
		}
	}()
	return k.Serve(ctx, rt)
}

// newRuntime starts the runtime of a language.
func newRuntime(language string, env *script.Env) (script.Runtime, error) {
	if language == "lua" {
		return script.NewLua(env), nil
	}
	return script.NewPython(env)
}
