package node_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// TestMedianOverNodesOpensOnlyItsBuckets runs medians over three real
// nodes and reads what each node opened from its audit line: the outcome
// of the two rules on the pooled count (there are values; enough on each
// side), then, round by round, the bucket indices of the two middle order
// statistics, which are exactly the bits of their keys, the last round's
// at the leader only. No count is opened anywhere, n included, and the
// leader's released median is the plaintext one.
func TestMedianOverNodesOpensOnlyItsBuckets(t *testing.T) {
	fed := startFederation(t, nil)
	all := pooled(t)
	c := client.New(fed.Nodes[1].URL)
	wheres := []string{"", "sex == 'F' and age >= 50"}
	for _, where := range wheres {
		for _, column := range []string{"age", "bmi"} {
			ds := client.Dataset{Table: "patients", Column: column, Where: where}
			got := num(t, compute(t, c, "SecureMedian", ds, nil)["median"])
			x := plainValues(t, all, column, where)
			slices.Sort(x)
			if want := stats.QuantileSorted(x, 0.5); got != want {
				t.Errorf("%s where %q: median %v, want %v", column, where, got, want)
			}
		}
	}
	awaitAudit(t, fed.Dir, 2*len(wheres), "hospital-a", "hospital-b", "hospital-c")
	i := 0
	for _, where := range wheres {
		for _, column := range []string{"age", "bmi"} {
			x := plainValues(t, all, column, where)
			slices.Sort(x)
			n := len(x)
			lo, hi := stats.OrderKey(x[(n+1)/2-1]), stats.OrderKey(x[n/2])
			for _, node := range []string{"hospital-a", "hospital-b", "hospital-c"} {
				lines := readAudit(t, fed, fed.Dir, node)
				if len(lines) != len(wheres)*2 {
					t.Fatalf("%s: %d audit lines, want %d", node, len(lines), len(wheres)*2)
				}
				e := lines[i]
				want := []any{1.0, 1.0} // JSON numbers
				for r := range stats.SelectRounds {
					if r == stats.SelectRounds-1 && node != "hospital-b" {
						break
					}
					shift := 64 - stats.SelectBits*(r+1)
					want = append(want, float64(lo>>shift&(stats.SelectBuckets-1)), float64(hi>>shift&(stats.SelectBuckets-1)))
				}
				opened, _ := e["opened"].([]any)
				if !slices.Equal(opened, want) {
					t.Errorf("%s, median of %s where %q: opened %v, want %v", node, column, where, opened, want)
				}
				for _, v := range opened {
					if f, ok := v.(float64); !ok || f > float64(stats.SelectBuckets-1) {
						t.Errorf("%s: opened %v, which is not a bucket index or a rule's outcome", node, v)
					}
				}
				if node == "hospital-b" && fmt.Sprint(e["released"].(map[string]any)["result"].(map[string]any)["median"]) != fmt.Sprint(stats.QuantileSorted(x, 0.5)) {
					t.Errorf("leader released %v", e["released"])
				}
			}
			i++
		}
	}
}

// TestAuditListsOpenedSums: the audit line of a secure sum lists the total
// the leader opened, and nothing at the members, which open nothing.
func TestAuditListsOpenedSums(t *testing.T) {
	fed := startFederation(t, nil)
	res, err := client.New(fed.Nodes[0].URL).Compute(context.Background(), client.Request{Microprotocol: "SecureSum",
		Dataset: &client.Dataset{Table: "patients", Column: "age"}})
	if err != nil {
		t.Fatal(err)
	}
	awaitAudit(t, fed.Dir, 1, "hospital-a", "hospital-b", "hospital-c")
	lead := readAudit(t, fed, fed.Dir, "hospital-a")
	if len(lead) != 1 || !slices.Equal(lead[0]["opened"].([]any), []any{res.Result["sum"]}) {
		t.Errorf("leader opened %v, want the sum %v", lead[0]["opened"], res.Result["sum"])
	}
	for _, node := range []string{"hospital-b", "hospital-c"} {
		e := readAudit(t, fed, fed.Dir, node)
		if len(e) != 1 || len(e[0]["opened"].([]any)) != 0 {
			t.Errorf("%s opened %v, want nothing", node, e[0]["opened"])
		}
	}
}
