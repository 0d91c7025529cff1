package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
)

// workerEnv makes this test binary a worker speaking its value's language.
const workerEnv = "FSC_WORKER_TEST_LANGUAGE"

func TestMain(m *testing.M) {
	if lang := os.Getenv(workerEnv); lang != "" {
		signal.Ignore(os.Interrupt)
		start := python.Start
		if lang == "lua" {
			start = lua.Start
		}
		// No node answers here: these tests run cells that do not ask one.
		err := Serve(start, "http://127.0.0.1:1", "", os.Stdin, os.Stdout)
		if err != nil && !errors.Is(err, ErrAbandoned) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// captured is what a worker's cells showed.
type captured struct {
	mu  sync.Mutex
	out strings.Builder
	got chan struct{} // signalled on each write to stdout
}

func (c *captured) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitFor waits until stdout holds s.
func (c *captured) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(c.text(), s) {
		select {
		case <-c.got:
		case <-deadline:
			t.Fatalf("stdout never showed %q; it holds %q", s, c.text())
		}
	}
}

func start(t *testing.T, lang string) (*Worker, *captured) {
	t.Helper()
	c := &captured{got: make(chan struct{}, 1)}
	out := script.Output{Stdout: func(s string) {
		c.mu.Lock()
		c.out.WriteString(s)
		c.mu.Unlock()
		select {
		case c.got <- struct{}{}:
		default:
		}
	}}
	w, err := Start(out, func() *exec.Cmd {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), workerEnv+"="+lang)
		return cmd
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w, c
}

// languages are the cells each test runs, in each language.
var languages = []struct {
	name                             string
	set, get, loop, builtin, unbound string
}{
	{"python", "x = 41", "x + 1", "print('started')\nwhile True: pass",
		"print('started')\ny = 7**(10**8)", "x"},
	{"lua", "x = 41", "x + 1", "print('started')\nwhile true do end",
		`print('started')
string.find(string.rep("a", 60), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b")`, "x.y"},
}

func execute(t *testing.T, w *Worker, code string) map[string]string {
	t.Helper()
	mime, err := w.Execute(context.Background(), code)
	if err != nil {
		t.Fatalf("%q: %v", code, err)
	}
	return mime
}

func TestCellsKeepState(t *testing.T) {
	for _, l := range languages {
		t.Run(l.name, func(t *testing.T) {
			w, c := start(t, l.name)
			if w.Language().Name != l.name {
				t.Fatalf("language %q", w.Language().Name)
			}
			execute(t, w, l.set)
			execute(t, w, "print('hello')")
			if got := execute(t, w, l.get)["text/plain"]; got != "42" {
				t.Fatalf("%s = %q, want 42", l.get, got)
			}
			if c.text() != "hello\n" {
				t.Fatalf("stdout %q", c.text())
			}
		})
	}
}

func TestErrorsKeepTheirKind(t *testing.T) {
	w, _ := start(t, "python")
	_, err := w.Execute(context.Background(), "fsc.table('patients').count()")
	var se *script.Error
	if !errors.As(err, &se) || se.Kind != script.UnreachableError {
		t.Fatalf("err %#v, want an UnreachableError (no node runs here)", err)
	}
	_, err = w.Execute(context.Background(), "1/0")
	if !errors.As(err, &se) || se.Kind != "ZeroDivisionError" {
		t.Fatalf("err %#v, want ZeroDivisionError", err)
	}
}

// interrupt runs code, waits for it to print "started", and cancels it.
func interrupt(t *testing.T, w *Worker, c *captured, code string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := w.Execute(ctx, code)
		errc <- err
	}()
	c.waitFor(t, "started")
	cancel()
	select {
	case err := <-errc:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupted cell never returned")
	}
	return nil
}

func TestInterruptKeepsTheSession(t *testing.T) {
	for _, l := range languages {
		t.Run(l.name, func(t *testing.T) {
			w, c := start(t, l.name)
			execute(t, w, l.set)
			before := w.p
			if err := interrupt(t, w, c, l.loop); !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want an interrupt", err)
			}
			if got := execute(t, w, l.get)["text/plain"]; got != "42" {
				t.Fatalf("after the interrupt %s = %q, want 42", l.get, got)
			}
			if w.p != before {
				t.Fatal("the worker was replaced although its cell stopped")
			}
		})
	}
}

