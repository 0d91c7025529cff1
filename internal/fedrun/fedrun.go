// Package fedrun starts and stops real fsc-node processes on loopback: the
// example federation for `make demo`, and federations on free ports for the
// integration tests and benchmarks. It is not part of the node.
package fedrun

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one running fsc-node process.
type Proc struct {
	Name string // member name, or the dev node's URL
	URL  string // client API URL
	Log  string // file holding the process's stderr
	cmd  *exec.Cmd
	done chan error
}

// Start runs the fsc-node binary with args, writing its log to logFile, and
// waits until url answers /healthz (or the process exits, or 15 s pass).
func Start(bin, name, url, logFile string, args ...string) (*Proc, error) {
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Proc{Name: name, URL: url, Log: logFile, cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-p.done:
			p.done <- err
			tail, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("%s exited before it was ready (%v):\n%s", name, err, tail)
		default:
		}
		if Healthy(url) {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("%s did not answer %s/healthz within 15 s (log: %s)", name, url, logFile)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Healthy reports whether url answers /healthz with 200.
func Healthy(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop asks the process to stop (SIGTERM) and waits up to 10 s, then kills it.
func (p *Proc) Stop() error {
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(10 * time.Second):
		p.Kill()
		return errors.New(p.Name + " did not stop within 10 s and was killed")
	}
}

// Kill kills the process at once, as a crash would.
func (p *Proc) Kill() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// RSSMB returns the process's resident set size in MB (Linux), or -1.
func (p *Proc) RSSMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

// FreePorts returns n TCP ports on 127.0.0.1 that were free a moment ago,
// outside the ephemeral range.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries == 1000 {
			return nil, fmt.Errorf("no %d free ports in %d..%d", n, portsFrom, portsTo-1)
		}
		p := portsFrom + rand.IntN(portsTo-portsFrom)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue // taken
		}
		ls = append(ls, l)
		ports = append(ports, p)
	}
	return ports, nil
}

// Ports are chosen below Linux's ephemeral range (32768–60999): a port in
// it can be taken by an outgoing connection's source port, or by a socket
// connected to itself, while its node restarts.
const portsFrom, portsTo = 20000, 32000

// Federation is a set of federation members running as processes.
type Federation struct {
	Dir   string  // folder holding the configs, certificates, logs and audit logs
	Nodes []*Proc // in federation order
}

// Stop stops every node.
func (f *Federation) Stop() {
	for _, p := range f.Nodes {
		_ = p.Stop()
	}
}

// URLs returns the client API URLs of the nodes.
func (f *Federation) URLs() []string {
	out := make([]string, len(f.Nodes))
	for i, p := range f.Nodes {
		out[i] = p.URL
	}
	return out
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:(15[56]0[1-3])`)

// CopyExample copies the example federation's configs from exampleDir into
// dir, moving every port to a free one and every data file to its absolute
// path under dataDir (exampleDir/data for the committed CSVs), so that
// several federations can run at once. It returns the config files in
// federation order.
func CopyExample(exampleDir, dataDir, dir string) ([]string, error) {
	ports, err := FreePorts(6)
	if err != nil {
		return nil, err
	}
	fixed := []string{"15501", "15502", "15503", "15601", "15602", "15603"}
	remap := map[string]string{}
	for i, p := range fixed {
		remap[p] = fmt.Sprint(ports[i])
	}
	absData, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	var configs []string
	for _, f := range []string{"federation.toml", "hospital-a.toml", "hospital-b.toml", "hospital-c.toml"} {
		b, err := os.ReadFile(filepath.Join(exampleDir, f))
		if err != nil {
			return nil, err
		}
		moved := 0
		s := portRE.ReplaceAllStringFunc(string(b), func(m string) string {
			moved++
			return "127.0.0.1:" + remap[m[len("127.0.0.1:"):]]
		})
		if moved == 0 {
			return nil, fmt.Errorf("%s: none of the example ports %v found", f, fixed)
		}
		s = strings.ReplaceAll(s, `"data/`, `"`+absData+`/`)
		out := filepath.Join(dir, f)
		if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
			return nil, err
		}
		if f != "federation.toml" {
			configs = append(configs, out)
		}
	}
	return configs, nil
}

// StartConfigs starts one member per config file and waits until all are
// ready. Member names and URLs are read from the configs.
func StartConfigs(bin string, configs []string, logDir string) (*Federation, error) {
	f := &Federation{Dir: filepath.Dir(configs[0])}
	type started struct {
		p   *Proc
		err error
	}
	results := make([]chan started, len(configs))
	for i, c := range configs {
		results[i] = make(chan started, 1)
		go func() {
			name, listen, err := readNameListen(c)
			if err != nil {
				results[i] <- started{nil, err}
				return
			}
			p, err := Start(bin, name, "http://"+listen, filepath.Join(logDir, name+".log"), "--config", c)
			results[i] <- started{p, err}
		}()
	}
	var errs []error
	for _, ch := range results {
		r := <-ch
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		f.Nodes = append(f.Nodes, r.p)
	}
	if len(errs) > 0 {
		f.Stop()
		return nil, errors.Join(errs...)
	}
	return f, nil
}

var nameRE = regexp.MustCompile(`(?m)^name\s*=\s*"([^"]+)"`)
var listenRE = regexp.MustCompile(`(?m)^listen\s*=\s*"([^"]+)"`)

func readNameListen(config string) (name, listen string, err error) {
	b, err := os.ReadFile(config)
	if err != nil {
		return "", "", err
	}
	n, l := nameRE.FindSubmatch(b), listenRE.FindSubmatch(b)
	if n == nil || l == nil {
		return "", "", fmt.Errorf("%s: no name or listen", config)
	}
	return string(n[1]), string(l[1]), nil
}

// BuildNode builds the fsc-node binary into dir and returns its path;
// module is the path from the caller's folder to the module root.
func BuildNode(dir, module string) (string, error) { return Build(dir, module, "fsc-node") }

// Build builds the command cmd/name of the module into dir.
func Build(dir, module, name string) (string, error) {
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = module
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", name, err, out)
	}
	return bin, nil
}

// StartExample starts the example federation from exampleDir on free
// ports, with its configs, certificates and logs in dir.
func StartExample(bin, exampleDir, dir string) (*Federation, error) {
	configs, err := CopyExample(exampleDir, filepath.Join(exampleDir, "data"), dir)
	if err != nil {
		return nil, err
	}
	return StartConfigs(bin, configs, dir)
}
