// Package stats holds the statistics themselves, with no networking and no
// randomness: the columnar tables a node reads its data into, the row
// filters analysts write, each statistic's local aggregate, how aggregates
// combine and how the combined aggregate becomes the answer, and the
// disclosure rules.
//
// It is not a protocol: every function here works on plain numbers, so a
// statistic can be tested with all parties in one process.
package stats

import (
	"fmt"
	"strings"
)

// Kind says whether a column holds numbers or categories.
type Kind int

const (
	// Numeric columns hold float64 values; NaN marks a missing value.
	Numeric Kind = iota
	// Categorical columns hold indices into the column's Levels; -1 marks a
	// missing value.
	Categorical
)

// String returns "numeric" or "categorical".
func (k Kind) String() string {
	if k == Categorical {
		return "categorical"
	}
	return "numeric"
}

// Column is one column of a Table in columnar memory.
type Column struct {
	Name   string
	Kind   Kind
	Num    []float64 // Numeric: one value a row, NaN when missing
	Cat    []int32   // Categorical: index into Levels, -1 when missing
	Levels Levels    // Categorical: the distinct values, sorted
}

// Len returns the number of rows of the column.
func (c *Column) Len() int {
	if c.Kind == Categorical {
		return len(c.Cat)
	}
	return len(c.Num)
}

// Level returns the index of value among the column's levels, or -1.
func (c *Column) Level(value string) int32 {
	if i, ok := c.Levels.Search(value); ok {
		return int32(i)
	}
	return -1
}

// Table is a named set of equally long columns.
type Table struct {
	Name    string
	Rows    int
	Columns []*Column
}

// Column returns the column called name, or an error that names the table
// and lists the columns it has.
func (t *Table) Column(name string) (*Column, error) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, nil
		}
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return nil, fmt.Errorf("unknown column %q in table %s (columns: %s)", name, t.Name, strings.Join(names, ", "))
}

// NumericColumn returns the numeric column called name, or an error naming
// the column when it is missing or categorical.
func (t *Table) NumericColumn(name string) (*Column, error) {
	c, err := t.Column(name)
	if err != nil {
		return nil, err
	}
	if c.Kind != Numeric {
		return nil, fmt.Errorf("column %q of table %s is categorical, not numeric", name, t.Name)
	}
	return c, nil
}
