package gpyext

import (
	"os"
	"strings"
	"testing"
)

// TestVMHooked checks that the VM hooks that stop a cancelled cell in
// place are installed: they are not when gpython's version or layout
// differs from the one they were written for.
func TestVMHooked(t *testing.T) {
	if !hooked {
		t.Fatalf("the gpython VM hooks are off (gpython %q, want %s): cancellation would restart the interpreter", gpythonVersion(), hookedVersion)
	}
	// A test binary does not record its modules' versions: read go.mod.
	mod, err := os.ReadFile("../../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "github.com/go-python/gpython "+hookedVersion+"\n") {
		t.Fatalf("go.mod does not pin gpython %s, the version whose internals vm.go hooks", hookedVersion)
	}
}
