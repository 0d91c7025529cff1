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
