// Package node is the fsc-node server: the FSC-compatible REST API for a
// data owner's analysts, the peer API for the other federation members,
// the datasets the node holds, its disclosure policy and its audit log. It
// runs computations on the mpc engine; it is not the engine.
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// Version is the version of fsc-node.
const Version = "0.1.0"

// Node is one federation member (or a development node on loopback).
type Node struct {
	cfg  *Config
	log  *slog.Logger
	self string // this node's party name: member name, or its URL in development mode

	hub       *mpc.Hub
	transport *mpc.HTTPTransport
	pins      *mpc.Pins
	peers     map[string]*http.Client // member -> mutual TLS client
	devClient *http.Client
	identity  tls.Certificate

	datasets map[string]*stats.Table
	idents   map[string]map[string]bool // table -> identifier-like column -> not even in a filter
	index    map[string]*rowIndex
	memory   *releaseMemory
	tokens   map[string]string // bearer token -> analyst name
	store    *store
	audit    *auditLog

	approvals  *approvals    // queries waiting for the owner
	progress   progressBoard // computations their clients follow
	ownerToken string        // the owner's credential (owner.go)

	serviceID, computeID string

	wg sync.WaitGroup // member computations running in the background
	// base is the context of every request and computation; shutdown
	// cancels it once running requests have had their moment.
	base    context.Context
	stopAll context.CancelFunc
}

// Shutdown bounds: running requests get requestGrace to finish, then every
// computation is cancelled and gets computeGrace to wind down; a node
// stops within their sum whatever it was doing.
const (
	requestGrace = time.Second
	computeGrace = 4 * time.Second
)

// DevConfig returns the configuration of `fsc-node --port PORT`: one
// loopback port for clients and peers, no datasets, loopback peers only,
// unauthenticated.
func DevConfig(port int) *Config {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return &Config{
		Name:   "http://" + addr,
		Listen: addr,
		Dev:    true,
		Policy: Policy{MinCell: 5, MaxInputs: 10_000_000, MaxQuantiles: 20, RowsPerParameter: 3, LevelDensity: 0.33, MaxReleases: 100_000,
			ApprovalTimeout: Duration{DefaultApprovalTimeout}},
		Timeout: Duration{30 * time.Second},
	}
}

// New prepares a node: it loads the datasets (a bad file stops it), the
// analysts' tokens, the TLS identity and the audit log.
func New(cfg *Config, log *slog.Logger) (*Node, error) {
	n := &Node{
		cfg: cfg, log: log, self: cfg.Name,
		datasets: map[string]*stats.Table{},
		idents:   map[string]map[string]bool{},
		index:    map[string]*rowIndex{},
		tokens:   map[string]string{},
		store:    newStore(10*time.Minute, 10000),
	}
	n.base, n.stopAll = context.WithCancel(context.Background())
	if cfg.Dev {
		n.self = normalizeURL(cfg.Name)
	}
	var err error
	n.serviceID, err = n.store.put(&object{kind: kindService}, true)
	if err != nil {
		return nil, err
	}
	n.computeID, err = n.store.put(&object{kind: kindMember, name: "compute"}, true)
	if err != nil {
		return nil, err
	}
	for name, ds := range cfg.Datasets {
		t, err := stats.LoadCSV(ds.File, name)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", name, err)
		}
		n.datasets[name] = t
		n.index[name] = newRowIndex(t)
		if err := buildGram(t); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", name, err)
		}
		log.Info("dataset loaded", "table", name, "rows", t.Rows, "columns", len(t.Columns), "file", ds.File)
	}
	settleMemory()
	sizes := map[string]int{}
	for name, t := range n.datasets {
		if n.idents[name], err = identifierColumns(t, cfg.Datasets[name].Identifiers, cfg.Policy.LevelDensity); err != nil {
			return nil, configError(cfg.File, "datasets."+name+".identifiers", "%v", err)
		}
		sizes[name] = t.Rows
	}
	if !cfg.Dev {
		if n.memory, err = openReleaseMemory(cfg.State, sizes, cfg.Policy.MinCell, cfg.Policy.MaxReleases); err != nil {
			return nil, err
		}
		if err := n.writeOwnerToken(); err != nil {
			return nil, err
		}
	}
	n.approvals = newApprovals(cfg.Policy.ApprovalTimeout.Duration, n.auditDropped)
	if err := n.loadTokens(); err != nil {
		return nil, err
	}
	n.hub = mpc.NewHub(n.self)
	n.transport = &mpc.HTTPTransport{Endpoint: n.peerEndpoint, Client: n.peerClient}
	if cfg.Dev {
		n.devClient = mpc.PeerHTTPClient(nil)
	} else {
		if err := ensureIdentity(cfg); err != nil {
			return nil, err
		}
		n.identity, err = tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key)
		if err != nil {
			return nil, configError(cfg.File, "tls", "load %s and %s: %v", cfg.TLS.Cert, cfg.TLS.Key, err)
		}
		certs := map[string]string{}
		for _, m := range cfg.Members {
			certs[m.Name] = m.Cert
		}
		n.pins = mpc.NewPins(certs)
		n.peers = map[string]*http.Client{}
		for _, m := range cfg.Members {
			if m.Name != n.self {
				n.peers[m.Name] = mpc.PeerHTTPClient(&http.Transport{TLSClientConfig: mpc.ClientTLS(n.identity, n.pins, m.Name)})
			}
		}
	}
	if n.audit, err = openAudit(cfg.Audit); err != nil && !cfg.Dev {
		return nil, err
	}
	if cfg.Dev {
		n.audit = nil // a development node keeps no audit log: it holds no data
	}
	return n, nil
}

