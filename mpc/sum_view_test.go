package mpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// What a party sees in a secure sum.
//
// A party's view is every message it receives (by sender and step) and the
// total it opens. A sum hides everything but the total when, for any two
// input vectors with the same total, the views can be matched one to one
// with equal probability: that is, when shifting the parties' random
// shares by the differences of their inputs turns one run into the other
// with the party's view unchanged. The tests below run that shift: both
// runs draw the same random bytes, except that in the second each party i
// adds delta_i = x'_i - x_i to the share it draws for some party k that is
// not the observer. Party k's partial sum then moves by Σ delta_i, which
// is 0 exactly when the wide totals agree: every message the observer
// receives is the same, byte for byte. Summed limb by limb without carries
// (the old two-word reals), Σ delta_i is not 0 limb by limb, and the check
// finds views that differ.

// shiftedStream is a party's randomness in the second run: the bytes of
// src, with delta added (as wide elements of limbs words) to the block of
// bytes SplitWide draws for the share of one party.
type shiftedStream struct {
	src   io.Reader
	off   int // bytes read so far
	from  int // first byte of the shifted share
	delta []uint64
	limbs int
}

func (r *shiftedStream) Read(p []byte) (int, error) {
	n, err := io.ReadFull(r.src, p)
	start, size := r.off, 8*len(r.delta)
	r.off += n
	if r.off <= r.from || start >= r.from+size {
		return n, err
	}
	if start != r.from || n != size {
		return n, fmt.Errorf("test stream: a read of bytes [%d, %d) cuts the share at [%d, %d): shares are no longer drawn one read each, in party order", start, r.off, r.from, r.from+size)
	}
	w := make([]uint64, len(r.delta))
	for j := range w {
		w[j] = binary.LittleEndian.Uint64(p[8*j:])
	}
	AddWideInto(w, r.delta, r.limbs)
	for j, x := range w {
		binary.LittleEndian.PutUint64(p[8*j:], x)
	}
	return n, err
}

// sumView is what one party saw in one secure sum.
type sumView struct {
	received map[string][]byte // by "sender step"
	opened   []uint64
}

// viewRun runs one secure sum of the parties' encoded inputs, limbs words
// an element, party i's shares drawn from rngs[i], every party revealing,
// and returns each party's view.
func viewRun(t *testing.T, inputs [][]uint64, limbs int, rngs []io.Reader) []sumView {
	t.Helper()
	parties := partyNames(len(inputs))
	net := NewLocalNetwork(parties...)
	views := make([]sumView, len(parties))
	var mu sync.Mutex
	for i := range views {
		views[i].received = map[string][]byte{}
	}
	net.Tap = func(m *Message) {
		mu.Lock()
		defer mu.Unlock()
		views[slices.Index(parties, m.To)].received[m.From+" "+m.Step] = slices.Clone(m.Body)
	}
	opened, errs := runParties(t, net, newID(), parties, 5*time.Second, func(s *Session, i int) ([]uint64, error) {
		return secureSumWide(context.Background(), s, rngs[i], inputs[i], limbs, parties)
	})
	for i := range parties {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
		views[i].opened = opened[i]
		// n-1 shares and n-1 partial sums: the view is not empty.
		if got := len(views[i].received); got != 2*(len(parties)-1) {
			t.Fatalf("party %d received %d messages, want %d", i, got, 2*(len(parties)-1))
		}
	}
	return views
}

