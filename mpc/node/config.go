package node

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// Config is a node's configuration, read from TOML (DESIGN §4). Paths in it
// are resolved against the folder of the file they were read from.
type Config struct {
	File       string                   `toml:"-"`
	Name       string                   `toml:"name"`
	Listen     string                   `toml:"listen"`
	PeerListen string                   `toml:"peer_listen"`
	Federation string                   `toml:"federation"`
	TLS        TLSConfig                `toml:"tls"`
	ClientTLS  *TLSConfig               `toml:"client_tls"`
	Datasets   map[string]DatasetConfig `toml:"datasets"`
	Policy     Policy                   `toml:"policy"`
	Audit      string                   `toml:"audit"`
	Timeout    Duration                 `toml:"timeout"`
	// State is the folder where the node keeps what must survive a restart:
	// its release memory (default: NAME-state beside the config file).
	State string `toml:"state"`

	// Dev marks the zero-config loopback mode of `fsc-node --port`.
	Dev bool `toml:"-"`
	// Members are the federation's members, read from Federation.
	Members []Member `toml:"-"`
}

// TLSConfig names a certificate and its key.
type TLSConfig struct {
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// Generate creates the key and a self-signed certificate on first
	// start when both files are missing (for demo federations).
	Generate bool `toml:"generate"`
}

// DatasetConfig registers one table.
type DatasetConfig struct {
	File string `toml:"file"`
	// Identifiers are columns that name a person (a patient id): never in
	// a where, a frequency, a crosstab or a group.
	Identifiers []string `toml:"identifiers"`
}

// Policy is a node's disclosure policy over the data it holds.
type Policy struct {
	// MinCell: no released count, cell or cohort below it (default 5).
	MinCell int `toml:"min_cell"`
	// AutoJoin answers other members' dataset queries without a person
	// (default false: each query waits for the owner's approval, given
	// with `fsc-node approve`). The node's own analysts need no approval.
	AutoJoin bool `toml:"auto_join"`
	// ApprovalTimeout is how long a query waits for the owner's approval
	// before it is refused (default 10m), and, at a member that accepted,
	// how long it waits for another member's owner.
	ApprovalTimeout Duration `toml:"approval_timeout"`
	// Analysts lists sources of bearer tokens ("token-file:PATH") that
	// non-loopback clients must present.
	Analysts []string `toml:"analysts"`
	// Microprotocols, when not empty, is the list of microprotocols this
	// node takes part in; any other is refused.
	Microprotocols []string `toml:"microprotocols"`
	// MaxQuantiles caps the probabilities one quantile query may ask for
	// (default 20).
	MaxQuantiles int `toml:"max_quantiles"`
	// MaxInputs bounds the number of values one client-supplied input may
	// hold (default 10,000,000).
	MaxInputs int `toml:"max_inputs"`
	// Extremes allows minimum and maximum of node-held data (default
	// false: an extreme is one patient's value).
	Extremes bool `toml:"extremes"`
	// RowsPerParameter: a statistic that releases p linked aggregates
	// needs at least RowsPerParameter·p of this node's rows in its cohort
	// (default 3; DataSHIELD's nfilter.glm 0.33 is its inverse).
	RowsPerParameter float64 `toml:"rows_per_parameter"`
	// LevelDensity: a categorical column whose distinct values exceed this
	// share of its rows counts as an identifier (default 0.33, DataSHIELD's
	// nfilter.levels.density).
	LevelDensity float64 `toml:"level_density"`
	// MaxReleases caps the row sets the release memory keeps per table
	// (default 100,000); when it is full, new releases are refused.
	MaxReleases int `toml:"max_releases"`
	// Origins lists the web origins (scheme://host:port) whose pages may
	// call the client API, e.g. a page serving the FSC JavaScript client;
	// a request from any other browser origin is refused (default none).
	Origins []string `toml:"origins"`
}

// Bounds of policy.approval_timeout.
const (
	DefaultApprovalTimeout = 10 * time.Minute
	MaxApprovalTimeout     = 24 * time.Hour
)

// Member is one federation member, as the federation file lists it.
type Member struct {
	Name string `toml:"name"`
	API  string `toml:"api"`  // client API URL, as FSC networks name the node
	Peer string `toml:"peer"` // peer API URL (https, mutual TLS)
	Cert string `toml:"cert"` // pinned certificate file
}

// Duration is a time.Duration written as "30s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration such as "30s" or "2m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration like \"30s\": %q", b)
	}
	if v <= 0 {
		return fmt.Errorf("must be positive, got %q", b)
	}
	d.Duration = v
	return nil
}

type federationFile struct {
	Members []Member `toml:"member"`
}

