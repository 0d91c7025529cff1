package stats

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// histMaxBins bounds the number of bins of one histogram.
const histMaxBins = 1 << 16

// Histogram returns the pooled counts of the parties' values in the bins
// given by edges, numpy's convention: with edges e0 < e1 < … < ek the bins
// are [e0, e1), [e1, e2), …, [e(k−2), e(k−1)) and the last one closed,
// [e(k−1), ek]. Values outside [e0, ek] (and NaN, a missing value) are not
// counted. Edges must be finite and strictly increasing, at least 2 of them.
//
// Every party counts its own values and calls c.Check("bin", counts) on
// those local counts before contributing them (so its disclosure rule can
// refuse, stopping every party); then one Sum adds the counts. The deciding
// parties get the pooled counts (one a bin), the others nil. What is
// revealed is the pooled count of each bin to the deciding parties, nothing
// of any one party's counts.
func Histogram(ctx context.Context, c Combiner, x []float64, edges []float64) ([]float64, error) {
	if err := histCheckEdges(edges); err != nil {
		return nil, err
	}
	local := histCount(x, edges)
	if err := c.Check("bin", local); err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	tot, err := c.Sum(ctx, local)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	if tot == nil {
		return nil, nil
	}
	if len(tot) != len(local) {
		return nil, fmt.Errorf("histogram: %d pooled counts for %d bins", len(tot), len(local))
	}
	for i, v := range tot {
		tot[i] = math.Round(v)
	}
	return tot, nil
}

// histCheckEdges says what is wrong with a list of bin edges.
func histCheckEdges(edges []float64) error {
	if len(edges) < 2 {
		return fmt.Errorf("histogram: %d edges: at least 2 are needed", len(edges))
	}
	if len(edges)-1 > histMaxBins {
		return fmt.Errorf("histogram: %d bins: at most %d are allowed", len(edges)-1, histMaxBins)
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return fmt.Errorf("histogram: edge %d is %v: edges must be finite", i, e)
		}
		if i > 0 && e <= edges[i-1] {
			return fmt.Errorf("histogram: edge %d (%v) is not above edge %d (%v): edges must be strictly increasing", i, e, i-1, edges[i-1])
		}
	}
	return nil
}

// histCount counts values in the bins of valid edges. A table over equal
// cells of [e0, ek] gives each value's bin to start from, corrected by a
// few comparisons with the edges (a binary search when edges crowd).
func histCount(x []float64, edges []float64) []float64 {
	k := len(edges) - 1
	counts := make([]int64, k)
	lo, hi := edges[0], edges[k]
	search := func(v float64) int { // the bin of v in [lo, hi)
		return sort.Search(len(edges), func(j int) bool { return edges[j] > v }) - 1
	}
	cells := min(max(4*k, 1024), histMaxBins)
	scale := float64(cells) / (hi - lo)
	var start []int32
	if scale > 0 && !math.IsInf(scale, 0) {
		start = make([]int32, cells)
		for g := range start {
			v := lo + float64(g)/scale
			if v < lo || v >= hi {
				v = lo
			}
			start[g] = int32(search(v))
		}
	}
	for _, v := range x {
		if !(v >= lo && v <= hi) { // NaN too
			continue
		}
		if v == hi {
			counts[k-1]++
			continue
		}
		if start == nil {
			counts[search(v)]++
			continue
		}
		g := int((v - lo) * scale)
		if g >= cells {
			g = cells - 1
		}
		i := int(start[g])
		for steps := 0; ; steps++ {
			// v is in [lo, hi), so i stays in [0, k-1].
			if v < edges[i] {
				i--
			} else if v >= edges[i+1] {
				i++
			} else {
				break
			}
			if steps == 8 {
				i = search(v)
				break
			}
		}
		counts[i]++
	}
	out := make([]float64, k)
	for i, n := range counts {
		out[i] = float64(n)
	}
	return out
}

// EqualBins returns the edges of bins equally wide bins over [lo, hi], as
// numpy.histogram makes them (numpy.linspace(lo, hi, bins+1): edge i is
// lo + i·(hi−lo)/bins, the last edge exactly hi). As numpy does, lo == hi
// is widened to [lo−0.5, hi+0.5]. Errors: bins below 1 or above the limit,
// a bound that is not finite, lo above hi, or a range too narrow for the
// edges to differ.
func EqualBins(bins int, lo, hi float64) ([]float64, error) {
	if bins < 1 || bins > histMaxBins {
		return nil, fmt.Errorf("equal bins: %d bins: want 1 to %d", bins, histMaxBins)
	}
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
		return nil, fmt.Errorf("equal bins: range [%v, %v] is not finite", lo, hi)
	}
	if lo > hi {
		return nil, fmt.Errorf("equal bins: range [%v, %v]: the lower bound is above the upper", lo, hi)
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	step := float64(hi-lo) / float64(bins)
	if math.IsInf(step, 0) {
		return nil, fmt.Errorf("equal bins: range [%v, %v] is too wide", lo, hi)
	}
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = float64(float64(i)*step) + lo
	}
	edges[bins] = hi
	if err := histCheckEdges(edges); err != nil {
		return nil, fmt.Errorf("equal bins: range [%v, %v] too narrow for %d bins: %w", lo, hi, bins, err)
	}
	return edges, nil
}
