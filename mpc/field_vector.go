package mpc

import "math/bits"

// Element-wise operations on vectors of field elements. On Shamir shares
// they are the local operations: every party applies the same operation to
// its own shares and holds shares of the result, with no message sent.

// AddVec returns a + b element-wise.
func AddVec(a, b []Fp) []Fp {
	out := make([]Fp, len(a))
	for i := range a {
		out[i] = a[i].Add(b[i])
	}
	return out
}

// SubVec returns a − b element-wise.
func SubVec(a, b []Fp) []Fp {
	out := make([]Fp, len(a))
	for i := range a {
		out[i] = a[i].Sub(b[i])
	}
	return out
}

// ScaleVec returns c·a element-wise, for a public c.
func ScaleVec(c Fp, a []Fp) []Fp {
	out := make([]Fp, len(a))
	for i := range a {
		out[i] = c.Mul(a[i])
	}
	return out
}

// AddPublic returns a + c element-wise, for a public c. On Shamir shares
// every party adds c to its own share.
func AddPublic(a []Fp, c Fp) []Fp {
	out := make([]Fp, len(a))
	for i := range a {
		out[i] = a[i].Add(c)
	}
	return out
}

// PublicVec returns the field elements of v (negative values as p − |v|);
// as Shamir shares, they share v with the constant polynomial, so every
// party can start from a public vector without a message.
func PublicVec(v []int64) []Fp {
	out := make([]Fp, len(v))
	for i, x := range v {
		out[i] = NewFp(x)
	}
	return out
}

// Dot returns Σ a_i·b_i mod p for vectors of the same length (at most 64
// elements, as many as a session has parties). The products are summed in
// 128 bits and reduced once: 2^61 ≡ 1 (mod p), so the sum of the 61-bit
// limbs of the 128-bit total is congruent to it.
func Dot(a, b []Fp) Fp {
	var hi, lo uint64
	for i := range a {
		h, l := bits.Mul64(uint64(a[i]), uint64(b[i]))
		var carry uint64
		lo, carry = bits.Add64(lo, l, 0)
		hi += h + carry
	}
	return reduce61((lo & FieldPrime) + ((lo>>61 | hi<<3) & FieldPrime) + hi>>58)
}
