package mpc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// psiDomain separates the item hash from every other use of SHA-256.
const psiDomain = "fsc-kernel/mpc/psi/v1: item to Curve25519 u-coordinate, try-and-increment"

// errPSILowOrder marks a value that is a point of small order, for which
// X25519 gives the all-zero output.
var errPSILowOrder = errors.New("a low-order point (X25519 gives the all-zero output)")

// psiPoint is the u-coordinate of a point of Curve25519, 32 bytes little
// endian, as X25519 reads and writes it.
type psiPoint [32]byte

// psiEncrypt raises every value to the key's scalar, in parallel, keeping
// their order. A low-order input, whose output would be all zero, is an
// error naming its position.
func psiEncrypt(key *ecdh.PrivateKey, in []psiPoint) ([]psiPoint, error) {
	out := make([]psiPoint, len(in))
	err := psiParallel(len(in), func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			pub, err := ecdh.X25519().NewPublicKey(in[i][:])
			if err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
			shared, err := key.ECDH(pub)
			if err != nil {
				// crypto/ecdh refuses exactly the all-zero output.
				return fmt.Errorf("value %d is %w: %v", i, errPSILowOrder, err)
			}
			copy(out[i][:], shared)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// psiEncode writes a list of values back to back.
func psiEncode(l []psiPoint) []byte {
	b := make([]byte, 0, 32*len(l))
	for i := range l {
		b = append(b, l[i][:]...)
	}
	return b
}

// psiDecode reads a list written by psiEncode and checks it: whole
// 32-byte values, at most MaxPSIItems of them, each the canonical
// u-coordinate of a point on the curve (not the twist) not of low order,
// no value twice, and in increasing byte order when sorted is set.
func psiDecode(b []byte, sorted bool) ([]psiPoint, error) {
	if len(b)%32 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of 32-byte values", len(b))
	}
	n := len(b) / 32
	if n > MaxPSIItems {
		return nil, fmt.Errorf("%d values, over the limit of %d (MaxPSIItems)", n, MaxPSIItems)
	}
	l := make([]psiPoint, n)
	for i := range l {
		copy(l[i][:], b[32*i:])
	}
	err := psiParallel(n, func(lo, hi int) error {
		var c psiCurve
		for i := lo; i < hi; i++ {
			if err := c.check(&l[i]); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sorted {
		for i := 1; i < n; i++ {
			if psiCompare(l[i-1], l[i]) >= 0 {
				return nil, fmt.Errorf("values %d and %d are not in increasing order without repeats", i-1, i)
			}
		}
		return l, nil
	}
	seen := make(map[psiPoint]int, n)
	for i, v := range l {
		if j, ok := seen[v]; ok {
			return nil, fmt.Errorf("values %d and %d are equal", j, i)
		}
		seen[v] = i
	}
	return l, nil
}

func psiCompare(a, b psiPoint) int { return bytes.Compare(a[:], b[:]) }

// Curve25519 (v² = u³ + A·u² + u over GF(p), p = 2^255 − 19) and the
// canonical u-coordinates of its points of small order and of the twist's:
// 0, 1, the two of order 8, and p − 1.
var (
	psiCurveP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	psiCurveA = big.NewInt(486662)
	psiOne    = big.NewInt(1)

	psiLowOrder = []psiPoint{
		{},
		{1},
		{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
			0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
		{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
			0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
		{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	}
)

// psiCurve holds scratch space for field arithmetic; one per goroutine.
type psiCurve struct {
	be   [32]byte
	u, g big.Int
}

// check returns nil when u is the canonical u-coordinate of a point on the
// curve proper (not the twist) that is not of small order.
func (c *psiCurve) check(u *psiPoint) error {
	if u[31]&0x80 != 0 {
		return errors.New("not canonical: the top bit is set")
	}
	for i := range c.be {
		c.be[i] = u[31-i]
	}
	c.u.SetBytes(c.be[:])
	if c.u.Cmp(psiCurveP) >= 0 {
		return errors.New("not canonical: not reduced modulo 2^255-19")
	}
	if slices.Contains(psiLowOrder, *u) {
		return errPSILowOrder
	}
	// g = u³ + A·u² + u = ((u + A)·u + 1)·u; on the curve iff g is a square.
	c.g.Add(&c.u, psiCurveA)
	c.g.Mul(&c.g, &c.u)
	c.g.Add(&c.g, psiOne)
	c.g.Mul(&c.g, &c.u)
	c.g.Mod(&c.g, psiCurveP)
	if psiLegendre(c.g.FillBytes(c.be[:])) != 1 {
		return errors.New("not on Curve25519 (a point of its twist)")
	}
	return nil
}

// hash maps an item to a point of the curve proper, not of small order:
// SHA-256 of the length-prefixed domain, session id, step label and item
// and a counter, read as a little-endian u-coordinate with the top bit
// cleared, for counter 0, 1, ... until the value passes check (on average
// two tries).
func (c *psiCurve) hash(session, step, item string) (psiPoint, error) {
	buf := make([]byte, 0, 8*4+len(psiDomain)+len(session)+len(step)+len(item)+4)
	for _, f := range []string{psiDomain, session, step, item} {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	n := len(buf)
	for ctr := uint32(0); ctr < 256; ctr++ {
		buf = binary.BigEndian.AppendUint32(buf[:n], ctr)
		u := psiPoint(sha256.Sum256(buf))
		u[31] &= 0x7f
		if c.check(&u) == nil {
			return u, nil
		}
	}
	// Each try succeeds with probability 1/2: this does not happen.
	return psiPoint{}, errors.New("hash an item to the curve: no point in 256 tries")
}
