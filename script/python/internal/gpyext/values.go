package gpyext

import (
	"math/big"
	"sort"

	"github.com/go-python/gpython/py"
)

// ReprString is repr(v), or the type's name in angle brackets when repr
// fails.
func ReprString(v py.Object) string {
	s, err := py.ReprAsString(v)
	if err != nil {
		return "<" + TypeName(v) + ">"
	}
	return s
}

// TypeName names a Python value's type for messages.
func TypeName(v py.Object) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().Name
}

// Number is a Python int or float as float64 (not a bool).
func Number(v py.Object) (float64, bool) {
	switch x := v.(type) {
	case py.Int:
		return float64(x), true
	case py.Float:
		return float64(x), true
	case *py.BigInt:
		f, _ := new(big.Float).SetInt((*big.Int)(x)).Float64()
		return f, true
	}
	return 0, false
}

// Sequence is the items of a list, a tuple or a range; ok is false for
// anything else.
func Sequence(v py.Object) (items []py.Object, ok bool, err error) {
	switch x := v.(type) {
	case *py.List:
		return x.Items, true, nil
	case py.Tuple:
		return x, true, nil
	case *py.Range, *rangeObject:
		err := py.Iterate(x, func(o py.Object) bool { items = append(items, o); return false })
		return items, true, err
	}
	return nil, false, nil
}

// SortedKeys returns a dict's keys in order.
func SortedKeys(d py.StringDict) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
