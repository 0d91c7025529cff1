package mpc

import "math/bits"

// square61 returns a value congruent to x² mod p and below 2^62, for any
// x below 2^62: a square left partly reduced, so that a chain of squarings
// skips the final reduction of each (2^61 ≡ 1 (mod p) folds the product
// twice).
func square61(x uint64) uint64 {
	hi, lo := bits.Mul64(x, x)
	s := (lo & FieldPrime) + (hi<<3 | lo>>61) // < 2^61 + 2^63
	return (s & FieldPrime) + s>>61           // < 2^61 + 5
}

// SqrtVec sets roots[k] to the square root of v[k] that Sqrt returns,
// a^(2^59), and reports whether every v[k] is a square. Four chains of
// squarings run side by side, each squaring partly reduced: the result
// is the same as Sqrt's, several times faster on a long vector.
func SqrtVec(v, roots []Fp) bool {
	roots = roots[:len(v)]
	k := 0
	for ; k+4 <= len(v); k += 4 {
		a, b, c, d := uint64(v[k]), uint64(v[k+1]), uint64(v[k+2]), uint64(v[k+3])
		for range 59 {
			a, b, c, d = square61(a), square61(b), square61(c), square61(d)
		}
		roots[k], roots[k+1], roots[k+2], roots[k+3] = reduce61(a), reduce61(b), reduce61(c), reduce61(d)
	}
	for ; k < len(v); k++ {
		a := uint64(v[k])
		for range 59 {
			a = square61(a)
		}
		roots[k] = reduce61(a)
	}
	ok := true
	for k, r := range roots {
		ok = ok && r.Mul(r) == v[k]
	}
	return ok
}
