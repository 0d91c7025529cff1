package node_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// releaseOracle holds each hospital's table in plaintext: it says which of
// a hospital's rows a query would release.
type releaseOracle struct {
	names  []string
	tables []*stats.Table
}

func loadReleaseOracle(t testing.TB) *releaseOracle {
	t.Helper()
	o := &releaseOracle{}
	for _, h := range []string{"a", "b", "c"} {
		tb, err := stats.LoadCSV(filepath.Join(exampleDir, "data", "hospital-"+h, "patients.csv"), "patients")
		if err != nil {
			t.Fatal(err)
		}
		o.names = append(o.names, "hospital-"+h)
		o.tables = append(o.tables, tb)
	}
	return o
}

// rows is the row set of hospital h that mp (on column, for SecureSum)
// with the filter where would release: the filter's rows with a value in
// the column.
func (o *releaseOracle) rows(t testing.TB, h int, mp, column, where string) *roaring.Bitmap {
	t.Helper()
	tb := o.tables[h]
	var sel []bool
	if where != "" {
		f, err := stats.ParseFilter(where)
		if err != nil {
			t.Fatalf("where %q: %v", where, err)
		}
		if sel, err = f.Rows(tb); err != nil {
			t.Fatalf("where %q: %v", where, err)
		}
	}
	var col *stats.Column
	if mp == "SecureSum" && column != "" {
		c, err := tb.NumericColumn(column)
		if err != nil {
			t.Fatal(err)
		}
		col = c
	}
	bm := roaring.New()
	for i := 0; i < tb.Rows; i++ {
		if sel != nil && !sel[i] {
			continue
		}
		if col != nil && math.IsNaN(col.Num[i]) {
			continue
		}
		bm.Add(uint32(i))
	}
	return bm
}

func symDiff(a, b *roaring.Bitmap) uint64 {
	return a.GetCardinality() + b.GetCardinality() - 2*a.AndCardinality(b)
}

// filterGen draws random filters over the example data, with thresholds
// and values taken from the real rows.
type filterGen struct {
	r   *rand.Rand
	all *stats.Table
}