// configError names the file and the key that is wrong.
func configError(file, key, format string, args ...any) error {
	if key == "" {
		return fmt.Errorf("%s: %s", file, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%s: %s: %s", file, key, fmt.Sprintf(format, args...))
}

// LoadConfig reads and checks a node configuration and its federation file.
// Errors name the file, the key and what is wrong.
func LoadConfig(path string) (*Config, error) {
	cfg := &Config{File: path}
	md, err := decodeTOML(path, cfg)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if cfg.Name == "" {
		return nil, configError(path, "name", "missing: every node needs a name")
	}
	if err := checkHostPort(cfg.Listen); err != nil {
		return nil, configError(path, "listen", "%v", err)
	}
	if cfg.Policy.MinCell == 0 && !md.IsDefined("policy", "min_cell") {
		cfg.Policy.MinCell = 5
	}
	if cfg.Policy.MinCell < 1 {
		return nil, configError(path, "policy.min_cell", "must be at least 1, got %d", cfg.Policy.MinCell)
	}
	if cfg.Policy.MaxQuantiles == 0 {
		cfg.Policy.MaxQuantiles = 20
	}
	if cfg.Policy.MaxQuantiles < 1 {
		return nil, configError(path, "policy.max_quantiles", "must be at least 1, got %d", cfg.Policy.MaxQuantiles)
	}
	if cfg.Policy.MaxInputs == 0 {
		cfg.Policy.MaxInputs = 10_000_000
	}
	if err := defaultRules(&cfg.Policy, md.IsDefined, path); err != nil {
		return nil, err
	}
	for _, m := range cfg.Policy.Microprotocols {
		if _, ok := microprotocols[m]; !ok {
			return nil, configError(path, "policy.microprotocols", "unknown microprotocol %q", m)
		}
	}
	for i, a := range cfg.Policy.Analysts {
		f, ok := strings.CutPrefix(a, "token-file:")
		if !ok {
			return nil, configError(path, fmt.Sprintf("policy.analysts[%d]", i), "%q: expected \"token-file:PATH\"", a)
		}
		cfg.Policy.Analysts[i] = "token-file:" + abs(f)
	}
	if cfg.Timeout.Duration == 0 {
		cfg.Timeout.Duration = 30 * time.Second
	}
	if cfg.Policy.ApprovalTimeout.Duration == 0 {
		cfg.Policy.ApprovalTimeout.Duration = DefaultApprovalTimeout
	}
	if d := cfg.Policy.ApprovalTimeout.Duration; d < time.Second || d > MaxApprovalTimeout {
		return nil, configError(path, "policy.approval_timeout", "must be between 1s and %v, got %v", MaxApprovalTimeout, d)
	}
	for name, ds := range cfg.Datasets {
		if ds.File == "" {
			return nil, configError(path, "datasets."+name+".file", "missing")
		}
		ds.File = abs(ds.File)
		cfg.Datasets[name] = ds
	}
	if cfg.Audit == "" {
		cfg.Audit = cfg.Name + "-audit.jsonl"
	}
	cfg.Audit = abs(cfg.Audit)
	if cfg.State == "" {
		cfg.State = cfg.Name + "-state"
	}
	cfg.State = abs(cfg.State)
	if cfg.ClientTLS != nil {
		if cfg.ClientTLS.Cert == "" || cfg.ClientTLS.Key == "" {
			return nil, configError(path, "client_tls", "needs cert and key")
		}
		cfg.ClientTLS.Cert, cfg.ClientTLS.Key = abs(cfg.ClientTLS.Cert), abs(cfg.ClientTLS.Key)
	}
	if cfg.Federation == "" {
		return nil, configError(path, "federation", "missing: a configured node belongs to a federation (use --port for a node without one)")
	}
	if err := checkHostPort(cfg.PeerListen); err != nil {
		return nil, configError(path, "peer_listen", "%v", err)
	}
	if cfg.TLS.Cert == "" || cfg.TLS.Key == "" {
		return nil, configError(path, "tls", "needs cert and key (create them with `fsc-node init`)")
	}
	cfg.TLS.Cert, cfg.TLS.Key = abs(cfg.TLS.Cert), abs(cfg.TLS.Key)
	cfg.Federation = abs(cfg.Federation)
	if _, err := os.Stat(cfg.Federation); err != nil {
		return nil, configError(path, "federation", "%v", err)
	}
	members, err := loadFederation(cfg.Federation)
	if err != nil {
		return nil, err
	}
	cfg.Members = members
	found := false
	for _, m := range members {
		found = found || m.Name == cfg.Name
	}
	if !found {
		return nil, configError(cfg.Federation, "member", "%s is not a member of this federation", cfg.Name)
	}
	return cfg, nil
}

// defaultRules fills in the release rules' safe defaults and checks their
// ranges; defined says whether the file set a key.
func defaultRules(p *Policy, defined func(...string) bool, path string) error {
	if !defined("policy", "rows_per_parameter") {
		p.RowsPerParameter = 3
	}
	if !(p.RowsPerParameter >= 1) || p.RowsPerParameter > 1000 {
		return configError(path, "policy.rows_per_parameter", "must be between 1 and 1000, got %v", p.RowsPerParameter)
	}
	if !defined("policy", "level_density") {
		p.LevelDensity = 0.33
	}
	if !(p.LevelDensity > 0) || p.LevelDensity > 1 {
		return configError(path, "policy.level_density", "must be in (0, 1], got %v", p.LevelDensity)
	}
	if !defined("policy", "max_releases") {
		p.MaxReleases = 100_000
	}
	if p.MaxReleases < 1 || p.MaxReleases > 10_000_000 {
		return configError(path, "policy.max_releases", "must be between 1 and 10,000,000, got %d", p.MaxReleases)
	}
	for i, o := range p.Origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return configError(path, fmt.Sprintf("policy.origins[%d]", i), "%q: expected an origin like \"https://notebooks.example.org\" (scheme, host and port only)", o)
		}
		p.Origins[i] = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	}
	return nil
}

