package lua_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
)

// TestLuaErrorsWrapTheNode: a DSL error that ends a cell is the one the
// fsc call raised, wrapping what the node said; a 401 of the analyst's own
// node is an AuthError.
func TestLuaErrorsWrapTheNode(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error": "a bearer token is required"}`))
	}))
	defer node.Close()
	l := lua.New(script.NewEnv(node.URL, "", script.Output{}))
	defer l.Close()
	_, err := l.Execute(context.Background(), `fsc.table("patients"):count()`)
	var e *script.Error
	var ce *client.Error
	if !errors.As(err, &e) || e.Kind != script.AuthError || !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
		t.Errorf("a 401: %v, want an AuthError wrapping the node's 401", err)
	}
	mime, err := l.Execute(context.Background(), `select(2, pcall(function() return fsc.table("patients"):count() end)).name`)
	if err != nil || mime["text/plain"] != "AuthError" {
		t.Errorf("the error's name: %v %v", mime, err)
	}
}
