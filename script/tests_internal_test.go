package script

import (
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
)

// TestChiSquaredEqualsR checks the test statistic, p-value and R's
// expected-count warning on small tables, with and without Yates'
// correction, against chisq.test.
func TestChiSquaredEqualsR(t *testing.T) {
	roracle.Require(t)
	tables := [][][]float64{
		{{12, 5}, {7, 9}},
		{{30, 10}, {12, 40}},
		{{8, 5, 6}, {20, 9, 5}},
		{{50, 60, 55, 70}, {40, 80, 35, 60}, {45, 55, 65, 50}},
		{{3, 0}, {1, 6}},
	}
	for _, x := range tables {
		for _, correct := range []bool{true, false} {
			var cells []string
			for j := range x[0] {
				for i := range x {
					cells = append(cells, fmt.Sprint(x[i][j]))
				}
			}
			expr := fmt.Sprintf("m <- matrix(c(%s), nrow = %d); ws <- character(0); r <- withCallingHandlers(chisq.test(m, correct = %s), warning = function(w) { ws <<- c(ws, conditionMessage(w)); invokeRestart('muffleWarning') }); cat(sprintf('%%.17g %%.17g %%d %%d', r$statistic, r$p.value, r$parameter, length(ws)))",
				strings.Join(cells, ", "), len(x), strings.ToUpper(fmt.Sprint(correct)))
			out, err := exec.Command(roracle.Rscript, "--vanilla", "-e", expr).Output()
			if err != nil {
				t.Fatalf("Rscript: %v", err)
			}
			f := strings.Fields(string(out))
			stat, _ := strconv.ParseFloat(f[0], 64)
			p, _ := strconv.ParseFloat(f[1], 64)
			res, err := chiSquared(x, correct)
			if err != nil {
				t.Fatal(err)
			}
			got := res["statistic"].(float64)
			if math.Abs(got-stat) > 1e-8*stat+1e-14 || math.Abs(res["p"].(float64)-p) > 1e-6*p+1e-15 || fmt.Sprint(res["df"]) != f[2] {
				t.Errorf("%v correct=%v: %v, R %s", x, correct, res, out)
			}
			if res["expected_warning"].(bool) != (f[3] != "0") {
				t.Errorf("%v: expected_warning %v, R gave %s warnings", x, res["expected_warning"], f[3])
			}
		}
	}
}
