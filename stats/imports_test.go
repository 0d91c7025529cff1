package stats

import (
	goparser "go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStatsDrawsNoRandomness holds stats to its design: it draws no
// randomness and does no networking (hiding a party's aggregate is the
// engine's work), and imports only gonum and the standard library.
func TestStatsDrawsNoRandomness(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := []string{"crypto/rand", "math/rand", "math/rand/v2", "net", "net/http"}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(gotoken.NewFileSet(), name, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, b := range banned {
				if path == b {
					t.Errorf("%s imports %s", name, path)
				}
			}
			if first := strings.Split(path, "/")[0]; strings.Contains(first, ".") && !strings.HasPrefix(path, "gonum.org/") {
				t.Errorf("%s imports %s: stats imports only gonum and the standard library", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}
