package node_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// hospitals are the example federation's members, in federation order.
var hospitals = []string{"hospital-a", "hospital-b", "hospital-c"}

// siteCells counts, at each hospital, the rows of each cell that key puts
// them in (key returns "" for a row in no cell), within a filter.
func siteCells(t *testing.T, where string, key func(tab *stats.Table, i int) string) []map[string]int {
	t.Helper()
	out := make([]map[string]int, len(hospitals))
	for h, name := range hospitals {
		tab := site(t, name)
		rows := plainRows(t, tab, where)
		out[h] = map[string]int{}
		for i := range tab.Rows {
			if rows != nil && !rows[i] {
				continue
			}
			if k := key(tab, i); k != "" {
				out[h][k]++
			}
		}
	}
	return out
}

// label is the level of a categorical column at row i, "" when missing.
func label(t *testing.T, tab *stats.Table, column string, i int) string {
	c, err := tab.Column(column)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cat[i] < 0 {
		return ""
	}
	return c.Levels.At(int(c.Cat[i]))
}

// cellCheck compares one released table of counts with the plaintext: a
// cell whose pooled count is 1..minCell−1 must be null, every other cell
// (on a federation that has released nothing before: no member's memory
// flags anything) must show its pooled count. It returns the released
// counts and the number suppressed, and counts the cells released
// although some hospital holds 1..minCell−1 of their rows, which the old
// per-member rule suppressed.
func cellCheck(t *testing.T, what string, got map[string]any, sites []map[string]int) (released []float64, suppressed, memberSmall int) {
	t.Helper()
	const minCell = 5
	keys := map[string]bool{}
	for _, s := range sites {
		for k := range s {
			keys[k] = true
		}
	}
	for k := range got {
		keys[k] = true
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		pooled, small := 0, false
		for _, s := range sites {
			pooled += s[k]
			small = small || s[k] >= 1 && s[k] < minCell
		}
		v, shown := got[k]
		switch {
		case !shown && pooled > 0:
			t.Errorf("%s: cell %s (pooled %d) missing from the answer", what, k, pooled)
		case pooled >= 1 && pooled < minCell:
			if v != nil {
				t.Errorf("%s: cell %s released as %v although its pooled count %d is below min_cell", what, k, v, pooled)
			}
			suppressed++
		case shown && v == nil:
			t.Errorf("%s: cell %s suppressed although its pooled count is %d (per site %v)", what, k, pooled, perSite(sites, k))
		case shown && v != float64(pooled):
			t.Errorf("%s: cell %s = %v, want the pooled count %d", what, k, v, pooled)
		case shown:
			released = append(released, float64(pooled))
			if small {
				memberSmall++
			}
		}
	}
	return released, suppressed, memberSmall
}

func perSite(sites []map[string]int, k string) []int {
	out := make([]int, len(sites))
	for h, s := range sites {
		out[h] = s[k]
	}
	return out
}

// checkOpened asserts what each node's audit line of its last computation
// lists as opened: at every node one verdict a cell, "passes" or
// "suppressed", as many of each as the answer shows and hides; at the
// leader (hospital-a) then the released counts, and nothing else
// anywhere. counts is in the nodes' order of cells when ordered is true.
// Before the verdicts, frequencies and crosstabs open the union of the
// labels (its own protocol's values, not counts of the cells).
func checkOpened(t *testing.T, fed *fedrun.Federation, what string, lines int, counts []float64, suppressed int, ordered bool) {
	t.Helper()
	awaitAudit(t, fed.Dir, lines, hospitals...)
	for _, node := range hospitals {
		e := readAudit(t, fed, fed.Dir, node)[lines-1]
		opened, _ := e["opened"].([]any)
		if first := slices.IndexFunc(opened, func(v any) bool { return v == "passes" || v == "suppressed" }); first > 0 {
			opened = opened[first:]
		}
		cells := len(counts) + suppressed
		if len(opened) < cells {
			t.Errorf("%s: %s opened %v, want %d verdicts first", what, node, opened, cells)
			continue
		}
		pass, supp := 0, 0
		for _, v := range opened[:cells] {
			switch v {
			case "passes":
				pass++
			case "suppressed":
				supp++
			default:
				t.Errorf("%s: %s opened %v among the verdicts %v", what, node, v, opened[:cells])
			}
		}
		if pass != len(counts) || supp != suppressed {
			t.Errorf("%s: %s opened %d passes and %d suppressed, want %d and %d", what, node, pass, supp, len(counts), suppressed)
		}
		rest := opened[cells:]
		if node != "hospital-a" {
			if len(rest) != 0 {
				t.Errorf("%s: member %s opened %v beyond the verdicts", what, node, rest)
			}
			continue
		}
		got := make([]float64, len(rest))
		for i, v := range rest {
			got[i], _ = v.(float64)
		}
		want := slices.Clone(counts)
		if !ordered {
			slices.Sort(got)
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the leader opened %v after the verdicts, want the released counts %v", what, rest, counts)
		}
	}
}

