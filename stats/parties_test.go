package stats

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
)

// plainParties runs a statistic at m parties in one process. Sums are
// plain float64 additions; the first party decides (or every party, when
// open is true, as in the FSC way where every party gets the answer).
type plainParties struct {
	m       int
	open    bool
	minCell int

	mu     sync.Mutex
	round  int
	sums   map[int][]float64
	wide   map[int][]*big.Int
	got    map[int]int
	cond   *sync.Cond
	failed error
}

func newPlainParties(m int, open bool) *plainParties {
	p := &plainParties{m: m, open: open, sums: map[int][]float64{}, wide: map[int][]*big.Int{}, got: map[int]int{}}
	p.cond = sync.NewCond(&p.mu)
	return p
}

type plainParty struct {
	p     *plainParties
	i     int
	round int
}

// exchange adds v into this round's total and waits for every party.
func (q *plainParty) exchange(v []float64) ([]float64, error) {
	p := q.p
	p.mu.Lock()
	defer p.mu.Unlock()
	r := q.round
	q.round++
	if p.failed != nil {
		return nil, p.failed
	}
	if s, ok := p.sums[r]; !ok {
		p.sums[r] = append([]float64(nil), v...)
	} else if len(v) != len(s) {
		p.failed = fmt.Errorf("party %d sent %d values in round %d, others %d", q.i, len(v), r, len(s))
		p.cond.Broadcast()
		return nil, p.failed
	} else {
		for j := range v {
			s[j] += v[j]
		}
	}
	p.got[r]++
	p.cond.Broadcast()
	for p.got[r] < p.m && p.failed == nil {
		p.cond.Wait()
	}
	if p.failed != nil {
		return nil, p.failed
	}
	return p.sums[r], nil
}

func (q *plainParty) Sum(ctx context.Context, v []float64) ([]float64, error) {
	s, err := q.exchange(v)
	if err != nil || !q.Decider() {
		return nil, err
	}
	return append([]float64(nil), s...), nil
}

// SumWide adds v exactly into this round's total, after checking it keeps
// the engine's contract (the same width everywhere, |v| < 2^bits), and
// waits for every party.
func (q *plainParty) SumWide(ctx context.Context, v []*big.Int, bits int) ([]*big.Int, error) {
	p := q.p
	p.mu.Lock()
	defer p.mu.Unlock()
	r := q.round
	q.round++
	fail := func(err error) ([]*big.Int, error) {
		if p.failed == nil {
			p.failed = err
		}
		p.cond.Broadcast()
		return nil, p.failed
	}
	if p.failed != nil {
		return nil, p.failed
	}
	for j, x := range v {
		if x.BitLen() > bits {
			return fail(fmt.Errorf("party %d: wide integer %d has %d bits, more than %d", q.i, j, x.BitLen(), bits))
		}
	}
	// The width travels as an extra element, so parties that disagree on
	// it fail as parties that disagree on the length.
	s, ok := p.wide[r]
	switch {
	case !ok:
		s = []*big.Int{big.NewInt(int64(bits))}
		for _, x := range v {
			s = append(s, new(big.Int).Set(x))
		}
		p.wide[r] = s
	case len(v) != len(s)-1 || s[0].Int64() != int64(bits):
		return fail(fmt.Errorf("party %d sent %d wide integers of %d bits in round %d, others %d of %s", q.i, len(v), bits, r, len(s)-1, s[0]))
	default:
		for j, x := range v {
			s[j+1].Add(s[j+1], x)
		}
	}
	p.got[r]++
	p.cond.Broadcast()
	for p.got[r] < p.m && p.failed == nil {
		p.cond.Wait()
	}
	if p.failed != nil {
		return nil, p.failed
	}
	if !q.Decider() {
		return nil, nil
	}
	out := make([]*big.Int, len(v))
	for j := range out {
		out[j] = new(big.Int).Set(s[j+1])
	}
	return out, nil
}

func (q *plainParty) Decide(ctx context.Context, v []float64) ([]float64, error) {
	if q.p.open {
		return v, nil
	}
	if !q.Decider() {
		v = nil
	}
	// Only the decider's vector is non-nil; the others add nothing.
	if v == nil {
		v = []float64{}
	}
	p := q.p
	p.mu.Lock()
	r := q.round
	q.round++
	if len(v) > 0 || p.sums[r] == nil {
		if len(v) > 0 {
			p.sums[r] = append([]float64(nil), v...)
		}
	}
	p.got[r]++
	p.cond.Broadcast()
	for p.got[r] < p.m && p.failed == nil {
		p.cond.Wait()
	}
	defer p.mu.Unlock()
	if p.failed != nil {
		return nil, p.failed
	}
	return append([]float64(nil), p.sums[r]...), nil
}

func (q *plainParty) Decider() bool { return q.p.open || q.i == 0 }

var errPlainRefused = errors.New("refused")

func (q *plainParty) Check(what string, counts []float64) error {
	for _, c := range counts {
		if c >= 1 && c < float64(q.p.minCell) {
			err := fmt.Errorf("party %d: %w: min_cell=%d on a %s", q.i, errPlainRefused, q.p.minCell, what)
			q.p.mu.Lock()
			if q.p.failed == nil {
				q.p.failed = err
			}
			q.p.cond.Broadcast()
			q.p.mu.Unlock()
			return err
		}
	}
	return nil
}

// run runs f at every party and returns each party's result and error.
func (p *plainParties) run(t testing.TB, f func(c Combiner, i int) (map[string]any, error)) ([]map[string]any, []error) {
	t.Helper()
	out := make([]map[string]any, p.m)
	errs := make([]error, p.m)
	var wg sync.WaitGroup
	for i := 0; i < p.m; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = f(&plainParty{p: p, i: i}, i)
			if errs[i] != nil {
				p.mu.Lock()
				if p.failed == nil {
					p.failed = errs[i]
				}
				p.cond.Broadcast()
				p.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, errs
}

func TestPlainPartiesAddAndDecide(t *testing.T) {
	p := newPlainParties(3, false)
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		s, err := c.Sum(context.Background(), []float64{float64(i), 1})
		if err != nil {
			return nil, err
		}
		var next []float64
		if c.Decider() {
			next = []float64{s[0] * 10}
		}
		d, err := c.Decide(context.Background(), next)
		if err != nil {
			return nil, err
		}
		return map[string]any{"decided": d[0]}, nil
	})
	for i := range out {
		if errs[i] != nil || out[i]["decided"] != 30.0 {
			t.Fatalf("party %d: %v %v", i, out[i], errs[i])
		}
	}
}
