package python_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/script"
)

// TestPythonErrorsWrapTheNode: a DSL error that ends a cell is the one the
// fsc call raised, wrapping what the node said; a 401 of the analyst's own
// node is an AuthError, which a cell catches as an InputError.
func TestPythonErrorsWrapTheNode(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error": "a bearer token is required"}`))
	}))
	defer node.Close()
	s := newPySession(t, node.URL)
	e := s.fail(t, "fsc.table('patients').count()")
	var ce *client.Error
	if e.Kind != script.AuthError || !strings.Contains(e.Msg, "FSC_TOKEN") || !errors.As(e, &ce) || ce.Status != http.StatusUnauthorized {
		t.Errorf("a 401: %s: %s (wraps the node's 401: %v)", e.Kind, e.Msg, ce != nil)
	}
	got := s.run(t, "try:\n    fsc.table('patients').count()\n    r = 'no error'\nexcept fsc.InputError as e:\n    r = type(e).__name__\nr")
	if got["text/plain"] != "'AuthError'" {
		t.Errorf("caught as an InputError: %v", got)
	}
}
