package mpc

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// FieldPrime is the Mersenne prime p = 2^61 − 1, the modulus of Fp.
const FieldPrime = 1<<61 - 1

// Fp is an element of the prime field Z_p with p = FieldPrime, always held
// reduced, in [0, p). Honest-majority secret sharing (Shamir) works over
// this field. Addition, subtraction and multiplication run in constant time;
// reduction uses p = 2^61 − 1: 2^61 ≡ 1 (mod p), so a wide value reduces by
// adding its 61-bit limbs.
type Fp uint64

// reduce61 maps x < 2^62 + 2^61 to x mod p without a data-dependent branch.
func reduce61(x uint64) Fp {
	x = (x & FieldPrime) + (x >> 61) // < 2^61 + 4
	return condSub(x)
}

// condSub returns x − p when x ≥ p, else x, for x < 2p, in constant time.
func condSub(x uint64) Fp {
	y := x - FieldPrime
	mask := uint64(int64(y) >> 63) // all ones when x < p
	return Fp(y ^ ((y ^ x) & mask))
}

// NewFp returns v mod p; a negative v becomes p − |v| mod p.
func NewFp(v int64) Fp {
	if v >= 0 {
		return reduce61(uint64(v))
	}
	return reduce61(uint64(-(v + 1))).Neg().Sub(1)
}

// Int returns the signed representative of a in (−p/2, p/2): a value
// above (p−1)/2 is read as a − p.
func (a Fp) Int() int64 {
	if uint64(a) > FieldPrime/2 {
		return int64(a) - FieldPrime
	}
	return int64(a)
}

// Add returns a + b mod p.
func (a Fp) Add(b Fp) Fp { return condSub(uint64(a) + uint64(b)) }

// Sub returns a − b mod p.
func (a Fp) Sub(b Fp) Fp { return condSub(uint64(a) + FieldPrime - uint64(b)) }

// Neg returns −a mod p.
func (a Fp) Neg() Fp { return condSub(FieldPrime - uint64(a)) }

// Mul returns a·b mod p. The 122-bit product splits into its low 61 bits
// and the rest, whose sum is congruent to it.
func (a Fp) Mul(b Fp) Fp {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return reduce61((lo & FieldPrime) + (hi<<3 | lo>>61))
}

// Pow returns a^e mod p (square and multiply; e is public).
func (a Fp) Pow(e uint64) Fp {
	r := Fp(1)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = r.Mul(a)
		}
		a = a.Mul(a)
	}
	return r
}

// Inv returns the inverse of a, a^(p−2); the inverse of 0 is 0.
func (a Fp) Inv() Fp { return a.Pow(FieldPrime - 2) }

// Sqrt returns a square root of a when a is a square, a^((p+1)/4) =
// a^(2^59) since p ≡ 3 (mod 4); ok reports whether a is a square.
func (a Fp) Sqrt() (r Fp, ok bool) {
	r = a
	for range 59 {
		r = r.Mul(r)
	}
	return r, r.Mul(r) == a
}

// BatchInv replaces every element of v by its inverse with one field
// inversion (Montgomery's trick). Every element must be non-zero.
func BatchInv(v []Fp) {
	if len(v) == 0 {
		return
	}
	prefix := make([]Fp, len(v))
	acc := Fp(1)
	for i, x := range v {
		prefix[i] = acc
		acc = acc.Mul(x)
	}
	inv := acc.Inv()
	for i := len(v) - 1; i >= 0; i-- {
		v[i], inv = inv.Mul(prefix[i]), inv.Mul(v[i])
	}
}

// RandomFp fills out with uniform field elements read from rng, which
// must be a CSPRNG: 61 random bits each, the one value p redrawn.
func RandomFp(rng io.Reader, out []Fp) error {
	buf := make([]byte, 8*len(out))
	for len(out) > 0 {
		if _, err := io.ReadFull(rng, buf[:8*len(out)]); err != nil {
			return fmt.Errorf("random field elements: %w", err)
		}
		kept := 0
		for i := range out {
			x := binary.LittleEndian.Uint64(buf[8*i:]) & FieldPrime
			if x != FieldPrime {
				out[kept] = Fp(x)
				kept++
			}
		}
		out = out[kept:]
	}
	return nil
}

// encodeFp writes field elements as little-endian 64-bit words.
func encodeFp(v []Fp) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return b
}

// decodeFp reads want field elements written by encodeFp and rejects any
// word that is not a reduced field element.
func decodeFp(b []byte, want int) ([]Fp, error) {
	if len(b) != 8*want {
		return nil, fmt.Errorf("expected %d field elements (%d bytes), got %d bytes", want, 8*want, len(b))
	}
	v := make([]Fp, want)
	for i := range v {
		x := binary.LittleEndian.Uint64(b[8*i:])
		if x >= FieldPrime {
			return nil, fmt.Errorf("element %d is %d, not below the field prime", i, x)
		}
		v[i] = Fp(x)
	}
	return v, nil
}
