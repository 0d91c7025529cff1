package mpc

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// fieldSamples returns random elements plus the edges of the field.
func fieldSamples(rng *rand.Rand, n int) []Fp {
	out := []Fp{0, 1, 2, FieldPrime - 1, FieldPrime - 2, FieldPrime / 2, FieldPrime/2 + 1, 1 << 60, 1<<32 - 1}
	for range n {
		out = append(out, Fp(rng.Uint64N(FieldPrime)))
	}
	return out
}

func TestFieldMatchesBigInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := big.NewInt(FieldPrime)
	xs := fieldSamples(rng, 200)
	for _, a := range xs {
		for _, b := range xs[:60] {
			A, B := new(big.Int).SetUint64(uint64(a)), new(big.Int).SetUint64(uint64(b))
			check := func(op string, got Fp, want *big.Int) {
				t.Helper()
				want.Mod(want, p)
				if uint64(got) != want.Uint64() || uint64(got) >= FieldPrime {
					t.Fatalf("%d %s %d = %d, want %d", a, op, b, got, want)
				}
			}
			check("+", a.Add(b), new(big.Int).Add(A, B))
			check("-", a.Sub(b), new(big.Int).Sub(A, B))
			check("*", a.Mul(b), new(big.Int).Mul(A, B))
		}
	}
}

func TestFieldProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	xs := fieldSamples(rng, 300)
	for i, a := range xs {
		b, c := xs[(i+7)%len(xs)], xs[(i+31)%len(xs)]
		switch {
		case a.Add(b) != b.Add(a), a.Mul(b) != b.Mul(a):
			t.Fatalf("not commutative at %d, %d", a, b)
		case a.Mul(b.Add(c)) != a.Mul(b).Add(a.Mul(c)):
			t.Fatalf("not distributive at %d, %d, %d", a, b, c)
		case a.Mul(b).Mul(c) != a.Mul(b.Mul(c)):
			t.Fatalf("not associative at %d, %d, %d", a, b, c)
		case a.Add(a.Neg()) != 0, a.Sub(b).Add(b) != a:
			t.Fatalf("negation or subtraction wrong at %d, %d", a, b)
		}
		if a != 0 && a.Mul(a.Inv()) != 1 {
			t.Fatalf("%d · %d ≠ 1", a, a.Inv())
		}
		sq := a.Mul(a)
		r, ok := sq.Sqrt()
		if !ok || (r != a && r != a.Neg()) {
			t.Fatalf("sqrt(%d²) = %d, %v", a, r, ok)
		}
	}
	// −1 is not a square when p ≡ 3 (mod 4).
	if _, ok := Fp(FieldPrime - 1).Sqrt(); ok {
		t.Fatal("−1 reported as a square")
	}
	v := xs[1:50]
	want := make([]Fp, len(v))
	for i, x := range v {
		want[i] = x.Inv()
	}
	BatchInv(v)
	for i := range v {
		if v[i] != want[i] {
			t.Fatalf("BatchInv element %d: %d, want %d", i, v[i], want[i])
		}
	}
}

func TestFieldSignedRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 42, -42, 1 << 40, -(1 << 40), FieldPrime / 2, -(FieldPrime / 2), 1<<59 + 3, -(1 << 59)} {
		if got := NewFp(v).Int(); got != v {
			t.Errorf("NewFp(%d).Int() = %d", v, got)
		}
	}
	if NewFp(FieldPrime) != 0 || NewFp(-FieldPrime) != 0 || NewFp(FieldPrime+5) != 5 {
		t.Error("NewFp does not reduce multiples of p")
	}
}

func TestDecodeFpRejectsUnreduced(t *testing.T) {
	b := encodeFp([]Fp{1, 2})
	b[15] = 0xff // second word ≥ p
	if _, err := decodeFp(b, 2); err == nil {
		t.Fatal("unreduced element accepted")
	}
	if _, err := decodeFp(b[:15], 2); err == nil {
		t.Fatal("short body accepted")
	}
}

func TestDotMatchesProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	xs := fieldSamples(rng, 200)
	for n := 0; n <= MaxParties; n++ {
		a, b := make([]Fp, n), make([]Fp, n)
		var want Fp
		for i := range n {
			a[i], b[i] = xs[rng.IntN(len(xs))], xs[rng.IntN(len(xs))]
			if n == MaxParties {
				a[i], b[i] = FieldPrime-1, FieldPrime-1 // the largest sum
			}
			want = want.Add(a[i].Mul(b[i]))
		}
		if got := Dot(a, b); got != want {
			t.Fatalf("n=%d: Dot = %d, want %d", n, got, want)
		}
	}
}

// TestSqrtVec: the vector square roots are Sqrt's, element by element,
// for squares, non-squares, 0, 1 and p−1, at every length around the
// blocks of four; a non-square anywhere is reported.
func TestSqrtVec(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n := range 11 {
		v := make([]Fp, n)
		for k := range v {
			switch k {
			case 0:
				v[k] = 0
			case 1:
				v[k] = 1
			case 2:
				v[k] = FieldPrime - 1
			default:
				v[k] = NewFp(rng.Int64()).Mul(NewFp(rng.Int64()))
			}
		}
		roots := make([]Fp, n)
		allSquares := SqrtVec(v, roots)
		want := true
		for k, x := range v {
			r, ok := x.Sqrt()
			want = want && ok
			if roots[k] != r {
				t.Fatalf("n=%d: root of %d is %d, Sqrt gives %d", n, x, roots[k], r)
			}
		}
		if allSquares != want {
			t.Fatalf("n=%d: SqrtVec reports squares=%v, Sqrt %v", n, allSquares, want)
		}
		for k := range v {
			v[k] = v[k].Mul(v[k])
		}
		if !SqrtVec(v, roots) {
			t.Fatalf("n=%d: squares reported as non-squares", n)
		}
	}
}
