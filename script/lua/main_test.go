package lua_test

import (
	"os"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

var nodeBin string

func TestMain(m *testing.M) { os.Exit(fedrun.RunTests(m, "../..", &nodeBin)) }

const exampleDir = "../../examples/federation"

func federation(t testing.TB) *fedrun.Federation {
	t.Helper()
	return fedrun.ExampleFor(t, nodeBin, exampleDir)
}

func pooled(t *testing.T) *stats.Table { t.Helper(); return fedrun.PooledFor(t, exampleDir) }

// values returns a numeric column's pooled values where a filter holds,
// sorted.
func values(t *testing.T, all *stats.Table, column, where string) []float64 {
	t.Helper()
	return fedrun.ValuesFor(t, all, column, where)
}