func (g *filterGen) value(col string) float64 {
	c, _ := g.all.NumericColumn(col)
	for {
		if v := c.Num[g.r.IntN(len(c.Num))]; !math.IsNaN(v) {
			return v
		}
	}
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (g *filterGen) atom() string {
	ops := []string{"==", "!=", "<", "<=", ">", ">="}
	switch g.r.IntN(4) {
	case 0, 1: // numeric threshold near a real value
		col := []string{"age", "bmi", "dose", "survival_months"}[g.r.IntN(4)]
		v := g.value(col)
		if g.r.IntN(3) == 0 {
			v += []float64{-1, -0.5, -0.1, 0.1, 0.5, 1}[g.r.IntN(6)]
		}
		op := ops[2+g.r.IntN(4)]
		if g.r.IntN(6) == 0 {
			op = ops[g.r.IntN(2)]
		}
		return fmt.Sprintf("%s %s %s", col, op, fmtNum(math.Round(v*10)/10))
	case 2: // categorical equality
		switch g.r.IntN(3) {
		case 0:
			return fmt.Sprintf("sex %s '%s'", ops[g.r.IntN(2)], []string{"F", "M"}[g.r.IntN(2)])
		case 1:
			return fmt.Sprintf("response %s '%s'", ops[g.r.IntN(2)], []string{"CR", "PR", "SD", "PD"}[g.r.IntN(4)])
		default:
			return fmt.Sprintf("toxicity %s %d", ops[g.r.IntN(2)], g.r.IntN(2))
		}
	default: // an OR of 1..5 exact values of age or dose
		col := []string{"age", "dose"}[g.r.IntN(2)]
		k := 1 + g.r.IntN(5)
		parts := make([]string, k)
		for i := range parts {
			parts[i] = fmt.Sprintf("%s == %s", col, fmtNum(g.value(col)))
		}
		return "(" + strings.Join(parts, " or ") + ")"
	}
}

func (g *filterGen) expr(depth int) string {
	if depth <= 0 || g.r.IntN(3) == 0 {
		return g.atom()
	}
	switch g.r.IntN(4) {
	case 0:
		return "not (" + g.expr(depth-1) + ")"
	case 1:
		return "(" + g.expr(depth-1) + ") or (" + g.expr(depth-1) + ")"
	default:
		return g.expr(depth-1) + " and " + g.expr(depth-1)
	}
}

// TestReleaseMemoryProperty issues random queries and checks, with a
// plaintext oracle, that the released row sets of each hospital never
// differ by 1..min_cell-1 rows from each other or from the whole table,
// nor a sum's from the empty set; that no count of 1..min_cell-1 rows of
// all hospitals together is released (Count checks min_cell on the
// pooled count, so one hospital's part of it may be smaller); and that
// every released count is right.
func TestReleaseMemoryProperty(t *testing.T) {
	const minCell = 5
	const queries = 300
	fed := startFederation(t, nil)
	o := loadReleaseOracle(t)
	g := &filterGen{r: rand.New(rand.NewPCG(20240611, 7)), all: pooled(t)}
	ctx := context.Background()
	c := client.New(fed.Nodes[0].URL)

	type rel struct {
		n    int // query number
		what string
		sets []*roaring.Bitmap // one per hospital
	}
	var released []rel
	refusedN := 0
	start := time.Now()
	for n := 0; n < queries; n++ {
		mp, column := "Count", ""
		if g.r.IntN(2) == 0 {
			mp, column = "SecureSum", []string{"age", "bmi", "dose", "survival_months"}[g.r.IntN(4)]
		}
		where := g.expr(2)
		what := fmt.Sprintf("#%d %s(%s) where %q", n, mp, column, where)
		res, err := c.Compute(ctx, client.Request{Microprotocol: mp, Dataset: &client.Dataset{Table: "patients", Column: column, Where: where}})
		if err != nil {
			var ce *client.Error
			if errors.As(err, &ce) && ce.Refused() {
				refusedN++
				continue
			}
			t.Fatalf("%s: %v", what, err)
		}
		r := rel{n: n, what: what}
		pooledCount := uint64(0)
		for h := range o.tables {
			s := o.rows(t, h, mp, column, where)
			r.sets = append(r.sets, s)
			pooledCount += s.GetCardinality()
			card, total := s.GetCardinality(), uint64(o.tables[h].Rows)
			if card >= 1 && card < minCell && mp != "Count" {
				t.Errorf("%s released a set of %d rows at %s", what, card, o.names[h])
			}
			if total-card >= 1 && total-card < minCell {
				t.Errorf("%s released a set leaving out %d rows of %s's table", what, total-card, o.names[h])
			}
			for _, p := range released {
				if d := symDiff(s, p.sets[h]); d >= 1 && d < minCell {
					t.Errorf("at %s, %s differs by %d rows from released %s", o.names[h], what, d, p.what)
				}
			}
		}
		if mp == "Count" {
			if pooledCount >= 1 && pooledCount < minCell {
				t.Errorf("%s released a pooled count of %d", what, pooledCount)
			}
			if got := res.Result["count"]; got != float64(pooledCount) {
				t.Errorf("%s: count = %v, want %d", what, got, pooledCount)
			}
		}
		released = append(released, r)
	}
	t.Logf("%d queries in %v: %d released, %d refused", queries, time.Since(start).Round(time.Millisecond), len(released), refusedN)
	if len(released) == 0 || refusedN == 0 {
		t.Errorf("the random queries should both release and refuse some (released %d, refused %d)", len(released), refusedN)
	}
}

// TestReleaseMemorySurvivesRestart releases a cohort, restarts every
// node from the same state folders, and checks that a cohort a few rows
// away at one hospital is still refused; a fresh federation releases it.
func TestReleaseMemorySurvivesRestart(t *testing.T) {
	const minCell = 5
	const first = "age >= 70"
	o := loadReleaseOracle(t)
	base := make([]*roaring.Bitmap, 3)
	for h := range base {
		base[h] = o.rows(t, h, "Count", "", first)
	}
	// A second filter whose rows differ from the first's by 1..4 at some
	// hospital and by 0 or >= 5 at the others.
	all := pooled(t)
	dose, _ := all.NumericColumn("dose")
	var second string
	for _, v := range dose.Num {
		if math.IsNaN(v) {
			continue
		}
		cand := fmt.Sprintf("%s or dose == %s", first, fmtNum(v))
		near, ok := 0, true
		for h := range base {
			s := o.rows(t, h, "Count", "", cand)
			d := symDiff(s, base[h])
			if d >= 1 && d < minCell {
				near++
			}
			if card, total := s.GetCardinality(), uint64(o.tables[h].Rows); card < minCell || total-card < minCell {
				ok = false
			}
		}
		if ok && near >= 1 && near < len(base) {
			second = cand
			break
		}
	}
	if second == "" {
		t.Fatal("no second filter found")
	}
	for h := range base {
		t.Logf("%s: %q vs %q differ by %d rows", o.names[h], first, second, symDiff(o.rows(t, h, "Count", "", second), base[h]))
	}
	ctx := context.Background()
	count := func(fed *fedrun.Federation, where string) error {
		_, err := client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients", Where: where}})
		return err
	}

	fed := startFederation(t, nil)
	if err := count(fed, first); err != nil {
		t.Fatalf("%q: %v", first, err)
	}
	for _, p := range fed.Nodes {
		if err := p.Stop(); err != nil {
			t.Logf("stop %s: %v", p.Name, err)
		}
	}
	configs := []string{filepath.Join(fed.Dir, "hospital-a.toml"), filepath.Join(fed.Dir, "hospital-b.toml"), filepath.Join(fed.Dir, "hospital-c.toml")}
	again, err := fedrun.StartConfigs(nodeBin, configs, fed.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Stop)
	err = count(again, second)
	var ce *client.Error
	if !errors.As(err, &ce) || !ce.Refused() {
		t.Fatalf("after a restart, %q = %v, want a refusal", second, err)
	}
	if strings.Contains(ce.Message, "hospital") || !strings.Contains(ce.Message, "release memory") || !strings.HasPrefix(ce.Message, "refused:") {
		t.Errorf("refusal %q: want one that names no hospital and mentions the release memory", ce.Message)
	}
	t.Logf("after restart: %s", ce.Message)

	fresh := startFederation(t, nil)
	if err := count(fresh, second); err != nil {
		t.Errorf("a fresh federation refused %q: %v", second, err)
	}
}
