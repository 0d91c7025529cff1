package script

import (
	"strings"
	"testing"
)

// An aliased term shows as R's summary(glm) shows it: NA in every column
// of its row, "(1 not defined because of singularities)", and the
// deviances on the degrees of freedom the nodes gave.
func TestGLMShowsAliasedAsNA(t *testing.T) {
	r := map[string]any{
		"family": "binomial",
		"terms":  []any{"(Intercept)", "bmi", "bmi2"},
		"coefficients": map[string]any{
			"(Intercept)": map[string]any{"estimate": -1.5, "se": 0.4, "z": -3.75, "p": 0.000177, "ci": []any{-2.28, -0.72}},
			"bmi":         map[string]any{"estimate": 0.03, "se": 0.01, "z": 3.0, "p": 0.0027, "ci": []any{0.0104, 0.0496}},
			"bmi2":        map[string]any{"estimate": nil, "se": nil, "z": nil, "p": nil, "ci": []any{nil, nil}},
		},
		"deviance": 120.5, "null_deviance": 130.25, "aic": 124.5, "iterations": 4.0,
		"df_residual": 98.0, "df_null": 99.0, "dispersion": 1.0, "aliased": []any{"bmi2"},
	}
	text := glmRich("toxicity", []string{"bmi", "bmi2"}, r).String()
	var row string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "bmi2") {
			row = l
		}
	}
	if strings.Count(row, "NA") != 6 {
		t.Errorf("the aliased row should read NA six times (estimate, se, z, p, 2.5 %%, 97.5 %%): %q\n%s", row, text)
	}
	for _, want := range []string{"Coefficients: (1 not defined because of singularities)", "Residual deviance: 120.5 on 98 degrees of freedom"} {
		if !strings.Contains(text, want) {
			t.Errorf("the display lacks %q:\n%s", want, text)
		}
	}
	delete(r, "aliased")
	r["coefficients"].(map[string]any)["bmi2"] = map[string]any{"estimate": 0.5, "se": 0.25, "z": 2.0, "p": 0.0455, "ci": []any{0.01, 0.99}}
	if text := glmRich("toxicity", []string{"bmi", "bmi2"}, r).String(); strings.Contains(text, "singularities") || strings.Contains(text, "NA") {
		t.Errorf("a fit without aliased terms shows NA or singularities:\n%s", text)
	}
}