// TestThresholdOnPooledCounts: tables of counts over three real nodes
// suppress a cell exactly when its pooled count is 1..min_cell−1 (each
// on a federation with an empty release memory): a cell in which one
// hospital holds 1 to 4 rows but that holds 5 or more in all is released
// with its pooled count, which the per-member rule suppressed. Every node
// opens one verdict a cell, and the leader the released counts only.
func TestThresholdOnPooledCounts(t *testing.T) {
	ctx := context.Background()
	t.Run("histogram", func(t *testing.T) {
		fed := startFederation(t, nil)
		c := client.New(fed.Nodes[0].URL)
		// [0, 40): empty in the cohort, released as 0; [94, 95): 3 at
		// hospital-b and 4 at c, released; [95, 120]: 3 at c, suppressed.
		// (Over the whole table, the total shown would be c's table less
		// 3 rows: refused, see TestDisclosureRulesOnStatistics.)
		edges := []float64{0, 40, 94, 95, 120}
		const where = "age >= 40"
		res, err := c.Compute(ctx, client.Request{Microprotocol: "Histogram", Dataset: &client.Dataset{Table: "patients", Column: "age", Where: where},
			Parameters: map[string]any{"edges": edges}})
		if err != nil {
			t.Fatal(err)
		}
		sites := siteCells(t, where, func(tab *stats.Table, i int) string {
			age, err := tab.NumericColumn("age")
			if err != nil {
				t.Fatal(err)
			}
			v := age.Num[i]
			for j := range len(edges) - 1 {
				if v >= edges[j] && (v < edges[j+1] || j == len(edges)-2 && v == edges[j+1]) {
					return fmt.Sprint(j)
				}
			}
			return ""
		})
		got := map[string]any{}
		for j, v := range res.Result["counts"].([]any) {
			got[fmt.Sprint(j)] = v
		}
		released, suppressed, memberSmall := cellCheck(t, "histogram", got, sites)
		if memberSmall == 0 || suppressed != 1 {
			t.Fatalf("histogram: %d released cells with a hospital's few rows, %d suppressed; the case wants 1 and 1", memberSmall, suppressed)
		}
		checkOpened(t, fed, "histogram", 1, released, suppressed, true)
	})
	t.Run("frequency", func(t *testing.T) {
		fed := startFederation(t, nil)
		c := client.New(fed.Nodes[0].URL)
		const where = "age >= 90"
		res, err := c.Compute(ctx, client.Request{Microprotocol: "StatisticsFrequency", Dataset: &client.Dataset{Table: "patients", Column: "response", Where: where}})
		if err != nil {
			t.Fatal(err)
		}
		sites := siteCells(t, where, func(tab *stats.Table, i int) string { return label(t, tab, "response", i) })
		released, suppressed, memberSmall := cellCheck(t, "frequency", res.Result["histogram"].(map[string]any), sites)
		if memberSmall == 0 || suppressed == 0 {
			t.Fatalf("frequency: %d released cells with a hospital's few rows, %d suppressed; the case wants both", memberSmall, suppressed)
		}
		checkOpened(t, fed, "frequency", 1, released, suppressed, false)
	})
	t.Run("crosstab", func(t *testing.T) {
		fed := startFederation(t, nil)
		c := client.New(fed.Nodes[0].URL)
		const where = "age >= 90"
		res, err := c.Compute(ctx, client.Request{Microprotocol: "StatisticsContingency", Dataset: &client.Dataset{Table: "patients", Columns: []string{"sex", "response"}, Where: where}})
		if err != nil {
			t.Fatal(err)
		}
		sites := siteCells(t, where, func(tab *stats.Table, i int) string {
			a, b := label(t, tab, "sex", i), label(t, tab, "response", i)
			if a == "" || b == "" {
				return ""
			}
			return a + "/" + b
		})
		got := map[string]any{}
		for a, row := range res.Result["table"].(map[string]any) {
			for b, v := range row.(map[string]any) {
				got[a+"/"+b] = v
			}
		}
		released, suppressed, memberSmall := cellCheck(t, "crosstab", got, sites)
		if memberSmall == 0 || suppressed == 0 {
			t.Fatalf("crosstab: %d released cells with a hospital's few rows, %d suppressed; the case wants both", memberSmall, suppressed)
		}
		checkOpened(t, fed, "crosstab", 1, released, suppressed, false)
	})
	t.Run("count", func(t *testing.T) {
		fed := startFederation(t, nil)
		c := client.New(fed.Nodes[0].URL)
		// 3 at hospital-b and 7 at c: released, though b holds only 3.
		res, err := c.Compute(ctx, client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients", Where: "age >= 94"}})
		if err != nil {
			t.Fatalf("count of a cohort of 10 with 3 at one hospital: %v", err)
		}
		if res.Result["count"] != float64(10) {
			t.Fatalf("count(age >= 94) = %v, want 10", res.Result["count"])
		}
		checkOpened(t, fed, "count", 1, []float64{10}, 0, true)
	})
	t.Run("small count", func(t *testing.T) {
		fed := startFederation(t, nil)
		c := client.New(fed.Nodes[0].URL)
		// 3, all at hospital-c: refused for the pooled count, naming no
		// hospital, with nothing but the verdict opened anywhere.
		_, err := c.Compute(ctx, client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients", Where: "age >= 95"}})
		var ce *client.Error
		if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "policy min_cell=5") || strings.Contains(ce.Message, "hospital") {
			t.Fatalf("count of 3: got %v, want a min_cell refusal naming no hospital", err)
		}
		// The leader's line lists the verdict; a member's, the verdict or
		// nothing (the leader's end of the session may reach it before the
		// last shares do: then it learned nothing).
		awaitAudit(t, fed.Dir, 1, hospitals...)
		for _, node := range hospitals {
			e := lastAudit(t, fed, node)
			if e["outcome"] != "refused" || e["released"] != nil {
				t.Errorf("%s: audit of the refused count %v", node, e)
			}
			opened, _ := e["opened"].([]any)
			want := []any{"suppressed"}
			if node != "hospital-a" && len(opened) == 0 {
				continue
			}
			if !slices.Equal(opened, want) {
				t.Errorf("%s opened %v for the refused count, want %v", node, opened, want)
			}
		}
	})
}

// TestThresholdTwoMembers: a federation of two members has no honest
// majority, and its dataset queries are refused before anything is
// computed, as before; the parties' own data between two parties (no
// min_cell: the owners' own choice) are counted in the clear sum.
func TestThresholdTwoMembers(t *testing.T) {
	dir := t.TempDir()
	configs, err := fedrun.CopyExample(exampleDir, filepath.Join(exampleDir, "data"), dir)
	if err != nil {
		t.Fatal(err)
	}
	fedFile := filepath.Join(dir, "federation.toml")
	b, err := os.ReadFile(fedFile)
	if err != nil {
		t.Fatal(err)
	}
	two := regexp.MustCompile(`(?s)\[\[member\]\]\s*name = "hospital-c".*`).ReplaceAllString(string(b), "")
	if two == string(b) {
		t.Fatal("hospital-c not found in the federation file")
	}
	if err := os.WriteFile(fedFile, []byte(two), 0o644); err != nil {
		t.Fatal(err)
	}
	fed, err := fedrun.StartConfigs(nodeBin, configs[:2], dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fed.Stop)
	_, err = client.New(fed.Nodes[0].URL).Compute(context.Background(), client.Request{Microprotocol: "Histogram",
		Dataset: &client.Dataset{Table: "patients", Column: "age"}, Parameters: map[string]any{"edges": []float64{0, 94, 120}}})
	var ce *client.Error
	if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "dataset queries need at least 3") {
		t.Fatalf("a dataset histogram with two members: got %v, want the refusal of a federation of two", err)
	}

	procs := startDev(t, 2)
	urls := []string{procs[0].URL, procs[1].URL}
	data := [][]string{{"x", "y", "y"}, {"y", "z", "z", "z", "z", "z"}}
	got := make([]map[string]any, 2)
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			res, err := client.New(urls[i]).Compute(context.Background(), client.Request{Microprotocol: "StatisticsFrequency", Data: data[i],
				Network: &client.Network{Nodes: urls, UUID: "two-freq", Myself: i}})
			if err == nil {
				got[i] = res.Result
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range got {
		h := r["histogram"].(map[string]any)
		if h["x"] != float64(1) || h["y"] != float64(3) || h["z"] != float64(5) {
			t.Errorf("party %d: frequencies %v, want x 1, y 3, z 5", i, h)
		}
	}
}
