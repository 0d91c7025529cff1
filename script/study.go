package script

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Report is what `fsc-kernel run` writes: the study's named results and
// where they came from.
type Report struct {
	// Status is "ok" when the study ran to its end, else "failed", with
	// the typed error that stopped it in Error.
	Status     string         `json:"status"`
	Error      string         `json:"error,omitempty"`
	Results    map[string]any `json:"results"`
	Provenance Provenance     `json:"provenance"`
}

// Provenance records the script, when it ran, against which node and
// federation, and every computation with its microprotocol and parameters.
type Provenance struct {
	Script       string        `json:"script"`
	SHA256       string        `json:"script_sha256"`
	Started      string        `json:"started"`
	Finished     string        `json:"finished"`
	Node         NodeInfo      `json:"node"`
	Members      []NodeInfo    `json:"members"`
	Computations []Computation `json:"computations"`
}

// NodeInfo names a node.
type NodeInfo struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	Version string `json:"version,omitempty"`
}

// Start starts a runtime of one language bound to env; the bindings
// (script/python, script/lua) each provide one.
type Start func(env *Env) (Runtime, error)

// RunStudy runs a study against the node at url and returns its report.
// The study's file extension picks its language in starts (".lua", ".py":
// whichever languages the caller offers). Output goes to out as it
// arrives.
func RunStudy(ctx context.Context, path string, starts map[string]Start, url, token string, out Output) (*Report, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	start, ok := starts[filepath.Ext(path)]
	if !ok {
		exts := slices.Sorted(maps.Keys(starts))
		return nil, fmt.Errorf("%s: a study is a script of one of %s", path, strings.Join(exts, ", "))
	}
	env := NewEnv(url, token, out)
	rt, err := start(env)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	info, err := env.Client.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", url, err)
	}
	started := time.Now().UTC()
	_, runErr := rt.Execute(ctx, string(src))
	results, _, computations := env.Results()
	sum := sha256.Sum256(src)
	rep := &Report{Results: results, Provenance: Provenance{
		Script: filepath.Base(path), SHA256: hex.EncodeToString(sum[:]),
		Started: started.Format(time.RFC3339Nano), Finished: time.Now().UTC().Format(time.RFC3339Nano),
		Node:         NodeInfo{Name: info.Name, URL: url, Version: info.Version},
		Computations: computations,
	}}
	for _, m := range info.Members {
		rep.Provenance.Members = append(rep.Provenance.Members, NodeInfo{Name: m.Name, URL: m.API})
	}
	runErr = inStudy(runErr, filepath.Base(path))
	rep.Status = "ok"
	if runErr != nil {
		rep.Status, rep.Error = "failed", runErr.Error()
	}
	return rep, runErr
}

var (
	luaChunkLine = regexp.MustCompile(`\bcell:(\d+)`)
	pyLine       = regexp.MustCompile(`\(line (\d+)\)`)
)

// inStudy names the study file where a runtime's error names the cell:
// "cell:2:" becomes "pilot.lua:2:", "(line 2)" becomes "(pilot.py, line 2)".
func inStudy(err error, file string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	msg := luaChunkLine.ReplaceAllString(e.Msg, file+":$1")
	msg = pyLine.ReplaceAllString(msg, "("+file+", line $1)")
	return e.withMessage(strings.ReplaceAll(msg, "<cell>", file))
}

// Write writes the report as indented JSON.
func (r *Report) Write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
