// Package roracle runs R, the plaintext oracle of the clinical statistics,
// for the tests: a script in a folder, its printed results read back.
package roracle

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Rscript is where the tests find R, the plaintext oracle of the clinical
// statistics (Debian's r-base-core and r-cran-survival).
const Rscript = "/usr/bin/Rscript"

// RunR runs an R script in dir and reads what it prints: one result a
// line, a name and then numbers, "NA" read as NaN. The script prints them
// with cat(name, sprintf("%.17g", x), "\n"). The error holds R's output
// when the script fails.
func RunR(dir, script string) (map[string][]float64, error) {
	out, err := Output(dir, script)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "oracle.R")
	res := map[string][]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		vals := make([]float64, 0, len(f)-1)
		for _, s := range f[1:] {
			if s == "NA" || s == "NaN" {
				vals = append(vals, math.NaN())
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("Rscript %s: line %q: %q is not a number", path, sc.Text(), s)
			}
			vals = append(vals, v)
		}
		res[f[0]] = vals
	}
	return res, sc.Err()
}

// HaveR reports whether R and its survival package are installed.
func HaveR() bool {
	return exec.Command(Rscript, "-e", "library(survival)").Run() == nil
}

// Output runs an R script in dir and returns what it prints. The error
// holds R's output when the script fails.
func Output(dir, script string) (string, error) {
	path := filepath.Join(dir, "oracle.R")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command(Rscript, "--vanilla", path)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("Rscript %s: %v\n%s", path, err, stderr.String())
	}
	return string(out), nil
}

// ExampleRows is a line of R that binds d to the example federation's
// pooled rows, read from the hospitals' CSV files under dataDir (empty
// cells as NA, text as text).
func ExampleRows(dataDir string) (string, error) {
	var files []string
	for _, h := range []string{"a", "b", "c"} {
		abs, err := filepath.Abs(filepath.Join(dataDir, "hospital-"+h, "patients.csv"))
		if err != nil {
			return "", err
		}
		files = append(files, strconv.Quote(abs))
	}
	return fmt.Sprintf("d <- do.call(rbind, lapply(c(%s), read.csv, na.strings = c(\"\", \"NA\"), stringsAsFactors = FALSE))\n", strings.Join(files, ", ")), nil
}

// Require fails t when R or its survival package is missing: make test
// installs them (r-base-core, r-cran-survival), so a test never skips its
// oracle.
func Require(t testing.TB) {
	t.Helper()
	if !HaveR() {
		t.Fatalf("R with the survival package is needed at %s: make test-deps installs r-base-core and r-cran-survival", Rscript)
	}
}
