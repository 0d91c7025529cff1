package script_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
)

// TestProgressNamesTheMemberWaitedFor: while a member does not answer
// (hospital-c is frozen), the analyst's progress names it; when it
// answers again, the statistic comes.
func TestProgressNamesTheMemberWaitedFor(t *testing.T) {
	fed := federation(t)
	c := fed.Nodes[2]
	if err := syscall.Kill(c.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			syscall.Kill(c.Pid(), syscall.SIGCONT)
		}
	}()
	var log progressLog
	l := lua.New(script.NewEnv(fed.Nodes[0].URL, "", log.output()))
	defer l.Close()
	got := make(chan error, 1)
	go func() {
		_, err := l.Execute(context.Background(), `fsc.table("patients"):median("age")`)
		got <- err
	}()
	log.waitFor(t, "computing the median of age — waiting for hospital-c")
	if err := syscall.Kill(c.Pid(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
