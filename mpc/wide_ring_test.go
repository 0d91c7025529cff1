package mpc

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// wideTestInt returns a random integer with |v| < 2^bits, the extremes
// ±(2^bits - 1) and 0 more often than chance.
func wideTestInt(rng *rand.Rand, bits int) *big.Int {
	max := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	max.Sub(max, big.NewInt(1))
	var v *big.Int
	switch rng.IntN(8) {
	case 0:
		v = new(big.Int).Set(max)
	case 1:
		v = big.NewInt(0)
	default:
		b := make([]byte, (bits+7)/8)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		v = new(big.Int).SetBytes(b)
		v.Rsh(v, uint(rng.IntN(bits)))
		v.And(v, max)
	}
	if rng.IntN(2) == 0 {
		v.Neg(v)
	}
	return v
}

func TestWideRingSplitAddsUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := rand.NewChaCha8([32]byte{1})
	for _, limbs := range []int{1, 2, 3, 34} {
		for n := 1; n <= 7; n++ {
			secret := make([]uint64, 5*limbs)
			for i := range secret {
				secret[i] = rng.Uint64()
			}
			shares, err := SplitWide(src, secret, limbs, n)
			if err != nil {
				t.Fatal(err)
			}
			sum := make([]uint64, len(secret))
			for _, s := range shares {
				AddWideInto(sum, s, limbs)
			}
			for i := range sum {
				if sum[i] != secret[i] {
					t.Fatalf("limbs=%d n=%d: word %d of the sum of shares is %#x, want %#x", limbs, n, i, sum[i], secret[i])
				}
			}
		}
	}
	if _, err := SplitWide(src, make([]uint64, 3), 2, 3); err == nil {
		t.Error("SplitWide accepted 3 words as elements of 2 limbs")
	}
}

// TestWideRingCarries checks the ring arithmetic against math/big: sums
// and differences of random elements modulo 2^(64·limbs).
func TestWideRingCarries(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, limbs := range []int{2, 3, 14} {
		mod := new(big.Int).Lsh(big.NewInt(1), uint(64*limbs))
		bits := 64*limbs - wideHeadroom
		for range 200 {
			a, b := wideTestInt(rng, bits), wideTestInt(rng, bits)
			wa, err := EncodeWide([]*big.Int{a}, bits)
			if err != nil {
				t.Fatal(err)
			}
			wb, _ := EncodeWide([]*big.Int{b}, bits)
			sum := append([]uint64(nil), wa...)
			AddWideInto(sum, wb, limbs)
			diff := append([]uint64(nil), wa...)
			SubWideInto(diff, wb, limbs)
			for _, c := range []struct {
				name string
				got  []uint64
				want *big.Int
			}{{"a+b", sum, new(big.Int).Add(a, b)}, {"a-b", diff, new(big.Int).Sub(a, b)}} {
				got, err := DecodeWide(c.got, bits)
				if err != nil {
					t.Fatal(err)
				}
				g := new(big.Int).Mod(got[0], mod)
				w := new(big.Int).Mod(c.want, mod)
				if g.Cmp(w) != 0 {
					t.Fatalf("limbs=%d: %s with a=%v b=%v: got %v", limbs, c.name, a, b, got[0])
				}
			}
		}
	}
}

func TestWideIntRoundTripAndLimits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, bits := range []int{1, 56, 57, 58, 63, 64, 120, 121, 122, 840, 2140} {
		v := make([]*big.Int, 50)
		for i := range v {
			v[i] = wideTestInt(rng, bits)
		}
		w, err := EncodeWide(v, bits)
		if err != nil {
			t.Fatalf("bits=%d: %v", bits, err)
		}
		if len(w) != len(v)*WideLimbs(bits) || 64*WideLimbs(bits) < bits+wideHeadroom {
			t.Fatalf("bits=%d: %d words for %d integers", bits, len(w), len(v))
		}
		got, err := DecodeWide(w, bits)
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			if got[i].Cmp(v[i]) != 0 {
				t.Fatalf("bits=%d: integer %d: %v came back as %v", bits, i, v[i], got[i])
			}
		}
		limit := new(big.Int).Lsh(big.NewInt(1), uint(bits))
		for _, bad := range []*big.Int{limit, new(big.Int).Neg(limit)} {
			if _, err := EncodeWide([]*big.Int{big.NewInt(0), bad}, bits); err == nil || !strings.Contains(err.Error(), "integer 1") {
				t.Errorf("bits=%d: EncodeWide(±2^bits): error %v, want one naming integer 1", bits, err)
			}
		}
	}
	for _, bits := range []int{0, -1, MaxWideBits + 1} {
		if _, err := EncodeWide(nil, bits); err == nil {
			t.Errorf("EncodeWide accepted a width of %d bits", bits)
		}
	}
	if _, err := EncodeWide([]*big.Int{nil}, 8); err == nil {
		t.Error("EncodeWide accepted a missing integer")
	}
	if _, err := DecodeWide(make([]uint64, 3), 100); err == nil {
		t.Errorf("DecodeWide accepted 3 words as elements of %d limbs", WideLimbs(100))
	}
}
