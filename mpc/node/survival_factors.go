package node

import (
	"context"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// A categorical covariate of a Cox model enters as R's coxph codes a
// factor: treatment contrasts against its first level (levels sorted as
// R's factor() sorts them in the C locale), one 0/1 column per other
// level, named by the column and the level ("sexM"). The levels are the
// union of the members' (the label union: it shows the levels and, to the
// leader, how many members hold each, not how many rows). Each member
// checks its rows per level against min_cell and keeps each level's rows
// in its release memory.

// design returns the covariate columns and their names, each factor
// expanded into its contrasts.
func (si *survInput) design(ctx context.Context, e *env) ([][]float64, []string, error) {
	var x [][]float64
	var names []string
	for a, col := range si.x {
		c := si.cat[a]
		if c == nil {
			x, names = append(x, col), append(names, si.names[a])
			continue
		}
		counts := make([]float64, c.Levels.Len())
		for _, code := range col {
			counts[int(code)]++
		}
		var own []string
		for l, n := range counts {
			if n > 0 {
				own = append(own, c.Levels.At(l))
			}
		}
		if err := e.c.Check("levels of "+c.Name, counts); err != nil {
			return nil, nil, err
		}
		levels, err := stats.LabelUnion(ctx, e.c, own)
		if err != nil {
			return nil, nil, err
		}
		slices.Sort(levels)
		if len(levels) < 2 {
			return nil, nil, bad("coxph: factor %s has %d level in the rows fitted; a factor needs at least two", c.Name, len(levels))
		}
		for _, level := range levels[1:] {
			v := make([]float64, len(col))
			for i, code := range col {
				if c.Levels.At(int(code)) == level {
					v[i] = 1
				}
			}
			x, names = append(x, v), append(names, c.Name+level)
		}
	}
	return x, names, nil
}

// levelSets are the rows of each level of each factor, for the release
// memory.
func (si *survInput) levelSets() []releaseSet {
	var out []releaseSet
	for a, c := range si.cat {
		if c == nil {
			continue
		}
		rows := make([][]uint32, c.Levels.Len())
		for k, code := range si.x[a] {
			rows[int(code)] = append(rows[int(code)], si.pos[k])
		}
		for l, r := range rows {
			if len(r) > 0 {
				out = append(out, releaseSet{what: cellName(c.Name, c.Levels.At(l)), rows: roaring.BitmapOf(r...)})
			}
		}
	}
	return out
}
