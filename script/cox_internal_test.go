package script

import (
	"strings"
	"testing"
)

// An aliased covariate shows as R shows it: NA for its coefficient, its
// hazard ratio, z, p and interval, and a note that it has no estimate.
func TestCoxShowsAliasedAsNA(t *testing.T) {
	r := map[string]any{
		"coefficients": map[string]any{
			"age":  map[string]any{"estimate": 0.02, "hr": 1.02, "se": 0.01, "z": 2.0, "p": 0.0455, "ci": []any{1.0, 1.04}},
			"age2": map[string]any{"estimate": nil, "hr": nil, "se": 0.0, "z": nil, "p": nil, "ci": []any{nil, nil}},
		},
		"n": 100.0, "events": 40.0, "iterations": 4.0,
		"lr_test": map[string]any{"chisq": 4.1, "df": 1.0, "p": 0.043},
		"aliased": []any{"age2"},
	}
	text := coxRich("time", []string{"age", "age2"}, r).String()
	var row string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "age2") {
			row = l
		}
	}
	if strings.Count(row, "NA") != 6 {
		t.Errorf("the aliased row should read NA six times (coef, exp, z, p, lower, upper): %q\n%s", row, text)
	}
	if !strings.Contains(text, "on 1 df") || !strings.Contains(text, "variable age2 has no estimate") {
		t.Errorf("the notes should give the LR test on 1 df and name the aliased covariate:\n%s", text)
	}
}
