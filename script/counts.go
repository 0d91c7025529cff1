package script

import "math"

// countKeys are the result keys that hold counts: whole numbers the
// languages show as integers (Python's int), not as floats.
var countKeys = map[string]bool{"count": true, "counts": true, "samples": true, "n": true, "df": true,
	"suppressed": true, "inputs": true, "size_intersection": true}

// counts turns the whole numbers of a count (or of a list or table of
// counts) into int64; anything else is left as it is.
func counts(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = counts(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = counts(e)
		}
		return out
	}
	return v
}

// withCounts returns fields with its count keys as integers.
func withCounts(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if countKeys[k] {
			v = counts(v)
		}
		out[k] = v
	}
	return out
}
