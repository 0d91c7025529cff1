package lua_test

import (
	"context"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
)

// BenchmarkMean compares t:mean("age") through the Lua runtime with the
// same computation through mpc/client directly: the difference is the
// runtime's overhead.
func BenchmarkMean(b *testing.B) {
	fed := example.Start(b)
	ctx := context.Background()
	b.Run("client", func(b *testing.B) {
		c := client.New(fed.Nodes[0].URL)
		req := client.Request{Microprotocol: "Moments", Dataset: &client.Dataset{Table: "patients", Column: "age"}}
		for i := 0; i < b.N; i++ {
			if _, err := c.Compute(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lua", func(b *testing.B) {
		l := lua.New(script.NewEnv(fed.Nodes[0].URL, "", script.Output{}))
		defer l.Close()
		if _, err := l.Execute(ctx, `t = fsc.table("patients")`); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if _, err := l.Execute(ctx, `t:mean("age")`); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLuaStart measures a runtime's start-up: a Lua state with the
// fsc module bound.
func BenchmarkLuaStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		lua.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{})).Close()
	}
}
