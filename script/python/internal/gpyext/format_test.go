package gpyext

import (
	"testing"

	"github.com/go-python/gpython/py"
)

// FuzzPyFormat: str.format never panics, whatever the format string.
func FuzzPyFormat(f *testing.F) {
	for _, seed := range []string{"{}", "{0:>{1}}", "{k:,.2f}", "{:08_x}", "{!r:^9}", "{0[0]}", "{:%}", "{:.3}", "{{}}", "{:c}", "{:=+#010,.3e}"} {
		f.Add(seed)
	}
	args := py.Tuple{py.Int(1234), py.Float(-2.5), py.String("s"), py.True, py.NewListFromItems([]py.Object{py.Int(1)})}
	f.Fuzz(func(t *testing.T, format string) {
		formatString(format, args, py.StringDict{"k": py.Float(1e300)})
	})
}

// A field of a sign and digits names a keyword, as in Python: "{-1}" is
// a KeyError, not the last positional argument.
func TestFormatSignedFieldIsAKeyword(t *testing.T) {
	for _, f := range []string{"{-1}", "{+0}"} {
		_, err := formatString(f, py.Tuple{py.Int(7)}, nil)
		if err == nil || !py.IsException(py.KeyError, err) {
			t.Errorf("%q: %v, want a KeyError", f, err)
		}
	}
}
