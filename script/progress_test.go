package script_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
)

// progressLog is an Output that keeps every progress text shown.
type progressLog struct {
	mu    sync.Mutex
	shown []string
	done  bool
}

func (p *progressLog) output() script.Output {
	return script.Output{
		Stdout:        func(string) {},
		ProgressAfter: 10 * time.Millisecond,
		Progress: func(text string, done bool) {
			p.mu.Lock()
			defer p.mu.Unlock()
			if done {
				p.done = true
				return
			}
			p.shown = append(p.shown, text)
		},
	}
}

// waitFor waits until a progress text holds want.
func (p *progressLog) waitFor(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		p.mu.Lock()
		for _, s := range p.shown {
			if strings.Contains(s, want) {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("progress shown %q, never %q", p.shown, want)
}

// federationWith starts the example federation with edit applied to each
// member's config text, keyed by file name.
func federationWith(t *testing.T, edit func(file, text string) string) *fedrun.Federation {
	t.Helper()
	dir := t.TempDir()
	configs, err := fedrun.CopyExample(exampleDir, filepath.Join(exampleDir, "data"), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c, []byte(edit(filepath.Base(c), string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fed, err := fedrun.StartConfigs(nodeBin, configs, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fed.Stop)
	return fed
}

// TestProgressNamesTheApprovalWaitedFor: while hospital-b's owner has yet
// to approve a query, the analyst's progress says so; approved, the
// statistic comes and the display ends.
func TestProgressNamesTheApprovalWaitedFor(t *testing.T) {
	fed := federationWith(t, func(file, text string) string {
		if file == "hospital-b.toml" {
			text = strings.Replace(text, "auto_join = true", "auto_join = false", 1)
		}
		return text
	})
	var log progressLog
	env := script.NewEnv(fed.Nodes[0].URL, "", log.output())
	l := lua.New(env)
	defer l.Close()
	type result struct {
		out string
		err error
	}
	got := make(chan result, 1)
	go func() {
		var out strings.Builder
		env.Out.Stdout = func(s string) { out.WriteString(s) }
		_, err := l.Execute(context.Background(), `print(fsc.table("patients"):count())`)
		got <- result{out.String(), err}
	}()
	log.waitFor(t, "computing the count — waiting for hospital-b's approval")

	config := filepath.Join(fed.Dir, "hospital-b.toml")
	out, err := exec.Command(nodeBin, "pending", "--config", config, "--json").Output()
	if err != nil {
		t.Fatalf("fsc-node pending: %v", err)
	}
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &list); err != nil || len(list) != 1 {
		t.Fatalf("pending: %v %s", err, out)
	}
	if out, err := exec.Command(nodeBin, "approve", "--config", config, list[0].ID).CombinedOutput(); err != nil {
		t.Fatalf("fsc-node approve: %v\n%s", err, out)
	}
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	all := pooled(t)
	if strings.TrimSpace(r.out) != strconv.Itoa(all.Rows) {
		t.Errorf("count printed %q, pooled rows %d", r.out, all.Rows)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if !log.done {
		t.Error("the progress display did not end")
	}
}