// decodeTOML reads a TOML file into v; errors name the file and the line,
// and a key v has no place for is an error.
func decodeTOML(path string, v any) (toml.MetaData, error) {
	md, err := toml.DecodeFile(path, v)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return md, configError(path, "", "line %d: %s", perr.Position.Line, perr.Message)
		}
		return md, configError(path, "", "%v", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return md, configError(path, und[0].String(), "unknown key")
	}
	return md, nil
}

func loadFederation(path string) ([]Member, error) {
	var f federationFile
	if _, err := decodeTOML(path, &f); err != nil {
		return nil, err
	}
	if len(f.Members) < 2 {
		return nil, configError(path, "member", "a federation needs at least two members, found %d", len(f.Members))
	}
	seen := map[string]bool{}
	for i, m := range f.Members {
		key := fmt.Sprintf("member[%d]", i)
		if m.Name == "" {
			return nil, configError(path, key+".name", "missing")
		}
		if seen[m.Name] {
			return nil, configError(path, key+".name", "%s is listed twice", m.Name)
		}
		seen[m.Name] = true
		for _, u := range []struct{ key, val, scheme string }{{"api", m.API, ""}, {"peer", m.Peer, "https"}} {
			pu, err := url.Parse(u.val)
			if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
				return nil, configError(path, key+"."+u.key, "%q is not an http(s) URL", u.val)
			}
			if u.scheme != "" && pu.Scheme != u.scheme {
				return nil, configError(path, key+"."+u.key, "%q: peers talk over https (mutual TLS)", u.val)
			}
		}
		if m.Cert == "" {
			return nil, configError(path, key+".cert", "missing: every member's certificate is pinned")
		}
		if !filepath.IsAbs(m.Cert) {
			f.Members[i].Cert = filepath.Join(filepath.Dir(path), m.Cert)
		}
		f.Members[i].API = normalizeURL(m.API)
	}
	return f.Members, nil
}

func checkHostPort(addr string) error {
	if addr == "" {
		return errors.New("missing: expected host:port, e.g. \"127.0.0.1:15501\"")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	return nil
}

// normalizeURL gives one spelling to a node URL: lower-case scheme and host,
// localhost as 127.0.0.1, no trailing slash.
func normalizeURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return strings.TrimRight(s, "/")
	}
	host, port := u.Hostname(), u.Port()
	host = strings.ToLower(host)
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(host, port) + strings.TrimRight(u.Path, "/")
}

// ensureIdentity creates the node's key and certificate when the config
// asks for it and neither exists yet.
func ensureIdentity(cfg *Config) error {
	_, certErr := os.Stat(cfg.TLS.Cert)
	_, keyErr := os.Stat(cfg.TLS.Key)
	switch {
	case certErr == nil && keyErr == nil:
		return nil
	case os.IsNotExist(certErr) && os.IsNotExist(keyErr) && cfg.TLS.Generate:
		host, _, _ := net.SplitHostPort(cfg.PeerListen)
		return mpc.CreateIdentity(cfg.Name, cfg.TLS.Cert, cfg.TLS.Key, host)
	case certErr != nil:
		return configError(cfg.File, "tls.cert", "%v (create it with `fsc-node init`)", certErr)
	default:
		return configError(cfg.File, "tls.key", "%v (create it with `fsc-node init`)", keyErr)
	}
}
