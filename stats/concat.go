package stats

import (
	"fmt"
	"slices"
)

// Concat stacks tables with the same columns (matched by name, in the first
// table's order) into one. Categorical levels are merged. It is how tests
// and the demo pool every site's rows into the plaintext they compare with.
func Concat(parts ...*Table) (*Table, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("concat: no tables")
	}
	out := &Table{Name: parts[0].Name}
	for _, p := range parts {
		out.Rows += p.Rows
	}
	for _, first := range parts[0].Columns {
		col := &Column{Name: first.Name, Kind: first.Kind}
		cols := make([]*Column, len(parts))
		var levels []string
		for i, p := range parts {
			c, err := p.Column(first.Name)
			if err != nil {
				return nil, fmt.Errorf("concat: table %d: %w", i, err)
			}
			if c.Kind != first.Kind {
				return nil, fmt.Errorf("concat: column %q is %s in table 0 but %s in table %d", first.Name, first.Kind, c.Kind, i)
			}
			cols[i] = c
			levels = append(levels, c.Levels.Strings()...)
		}
		if col.Kind == Numeric {
			for _, c := range cols {
				col.Num = append(col.Num, c.Num...)
			}
		} else {
			slices.Sort(levels)
			col.Levels = NewLevels(slices.Compact(levels))
			for _, c := range cols {
				for _, idx := range c.Cat {
					if idx < 0 {
						col.Cat = append(col.Cat, -1)
					} else {
						col.Cat = append(col.Cat, col.Level(c.Levels.At(int(idx))))
					}
				}
			}
		}
		out.Columns = append(out.Columns, col)
	}
	return out, nil
}
