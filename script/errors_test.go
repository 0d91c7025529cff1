package script_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
)

// TestErrorsWrapTheNode: in both languages, a DSL error that ends a cell
// is the one the fsc call raised, wrapping what the node said, and a 401
// of the analyst's own node is an AuthError (which Python catches as an
// InputError).
func TestErrorsWrapTheNode(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error": "a bearer token is required"}`))
	}))
	defer node.Close()
	ctx := context.Background()
	for _, c := range []struct {
		start        script.Start
		count, catch string
	}{
		{python.Start, "fsc.table('patients').count()",
			"try:\n    fsc.table('patients').count()\n    r = 'no error'\nexcept fsc.InputError as e:\n    r = type(e).__name__\nr"},
		{lua.Start, `fsc.table("patients"):count()`,
			`select(2, pcall(function() return fsc.table("patients"):count() end)).name`},
	} {
		rt, err := c.start(script.NewEnv(node.URL, "", script.Output{}))
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		name := rt.Language().Name
		_, err = rt.Execute(ctx, c.count)
		var e *script.Error
		var ce *client.Error
		if !errors.As(err, &e) || e.Kind != script.AuthError || !strings.Contains(e.Msg, "FSC_TOKEN") || !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
			t.Errorf("%s: a 401: %v, want an AuthError wrapping the node's 401", name, err)
		}
		if mime, err := rt.Execute(ctx, c.catch); err != nil || strings.Trim(mime["text/plain"], "'") != script.AuthError {
			t.Errorf("%s: the caught error: %v %v", name, mime, err)
		}
	}
}
