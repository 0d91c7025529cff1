package node

import (
	"context"
	"slices"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// defaultGrids runs latticeGrid at three members holding times[i] and
// returns each member's grid.
func defaultGrids(t *testing.T, times [][]float64) ([][]float64, []error) {
	t.Helper()
	parties := []string{"hospital-a", "hospital-b", "hospital-c"}
	return localRun(t, mpc.NewLocalNetwork(parties...), "grid", parties, func(s *mpc.Session, i int) ([]float64, error) {
		return latticeGrid(context.Background(), &env{s: s}, times[i])
	})
}

// The default grid is a function of two coarse facts only (the finest
// resolution and the power of two above the largest time), so nothing a
// member learns from it tells where anyone's times lie: moving a lone
// patient's time, or swapping which member holds it, leaves it unchanged.
func TestDefaultGridHidesTheTimes(t *testing.T) {
	base := [][]float64{{1.5, 7, 12.5, 30}, {2, 3.5, 40}, {60.5, 0.5}}
	moved := [][]float64{{1.5, 7, 12.5, 30}, {2, 3.5, 17}, {60.5, 0.5}} // b's 40 becomes 17
	swapped := [][]float64{{60.5, 0.5, 9}, {1.5, 7, 12.5, 30}, {2, 3.5}}
	want, errs := defaultGrids(t, base)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range want {
		if !slices.Equal(want[i], want[0]) {
			t.Fatalf("members disagree on the grid: %v and %v", want[0], want[i])
		}
	}
	// Resolution 0.5 is found as 0.1 (decimals), the largest time 60.5 is
	// 605 tenths, below 2^10: 1025 points 0, 0.1, ..., 102.4.
	if len(want[0]) != 1025 || want[0][1] != 0.1 || want[0][605] != 60.5 || want[0][1024] != 102.4 {
		t.Fatalf("grid of %d points %v ... %v", len(want[0]), want[0][:3], want[0][len(want[0])-1])
	}
	for name, times := range map[string][][]float64{"moved": moved, "swapped": swapped} {
		got, _ := defaultGrids(t, times)
		if !slices.Equal(got[0], want[0]) {
			t.Errorf("%s: the grid changed with where the times lie", name)
		}
	}
	// A finer resolution or a larger bound does show, coarsely.
	finer, _ := defaultGrids(t, [][]float64{{1.25}, {2}, {3}})
	if finer[0][1] != 0.01 {
		t.Errorf("resolution of 1.25: the grid steps by %v, want 0.01", finer[0][1])
	}
	if _, errs := defaultGrids(t, [][]float64{{1}, {-2}, {3}}); errs[0] == nil {
		t.Error("a negative time gave a grid")
	}
	// A lattice past 2^16 intervals is coarsened by powers of two.
	long, _ := defaultGrids(t, [][]float64{{0.001}, {5000}, {3}})
	if n := len(long[0]); n != 1<<16+1 || long[0][1] != 0.128 {
		t.Errorf("long lattice: %d points stepping by %v", n, long[0][1])
	}
}