// A cell inside one long builtin call ignores the interrupt; its worker
// process is stopped, so nothing keeps computing it, and the next cell
// runs in a fresh session.
func TestLongBuiltinStopsItsProcess(t *testing.T) {
	for _, l := range languages {
		t.Run(l.name, func(t *testing.T) {
			w, c := start(t, l.name)
			execute(t, w, l.set)
			old := w.p
			err := interrupt(t, w, c, l.builtin)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want an interrupt", err)
			}
			select {
			case <-old.dead:
			case <-time.After(30 * time.Second):
				t.Fatalf("the worker running the abandoned builtin is still alive (err %v, output %q)", err, c.text())
			}
			if !strings.Contains(c.text(), "restarted and its variables are lost") {
				t.Fatalf("the output does not say the session restarted: %q", c.text())
			}
			if _, err := w.Execute(context.Background(), l.unbound); err == nil {
				t.Fatalf("%s still works: the session was not fresh", l.unbound)
			}
			if got := execute(t, w, "1 + 1")["text/plain"]; got != "2" {
				t.Fatalf("1 + 1 = %q in the fresh session", got)
			}
			if w.p == old {
				t.Fatal("the fresh session runs in the old worker")
			}
		})
	}
}

// A worker killed under a running cell costs that cell and the session's
// variables, not the kernel: the cell says so, and the next one runs.
func TestWorkerDeathIsReported(t *testing.T) {
	w, c := start(t, "python")
	execute(t, w, "x = 41")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := w.Execute(ctx, "print('started')\nwhile True: pass")
		errc <- err
	}()
	c.waitFor(t, "started")
	w.p.kill()
	err := <-errc
	var se *script.Error
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "ended unexpectedly") || !strings.Contains(se.Msg, "killed") {
		t.Fatalf("err %v, want the session's end explained", err)
	}
	if _, err := w.Execute(context.Background(), "x"); err == nil {
		t.Fatal("x survived the worker's death")
	}
	if got := execute(t, w, "2 * 21")["text/plain"]; got != "42" {
		t.Fatalf("2 * 21 = %q after a restart", got)
	}
}

func TestIntrospectionCrossesThePipe(t *testing.T) {
	w, _ := start(t, "python")
	execute(t, w, "patients_total = 3")
	matches, s, e := w.Complete("patients_t", 10)
	if len(matches) == 0 || matches[0] != "patients_total" || s != 0 || e != 10 {
		t.Fatalf("Complete = %v %d %d", matches, s, e)
	}
	if doc, found := w.Inspect("fsc.table", 9); !found || !strings.Contains(doc, "table") {
		t.Fatalf("Inspect = %q %v", doc, found)
	}
	if status, indent := w.IsComplete("for i in range(3):"); status != "incomplete" || indent == "" {
		t.Fatalf("IsComplete = %q %q", status, indent)
	}
}

func TestCloseStopsTheWorker(t *testing.T) {
	w, c := start(t, "lua")
	p := w.p
	go w.Execute(context.Background(), "print('started')\nwhile true do end")
	c.waitFor(t, "started")
	w.Close()
	select {
	case <-p.dead:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker outlived Close")
	}
	if _, err := w.Execute(context.Background(), "x = 1"); err == nil {
		t.Fatal("a closed session ran a cell")
	}
}

func TestTailFindsTheFatalLine(t *testing.T) {
	var sink strings.Builder
	tl := newTail(&sink)
	in := "runtime: goroutine stack exceeds 1000000000-byte limit\nfatal error: stack ov" + "erflow\n\n" + strings.Repeat("goroutine 1 [running]:\n", 5000) + "panic: later\n"
	for i := 0; i < len(in); i += 7 {
		tl.Write([]byte(in[i:min(i+7, len(in))]))
	}
	if got := tl.fatal(); got != "fatal error: stack overflow" {
		t.Fatalf("fatal = %q", got)
	}
	if sink.String() != in {
		t.Fatal("stderr was not passed on whole")
	}
	long := newTail(&strings.Builder{})
	long.Write([]byte(strings.Repeat("x", 10*maxLine) + "\npanic: boom\n"))
	if got := long.fatal(); got != "panic: boom" {
		t.Fatalf("after a long line, fatal = %q", got)
	}
}

// A worker whose host is gone (its stdin ends) exits, also in the middle
// of a long builtin call.
func TestWorkerOutlivesNoHost(t *testing.T) {
	w, c := start(t, "python")
	p := w.p
	go w.Execute(context.Background(), "print('started')\ny = 7 ** (10 ** 8)")
	c.waitFor(t, "started")
	p.in.Close()
	select {
	case <-p.dead:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker outlived its host")
	}
}

// A worker that dies between cells is replaced at the next cell, which
// says that the session is fresh.
func TestDeathBetweenCellsIsSaid(t *testing.T) {
	w, c := start(t, "lua")
	execute(t, w, "x = 41")
	old := w.p
	old.kill()
	<-old.dead
	if _, err := w.Execute(context.Background(), "x.y = 1"); err == nil {
		t.Fatal("x survived its worker")
	}
	if !strings.Contains(c.text(), "had ended") || !strings.Contains(c.text(), "fresh session") {
		t.Fatalf("the next cell did not say the session was fresh: %q", c.text())
	}
	execute(t, w, "print('again')")
	if strings.Count(c.text(), "had ended") != 1 {
		t.Fatalf("the notice came more than once: %q", c.text())
	}
}
