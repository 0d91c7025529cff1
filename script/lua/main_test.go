package lua_test

import (
	"os"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
)

// example is the example federation the tests start as real nodes.
var example = &fedrun.Example{Dir: "../../examples/federation"}

func TestMain(m *testing.M) { os.Exit(example.Main(m, "../..")) }
