package node_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// TestMedianLeaksNoSiteValue records every message of a median computation
// among three parties (the leader alone decides, as for dataset-backed
// queries) and looks in every message body for each site's own count,
// minimum and maximum, in every encoding the engine uses: the float64 bits,
// the fixed-point words, and the count as an integer.
func TestMedianLeaksNoSiteValue(t *testing.T) {
	parties := []string{"hospital-a", "hospital-b", "hospital-c"}
	net := mpc.NewLocalNetwork(parties...)
	var mu sync.Mutex
	var bodies [][]byte
	net.Tap = func(m *mpc.Message) {
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, append([]byte(nil), m.Body...))
	}
	rng := rand.New(rand.NewPCG(7, 11))
	data := make([][]float64, 3)
	var all []float64
	for i, n := range []int{1201, 1733, 2857} {
		for j := 0; j < n; j++ {
			data[i] = append(data[i], math.Round((40+rng.NormFloat64()*12)*1000)/1000)
		}
		all = append(all, data[i]...)
	}
	var wg sync.WaitGroup
	results := make([][]float64, 3)
	errs := make([]error, 3)
	for i, p := range parties {
		s, err := net.Hub(p).Open(mpc.Config{ID: "median", Parties: parties, Timeout: 10 * time.Second}, net)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			c := &mpc.Combiner{Session: s, Deciders: parties[:1]}
			results[i], errs[i] = stats.Quantiles(context.Background(), c, data[i], []float64{0.5})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i, err)
		}
	}
	slices.Sort(all)
	if want := stats.QuantileSorted(all, 0.5); results[0][0] != want {
		t.Fatalf("median %v, want %v", results[0][0], want)
	}
	if results[1] != nil || results[2] != nil {
		t.Fatal("a member that does not decide got the answer")
	}
	if len(bodies) == 0 {
		t.Fatal("no messages recorded")
	}

	secrets := map[string][]byte{}
	word := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	for i, x := range data {
		lo, hi := slices.Min(x), slices.Max(x)
		secrets[fmt.Sprintf("%s count", parties[i])] = word(uint64(len(x)))
		for name, v := range map[string]float64{"minimum": lo, "maximum": hi} {
			secrets[fmt.Sprintf("%s %s bits", parties[i], name)] = word(math.Float64bits(v))
			enc, err := mpc.EncodeReals([]float64{v})
			if err != nil {
				t.Fatal(err)
			}
			secrets[fmt.Sprintf("%s %s fixed point", parties[i], name)] = append(word(enc[0]), word(enc[1])...)
		}
	}
	for name, secret := range secrets {
		for k, b := range bodies {
			for off := 0; off+len(secret) <= len(b); off += 8 {
				if bytes.Equal(b[off:off+len(secret)], secret) {
					t.Errorf("%s appears in clear in message %d at byte %d", name, k, off)
				}
			}
		}
	}
}
