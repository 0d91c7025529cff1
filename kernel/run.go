package kernel

import (
	"context"
	"os"
	"os/signal"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// Run is what `fsc-kernel kernel` does: it reads the connection file,
// binds the sockets, starts a runtime with start, whose fsc functions talk
// to the node at nodeURL with token, and serves until a shutdown_request
// arrives or ctx is done. SIGINT interrupts the running cell instead of
// stopping the kernel, as Jupyter expects. Run returns nil when the kernel
// was shut down or ctx ended.
func Run(ctx context.Context, start func(*script.Env) (script.Runtime, error), connectionFile, nodeURL, token string, opts ...Option) error {
	conn, err := ReadConnection(connectionFile)
	if err != nil {
		return err
	}
	k, err := New(conn, opts...)
	if err != nil {
		return err
	}
	rt, err := start(script.NewEnv(nodeURL, token, k.Output()))
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
