package stats

import "math"

// Sum returns the sum of a numeric column's values over the selected rows
// (rows nil selects all) and the number of values added; missing values are
// skipped. Values are added plainly in blocks of 64 and each block's sum
// with Neumaier's compensated summation, so the result is within about
// 64·2^-53 of the magnitudes summed, and usually as accurate as the float64
// sum of the exact values.
func Sum(c *Column, rows []bool) (sum float64, n int) {
	var comp, block float64
	inBlock := 0
	add := func(v float64) {
		t := sum + v
		if math.Abs(sum) >= math.Abs(v) {
			comp += (sum - t) + v
		} else {
			comp += (v - t) + sum
		}
		sum = t
	}
	for i, v := range c.Num {
		if v != v || (rows != nil && !rows[i]) {
			continue
		}
		block += v
		n++
		if inBlock++; inBlock == 64 {
			add(block)
			block, inBlock = 0, 0
		}
	}
	add(block)
	return sum + comp, n
}

// SumValues returns the compensated sum of values.
func SumValues(values []float64) float64 {
	c := Column{Num: values}
	s, _ := Sum(&c, nil)
	return s
}

// CountRows returns how many rows are selected; rows nil selects all n.
func CountRows(rows []bool, n int) int {
	if rows == nil {
		return n
	}
	k := 0
	for _, ok := range rows {
		if ok {
			k++
		}
	}
	return k
}

// CountValues returns how many selected rows of c hold a value.
func CountValues(c *Column, rows []bool) int {
	k := 0
	for i := 0; i < c.Len(); i++ {
		if rows != nil && !rows[i] {
			continue
		}
		if c.Kind == Numeric && !math.IsNaN(c.Num[i]) || c.Kind == Categorical && c.Cat[i] >= 0 {
			k++
		}
	}
	return k
}
