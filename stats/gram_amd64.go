//go:build amd64

package stats

// gramFMA reports whether the processor and the operating system run
// AVX2 and FMA instructions (CPUID, and XGETBV for the saved YMM state).
var gramFMA = func() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state saved
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0 // AVX2
}()

// gramUpper sets out to the upper triangle, row by row, of the Gram matrix
// of the q = len(v) vectors v (all of one length m): out[t] = Σ_j
// v[a][j]·v[b][j] for the t-th pair a ≤ b.
//
// With AVX2 and FMA it reads the vectors in tiles of four by two
// (gramTile4x2: eight sums in registers, four rows at a time, each row of
// the tile's six vectors loaded once), so a block's rows are loaded a few
// times rather than once per pair; the rows past the last multiple of four
// and the pairs no tile covers are added in Go. Each sum keeps four
// partial sums of fused products, so its rounding is at most about
// m·2⁻⁵³ of the products' magnitudes, as a dot product's. Without them it
// is gramDots.
func gramUpper(v [][]float64, out []float64) {
	q := len(v)
	if !gramFMA || q < 4 || len(v[0]) < 4 {
		gramDots(v, out)
		return
	}
	m := len(v[0])
	for _, x := range v {
		if len(x) != m {
			gramDots(v, out)
			return
		}
	}
	n4 := m &^ 3
	var s [8]float64
	a := 0
	for ; a+4 <= q; a += 4 {
		for b := a; b+2 <= q; b += 2 {
			gramTile4x2(&v[a][0], &v[a+1][0], &v[a+2][0], &v[a+3][0], &v[b][0], &v[b+1][0], n4, &s)
			for i := range 4 {
				for j := range 2 {
					if a+i <= b+j {
						out[gramAt(q, a+i, b+j)] = s[2*i+j] + dotPlain(v[a+i][n4:], v[b+j][n4:])
					}
				}
			}
		}
	}
	for a := range q { // the pairs beside the tiles
		first := a &^ 3 // the tiles of row a begin at column first, and cover whole pairs
		for b := a; b < q; b++ {
			if a >= q&^3 || b >= first+(q-first)&^1 {
				out[gramAt(q, a, b)] = dotPlain(v[a], v[b])
			}
		}
	}
}

// dotPlain is Σ x_j·y_j in order.
func dotPlain(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for j, v := range x {
		s += v * y[j]
	}
	return s
}

// gramTile4x2 sets s[2i+j] to Σ a_i[r]·b_j[r] over the rows r < n of the
// vectors starting at a0..a3 and b0, b1; n is a multiple of 4 and every
// vector holds at least n values. It needs AVX2 and FMA (gramFMA).
//
//go:noescape
func gramTile4x2(a0, a1, a2, a3, b0, b1 *float64, n int, s *[8]float64)

// cpuid executes CPUID with EAX = op and ECX = op2.
func cpuid(op, op2 uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0, the state the operating system saves.
func xgetbv() (eax, edx uint32)
