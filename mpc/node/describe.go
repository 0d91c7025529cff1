package node

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// maxQuoted is how many characters of a client's input an error message
// quotes at most.
const maxQuoted = 80

// bounded returns s, cut to maxQuoted characters (marked with "...") so
// that an error never echoes a large input whole.
func bounded(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return prefix(s, maxQuoted) + "..."
}

// describeValue writes a JSON value as a person reads it in a message: a
// string quoted, a number as it is, anything else as compact JSON; never
// in Go syntax, and at most maxQuoted characters of it.
func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(bounded(x))
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return jsonType(v)
	}
	return bounded(string(b))
}

// describeFields writes an object's fields as `protocol "Simon", version
// "0.6.0"`: the first key first, the others sorted.
func describeFields(m map[string]any, first string) string {
	if len(m) == 0 {
		return "no requirement"
	}
	keys := slices.Sorted(maps.Keys(m))
	if i := slices.Index(keys, first); i > 0 {
		keys = append([]string{first}, slices.Delete(keys, i, i+1)...)
	}
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", bounded(k), describeValue(m[k])))
	}
	return strings.Join(parts, ", ")
}
