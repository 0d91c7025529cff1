package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// Tests order the events of a computation by waiting for a state the
// nodes show (a computation's status, an owner's list, an audit line),
// never by sleeping: on a loaded machine a sleep is either too short and
// the test flakes, or it hides that the event never came. awaitTimeout
// bounds each wait generously; a test that reaches it fails naming what it
// waited for.
const awaitTimeout = 30 * time.Second

// pollEvery is how often a wait looks at the state again.
const pollEvery = 20 * time.Millisecond

// awaitWaitingFor waits until the computation id, running at the node at
// url, reports that it waits for exactly the parties want (any order):
// the node has waited on each of them for a while (see progress.go), and
// has heard from every other party.
func awaitWaitingFor(t testing.TB, url, id string, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	awaitStatus(t, url, id, fmt.Sprintf("waiting for %q", want), func(st *client.Status) bool {
		return slices.Equal(slices.Sorted(slices.Values(st.WaitingFor)), want)
	})
}

// awaitStatus waits until the status of the computation id at the node at
// url is one that ok accepts; what says what the test waits for.
func awaitStatus(t testing.TB, url, id, what string, ok func(*client.Status) bool) {
	t.Helper()
	var st *client.Status
	var err error
	for deadline := time.Now().Add(awaitTimeout); time.Now().Before(deadline); time.Sleep(pollEvery) {
		if st, err = client.New(url).Status(context.Background(), id); err == nil && ok(st) {
			return
		}
	}
	t.Fatalf("computation %s at %s: status %+v, %v after %v; want it %s", id, url, st, err, awaitTimeout, what)
}

// auditOf reads the complete lines of node's audit log in a federation
// folder (a line being written is left for the next look).
func auditOf(t testing.TB, dir, node string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, ".local", node+"-audit.jsonl"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	raw = raw[:bytes.LastIndexByte(raw, '\n')+1]
	var out []map[string]any
	for line := range strings.Lines(string(raw)) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s audit log: %v in %q", node, err, line)
		}
		out = append(out, e)
	}
	return out
}

// awaitAuditLine waits until node's audit log holds a line that match
// accepts, and returns the last such line; what says what the line is.
func awaitAuditLine(t testing.TB, dir, node, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	var lines []map[string]any
	for deadline := time.Now().Add(awaitTimeout); time.Now().Before(deadline); time.Sleep(pollEvery) {
		lines = auditOf(t, dir, node)
		for i := len(lines) - 1; i >= 0; i-- {
			if match(lines[i]) {
				return lines[i]
			}
		}
	}
	t.Fatalf("%s: no audit line of %s after %v; its lines: %v", node, what, awaitTimeout, lines)
	return nil
}

// ofSession matches the audit lines of one session.
func ofSession(session any) func(map[string]any) bool {
	return func(e map[string]any) bool { return e["session"] == session }
}
