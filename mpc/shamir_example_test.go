package mpc_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// Three members each hold a count of a cell. They check the pooled count
// against min_cell inside MPC and open only the verdict: nobody learns the
// pooled count, nor another member's count.
func ExampleShamir_GreaterEqualPublic() {
	members := []string{"hospital-a", "hospital-b", "hospital-c"}
	counts := []int64{1, 2, 1} // pooled: 4
	const minCell = 5
	net := mpc.NewLocalNetwork(members...)
	verdicts := make([]mpc.Fp, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		s, err := net.Hub(m).Open(mpc.Config{ID: "cell-check", Parties: members}, net)
		if err != nil {
			panic(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			ctx := context.Background()
			sh, err := mpc.NewShamir(s)
			if err != nil {
				panic(err)
			}
			shared, err := sh.InputAll(ctx, mpc.PublicVec([]int64{counts[i]}))
			if err != nil {
				panic(err)
			}
			pooled := shared[0]
			for _, c := range shared[1:] {
				pooled = mpc.AddVec(pooled, c)
			}
			pass, err := sh.GreaterEqualPublic(ctx, pooled, minCell)
			if err != nil {
				panic(err)
			}
			v, err := sh.Open(ctx, pass)
			if err != nil {
				panic(err)
			}
			verdicts[i] = v[0]
		}()
	}
	wg.Wait()
	fmt.Println("passes min_cell at every member:", verdicts)
	// Output: passes min_cell at every member: [0 0 0]
}
