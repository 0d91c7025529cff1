// Command fsc-node runs a federation member (or a development node on
// loopback) that serves the FSC REST API and computes with its peers.
//
//	fsc-node --port 15501                 development node on 127.0.0.1:15501
//	fsc-node --config hospital-a.toml     federation member
//	fsc-node init --config hospital-a.toml
//	fsc-node init --name hospital-a --cert a.crt --key a.key [--host HOST]
//	fsc-node pending --config hospital-a.toml [--json]
//	fsc-node approve --config hospital-a.toml ID
//	fsc-node deny --config hospital-a.toml ID
//	fsc-node version
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/fsc-kernel/fsc-kernel/internal/cli"
	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
)

func main() { cli.Exit("fsc-node", run(os.Args[1:])) }

const synopsis = `  fsc-node --port PORT [--timeout D] [-v]     a development node on 127.0.0.1:PORT
  fsc-node --config FILE [-v]                 a federation member
  fsc-node init --config FILE                 create the key and certificate FILE's [tls] names
  fsc-node init --name NAME --cert FILE --key FILE [--host HOST]
  fsc-node pending --config FILE [--json]     the queries waiting for your approval
  fsc-node approve --config FILE ID           approve one (auto_join = false)
  fsc-node deny --config FILE ID              deny one
  fsc-node version

"fsc-node init -h", "fsc-node pending -h" ... show each command's flags.`

func run(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return initIdentity(args[1:])
		case "pending":
			return pending(args[1:])
		case "approve", "deny":
			return decide(args[0], args[1:])
		case "version", "--version":
			fmt.Println("fsc-node", node.Version)
			return nil
		}
	}
	fs := cli.New("fsc-node", synopsis)
	port := fs.Int("port", 0, "run a development node on 127.0.0.1:`PORT` (no config, loopback peers only, unauthenticated)")
	config := fs.String("config", "", "run the federation member described by `FILE`")
	timeout := fs.Duration("timeout", 0, "with --port: how long to wait for any one peer message (default 30s)")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see fsc-node -h)", fs.Arg(0))
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	var cfg *node.Config
	switch {
	case *port != 0 && *config != "":
		return errors.New("give either --port or --config, not both")
	case *port != 0:
		if *port < 1 || *port > 65535 {
			return fmt.Errorf("--port %d: not a TCP port", *port)
		}
		cfg = node.DevConfig(*port)
		if *timeout > 0 {
			cfg.Timeout.Duration = *timeout
		}
	case *config != "":
		if *timeout != 0 {
			return errors.New("--timeout goes with --port; a configured node reads timeout from its config")
		}
		var err error
		if cfg, err = node.LoadConfig(*config); err != nil {
			return err
		}
	default:
		return errors.New("give --port PORT or --config FILE (see fsc-node -h)")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("node", cfg.Name)
	n, err := node.New(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := n.Serve(ctx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func initIdentity(args []string) error {
	fs := cli.New("fsc-node init", `  fsc-node init --config FILE
  fsc-node init --name NAME --cert FILE --key FILE [--host HOST]`)
	config := fs.String("config", "", "create the key and certificate that `FILE`'s [tls] names")
	name := fs.String("name", "", "member `NAME` (without --config)")
	cert := fs.String("cert", "", "certificate `FILE` to write (without --config)")
	key := fs.String("key", "", "key `FILE` to write (without --config)")
	host := fs.String("host", "", "extra host name or address for the certificate")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("init: unexpected argument %q (see fsc-node init -h)", fs.Arg(0))
	}
	if *config != "" {
		cfg, err := node.LoadConfig(*config)
		if err != nil {
			return err
		}
		*name, *cert, *key = cfg.Name, cfg.TLS.Cert, cfg.TLS.Key
	}
	if *name == "" || *cert == "" || *key == "" {
		return errors.New("init: give --config FILE, or --name, --cert and --key")
	}
	if err := mpc.CreateIdentity(*name, *cert, *key, *host); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fmt.Printf("created %s and %s for %s\nshare the certificate with the other members; they pin it in their federation file\n", *cert, *key, *name)
	return nil
}
