package mpc

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
