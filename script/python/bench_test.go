package python_test

import (
	"context"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/python"
)

// BenchmarkPythonMean is t.mean("age") through the Python runtime (compare
// BenchmarkMean: the same computation through mpc/client and Lua).
func BenchmarkPythonMean(b *testing.B) {
	fed := example.Start(b)
	ctx := context.Background()
	p, err := python.New(script.NewEnv(fed.Nodes[0].URL, "", script.Output{}))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Execute(ctx, `t = fsc.table("patients")`); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := p.Execute(ctx, `t.mean("age")`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPythonStart measures a runtime's start-up: a gpython context
// with the fsc, json and time modules bound.
func BenchmarkPythonStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		p, err := python.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{}))
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkPythonLoop is a cell of pure Python: a million iterations of a
// loop (the VM hooks that make cells cancellable run on every one).
func BenchmarkPythonLoop(b *testing.B) {
	p, err := python.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{}))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < b.N; i++ {
		if _, err := p.Execute(context.Background(), "n = 0\nfor i in range(1000000):\n    n += i"); err != nil {
			b.Fatal(err)
		}
	}
}