// Name returns the node's party name.
func (n *Node) Name() string { return n.self }

func (n *Node) member(name string) (Member, bool) {
	for _, m := range n.cfg.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

func (n *Node) peerEndpoint(party string) (string, error) {
	if n.cfg.Dev {
		return party, nil // in development mode a party is named by its URL
	}
	m, ok := n.member(party)
	if !ok {
		return "", fmt.Errorf("%s is not a federation member", party)
	}
	return m.Peer, nil
}

func (n *Node) peerClient(party string) *http.Client {
	if n.cfg.Dev {
		return n.devClient
	}
	return n.peers[party]
}

// Serve listens and serves until ctx ends, then shuts down cleanly: it
// stops accepting requests and waits (up to a few seconds) for running ones.
func (n *Node) Serve(ctx context.Context) error {
	var servers []*http.Server
	errc := make(chan error, 2)
	start := func(addr string, h http.Handler, tlsCfg *tls.Config, what string) error {
		ln, err := net.Listen("tcp", addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s API: port %s is already in use by another process (another fsc-node?): stop it or choose another port", what, addr)
		}
		if err != nil {
			return fmt.Errorf("%s API: listen on %s: %w", what, addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			BaseContext: func(net.Listener) context.Context { return n.base },
			ErrorLog:    slog.NewLogLogger(n.log.Handler(), slog.LevelDebug)}
		if tlsCfg != nil {
			ln = tls.NewListener(ln, tlsCfg)
		}
		servers = append(servers, srv)
		n.log.Info("listening", "api", what, "addr", ln.Addr().String(), "tls", tlsCfg != nil)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		return nil
	}
	if n.cfg.Dev {
		mux := http.NewServeMux()
		mux.Handle("/peer/", browserGuard(n.peerRoutes()))
		mux.Handle("/", n.clientRoutes())
		if err := start(n.cfg.Listen, mux, nil, "client+peer"); err != nil {
			return err
		}
		n.log.Warn("development mode: one loopback port for clients and peers; peers are NOT authenticated and only loopback nodes may join networks", "url", n.self)
	} else {
		var clientTLS *tls.Config
		if n.cfg.ClientTLS != nil {
			cert, err := tls.LoadX509KeyPair(n.cfg.ClientTLS.Cert, n.cfg.ClientTLS.Key)
			if err != nil {
				return configError(n.cfg.File, "client_tls", "%v", err)
			}
			clientTLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		}
		// The peer API first: once the client API answers (/healthz), the
		// node takes part in computations.
		if err := start(n.cfg.PeerListen, browserGuard(n.peerRoutes()), mpc.ServerTLS(n.identity, n.pins), "peer"); err != nil {
			return err
		}
		if err := start(n.cfg.Listen, n.clientRoutes(), clientTLS, "client"); err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			return err
		}
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// Running requests get a moment to finish; then every computation is
	// cancelled, connections are closed, and the node waits a bounded time
	// for its computations to notice.
	shutdown, cancel := context.WithTimeout(context.Background(), requestGrace)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() { _ = s.Shutdown(shutdown) })
	}
	wg.Wait()
	n.stopAll()
	n.transport.Close()
	for _, s := range servers {
		_ = s.Close()
	}
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(computeGrace):
		n.log.Warn("stopping with computations still running", "waited", computeGrace)
	}
	if n.audit != nil {
		_ = n.audit.close()
	}
	if n.memory != nil {
		n.memory.close()
	}
	return err
}

// isLoopback reports whether a request comes from this machine.
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (n *Node) handleInfo(w http.ResponseWriter, r *http.Request) {
	if _, err := decodeBody(w, r); err != nil {
		writeError(w, err)
		return
	}
	type column struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	datasets := map[string]any{}
	for name, t := range n.datasets {
		cols := []column{}
		for _, c := range t.Columns {
			cols = append(cols, column{c.Name, c.Kind.String()})
		}
		datasets[name] = map[string]any{"columns": cols}
	}
	members := []map[string]string{}
	for _, m := range n.cfg.Members {
		members = append(members, map[string]string{"name": m.Name, "api": m.API})
	}
	mode := "federation"
	if n.cfg.Dev {
		mode = "development"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": n.self, "version": Version, "mode": mode, "members": members, "datasets": datasets,
		"policy":         map[string]any{"min_cell": n.cfg.Policy.MinCell, "auto_join": n.cfg.Policy.AutoJoin},
		"microprotocols": n.allowedMicroprotocols(),
	})
}

func (n *Node) allowedMicroprotocols() []string {
	if len(n.cfg.Policy.Microprotocols) == 0 {
		return microprotocolNames()
	}
	out := slices.Clone(n.cfg.Policy.Microprotocols)
	slices.Sort(out)
	return out
}

func (n *Node) allows(mp string) bool {
	return len(n.cfg.Policy.Microprotocols) == 0 || slices.Contains(n.cfg.Policy.Microprotocols, mp)
}

func (n *Node) writeAudit(e auditEntry) {
	if n.audit == nil {
		return
	}
	e.Node = n.self
	if e.Opened == nil {
		e.Opened = []any{}
	}
	if err := n.audit.write(e); err != nil {
		n.log.Error("audit log write failed", "err", err)
	}
}
