package mpc

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Split returns n additive shares of secret over Z_2^64: n vectors of
// len(secret) elements, uniformly random from rng except the last, whose
// element-wise sum (mod 2^64) is secret. rng must be a CSPRNG.
func Split(rng io.Reader, secret []uint64, n int) ([][]uint64, error) {
	return SplitWide(rng, secret, 1, n)
}

// AddInto adds src to dst element-wise modulo 2^64.
func AddInto(dst, src []uint64) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// encodeWords writes ring elements as little-endian bytes.
func encodeWords(v []uint64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return b
}

// decodeWords reads ring elements written by encodeWords; want is the
// expected number of elements.
func decodeWords(b []byte, want int) ([]uint64, error) {
	if len(b) != 8*want {
		return nil, fmt.Errorf("expected %d ring elements (%d bytes), got %d bytes", want, 8*want, len(b))
	}
	v := make([]uint64, want)
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return v, nil
}
