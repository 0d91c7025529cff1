package stats

import (
	"math"
	"reflect"
	"strings"
	"unicode"
)

// bivTestKeys renames the BivariateResult fields whose snake-case names
// differ from the FSC reference's keys (its spelling included).
var bivTestKeys = map[string]string{
	"correlation":          "correlation_coefficient",
	"slope":                "regression_slope",
	"intercept":            "regression_interceipt",
	"slope_through_origin": "regression_slope_only",
}

// resultMap turns a typed result (a pointer to a struct of numbers) into
// a map keyed as the FSC reference keys its results: each field's name in
// snake case, renamed where rename says; NaN and infinities are nil, whole
// counts float64. A nil pointer gives a nil map. The tests compare this
// form with the reference vectors and with plaintext answers.
func resultMap(v any, rename map[string]string) map[string]any {
	rv := reflect.ValueOf(v)
	if rv.IsNil() {
		return nil
	}
	rv = rv.Elem()
	out := map[string]any{}
	for i := range rv.NumField() {
		key := snakeCase(rv.Type().Field(i).Name)
		if r, ok := rename[key]; ok {
			key = r
		}
		var f float64
		switch x := rv.Field(i).Interface().(type) {
		case float64:
			f = x
		case int:
			f = float64(x)
		default:
			panic("resultMap: field " + key + " is no number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			out[key] = nil
		} else {
			out[key] = f
		}
	}
	return out
}

// snakeCase spells a Go name in snake case: VarianceMLE is variance_mle.
func snakeCase(name string) string {
	var b strings.Builder
	r := []rune(name)
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
