package fedrun

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// RunTests is a TestMain for packages whose tests start nodes: it builds
// fsc-node (module is the path to the module root) into a temporary folder,
// sets *bin to it, runs the tests and removes the folder.
func RunTests(m *testing.M, module string, bin *string) int {
	dir, err := os.MkdirTemp("", "fsc-node-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = BuildNode(dir, module); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// PooledExample reads every example hospital's patients into one table:
// the plaintext that tests and the demo check secure answers against (no
// real federation ever gathers it).
func PooledExample(exampleDir string) (*stats.Table, error) {
	var parts []*stats.Table
	for _, h := range []string{"a", "b", "c"} {
		t, err := stats.LoadCSV(filepath.Join(exampleDir, "data", "hospital-"+h, "patients.csv"), "patients")
		if err != nil {
			return nil, err
		}
		parts = append(parts, t)
	}
	return stats.Concat(parts...)
}

// ExampleFor starts the example federation in exampleDir with the node
// binary bin for one test or benchmark, and stops it when that ends.
func ExampleFor(t testing.TB, bin, exampleDir string) *Federation {
	t.Helper()
	fed, err := StartExample(bin, exampleDir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fed.Stop)
	return fed
}

// PooledFor is PooledExample for a test, which it fails when the example's
// CSVs cannot be read.
func PooledFor(t testing.TB, exampleDir string) *stats.Table {
	t.Helper()
	all, err := PooledExample(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// ValuesFor is PlainValues for a test, which it fails on a bad column or
// filter.
func ValuesFor(t testing.TB, all *stats.Table, column, where string) []float64 {
	t.Helper()
	out, err := PlainValues(all, column, where)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Example is the example federation as a package's tests use it.
type Example struct {
	// Dir is the example federation's folder, relative to the package.
	Dir string
	bin string
}

// Main is a TestMain for the package: RunTests with the node binary kept
// for Start.
func (e *Example) Main(m *testing.M, module string) int { return RunTests(m, module, &e.bin) }

// Start starts the example federation for one test or benchmark, and stops
// it when that ends.
func (e *Example) Start(t testing.TB) *Federation { t.Helper(); return ExampleFor(t, e.bin, e.Dir) }

// Pooled is every example hospital's patients in one table.
func (e *Example) Pooled(t testing.TB) *stats.Table { t.Helper(); return PooledFor(t, e.Dir) }