// coupledViewsDiffer runs the sum of a and of b (encoded, with the same
// total) and, for each observer, the coupled second run; it returns the
// observers whose views differ, and whether the opened totals differ.
func coupledViewsDiffer(t *testing.T, a, b [][]uint64, limbs int) (differ []int, openedDiffer bool) {
	t.Helper()
	n := len(a)
	seed := func(i int) io.Reader { return rand.NewChaCha8([32]byte{byte(i + 1), 42}) }
	fresh := func() []io.Reader {
		r := make([]io.Reader, n)
		for i := range r {
			r[i] = seed(i)
		}
		return r
	}
	for obs := range n {
		// k: a party whose share is drawn at random (not the last, whose
		// share is the remainder) and who is not the observer.
		k := 0
		for k == obs || k == n-1 {
			k++
		}
		first := viewRun(t, a, limbs, fresh())
		rngs := make([]io.Reader, n)
		for i := range rngs {
			delta := slices.Clone(b[i])
			SubWideInto(delta, a[i], limbs)
			rngs[i] = &shiftedStream{src: seed(i), from: k * 8 * len(a[i]), delta: delta, limbs: limbs}
		}
		second := viewRun(t, b, limbs, rngs)
		same := len(first[obs].received) == len(second[obs].received)
		for key, body := range first[obs].received {
			same = same && slices.Equal(body, second[obs].received[key])
		}
		if !same {
			differ = append(differ, obs)
		}
		if !slices.Equal(first[obs].opened, second[obs].opened) {
			openedDiffer = true
		}
	}
	return differ, openedDiffer
}

// encodeEach encodes each party's reals for the engine's sum.
func encodeEach(t *testing.T, values [][]float64) [][]uint64 {
	out := make([][]uint64, len(values))
	for i, v := range values {
		var err error
		if out[i], err = EncodeReals(v); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// twoWords is the former encoding of reals: the fraction and the whole
// part in two words, summed without carries.
func twoWords(values [][]float64) [][]uint64 {
	out := make([][]uint64, len(values))
	for i, v := range values {
		for _, x := range v {
			whole := math.Floor(x)
			out[i] = append(out[i], uint64((x-whole)*fracScale), uint64(int64(whole)))
		}
	}
	return out
}

func TestSumViewsShowOnlyTheTotal(t *testing.T) {
	pairs := []struct {
		name string
		a, b [][]float64
	}{
		// The example: Σ⌊x⌋ 0 against 1, Σfrac(x) 2.25 against 1.25.
		{"issue", [][]float64{{.75}, {.75}, {.75}}, [][]float64{{.25}, {.25}, {1.75}}},
		// Negative and large values, where the low limb wraps, at five
		// parties, two values each.
		{"wrapping", [][]float64{{-0.5, 1}, {3e10 + 0.25, 2}, {-7.75, 3}, {0, 4}, {1e-9, 5}},
			[][]float64{{3e10 - 0.5, 5}, {-10.25, 4}, {2.75, 3}, {1e-9, 2}, {0, 1}}},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, b := encodeEach(t, p.a), encodeEach(t, p.b)
			differ, openedDiffer := coupledViewsDiffer(t, a, b, WordsPerReal)
			if len(differ) > 0 || openedDiffer {
				t.Fatalf("parties %v see different messages (opened totals differ: %v) for inputs with the same total", differ, openedDiffer)
			}
			// What every party opens is the exact total.
			rngs := make([]io.Reader, len(a))
			for i := range rngs {
				rngs[i] = rand.NewChaCha8([32]byte{byte(i)})
			}
			views := viewRun(t, a, WordsPerReal, rngs)
			want := make([]uint64, len(a[0]))
			for _, x := range a {
				AddWideInto(want, x, WordsPerReal)
			}
			for i, v := range views {
				if !slices.Equal(v.opened, want) {
					t.Fatalf("party %d opened %x, want the total %x", i, v.opened, want)
				}
			}
		})
	}
	// Controls: the same check finds the split where limbs are summed
	// apart, so it can fail.
	t.Run("control/two-words", func(t *testing.T) {
		p := pairs[0]
		differ, openedDiffer := coupledViewsDiffer(t, twoWords(p.a), twoWords(p.b), 1)
		if len(differ) == 0 || !openedDiffer {
			t.Fatalf("the two-word sum without carries showed no difference (parties %v, opened %v)", differ, openedDiffer)
		}
	})
	t.Run("control/limbs-apart", func(t *testing.T) {
		p := pairs[1]
		differ, openedDiffer := coupledViewsDiffer(t, encodeEach(t, p.a), encodeEach(t, p.b), 1)
		if len(differ) == 0 || !openedDiffer {
			t.Fatalf("limbs summed apart showed no difference (parties %v, opened %v)", differ, openedDiffer)
		}
	})
}
