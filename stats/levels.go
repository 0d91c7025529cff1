package stats

import (
	"sort"
	"strings"
)

// Levels are a categorical column's distinct values, sorted. They are kept
// as one text and the end of each value in it, so that a column of a
// million distinct values (an identifier) is one string and one array of
// integers to the garbage collector, not a million pointers it would scan
// at every collection.
type Levels struct {
	text string
	end  []int
}

// NewLevels keeps values, which must be sorted and distinct.
func NewLevels(values []string) Levels {
	var b strings.Builder
	n := 0
	for _, v := range values {
		n += len(v)
	}
	b.Grow(n)
	end := make([]int, len(values))
	for i, v := range values {
		b.WriteString(v)
		end[i] = b.Len()
	}
	return Levels{text: b.String(), end: end}
}

// Len returns the number of levels.
func (l Levels) Len() int { return len(l.end) }

// At returns level i.
func (l Levels) At(i int) string {
	start := 0
	if i > 0 {
		start = l.end[i-1]
	}
	return l.text[start:l.end[i]]
}

// Strings returns the levels as a slice (allocated anew).
func (l Levels) Strings() []string {
	out := make([]string, l.Len())
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

// Search returns the index of value and whether it is a level.
func (l Levels) Search(value string) (int, bool) {
	i := sort.Search(l.Len(), func(i int) bool { return l.At(i) >= value })
	return i, i < l.Len() && l.At(i) == value
}
