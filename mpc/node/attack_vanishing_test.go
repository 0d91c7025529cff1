package node_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestAttackVanishingMember: with min_cell checked on pooled counts, a
// member may hold 1 to min_cell − 1 rows of a released cell. A second
// table whose filter leaves that member with no rows at all, and every
// other member with the same rows, shows those few rows by difference:
// the member's sets of the second table are all empty, and an empty set
// must still be checked against (and kept in) its memory, as a Count's
// empty cohort is.
//
// The case: hospital-a holds one patient aged 93 or more (a man of 93,
// bmi 30.4, response SD); hospital-b 3 and hospital-c 15. An analyst who
// knows a 93-year-old man of that bmi asks for the responses of everyone
// aged 93 or more, with and without him: the SD count falls by one, his
// response. Both orders are tried, each on a fresh federation.
func TestAttackVanishingMember(t *testing.T) {
	const (
		with    = "age >= 93"
		without = "age >= 93 and not (age == 93 and sex == 'M' and bmi == 30.4)"
	)
	// The oracle: the filters differ by one row of hospital-a alone.
	for _, h := range hospitals {
		a, b := plainRows(t, site(t, h), with), plainRows(t, site(t, h), without)
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				diff++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[h == "hospital-a"]; diff != want {
			t.Fatalf("%s: the filters differ by %d rows, the case wants %d", h, diff, want)
		}
	}
	cells := func(r map[string]any) map[string]any {
		if r == nil {
			return nil
		}
		return r["histogram"].(map[string]any)
	}
	for _, order := range [][2]string{{with, without}, {without, with}} {
		t.Run(fmt.Sprintf("%s, then %s", order[0], order[1]), func(t *testing.T) {
			a := newAnalyst(t)
			first := cells(a.ask("StatisticsFrequency", client.Dataset{Column: "response", Where: order[0]}, nil))
			second := cells(a.ask("StatisticsFrequency", client.Dataset{Column: "response", Where: order[1]}, nil))
			if first == nil {
				t.Fatalf("%s refused on a fresh federation", order[0])
			}
			if second == nil {
				return // refused: nothing to difference
			}
			t.Logf("first %v, second %v", first, second)
			for k, v1 := range first {
				f1, ok1 := v1.(float64)
				f2, ok2 := second[k].(float64)
				if d := math.Abs(f1 - f2); ok1 && ok2 && d >= 1 && d < 5 {
					t.Errorf("cell %s: %v, then %v: the difference is %v patients of one member", k, f1, f2, d)
				}
			}
		})
	}
}
