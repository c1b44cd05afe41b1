package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// setA sets op(A)[i][l] of p.
func (p *problem) setA(i, l int, v float64) {
	if p.tA == blas.NoTrans {
		p.a[i*p.lda+l] = v
	} else {
		p.a[l*p.lda+i] = v
	}
}

// TestDgemmBand checks DgemmBand against Dgemm on every kernel path: for
// LowerA and UpperA op(A) is zeroed outside the band and C must be equal
// (== : a zero may differ in sign) everywhere in the m×n window; for
// LowerC the wanted elements must be equal. Elements of C outside the
// window (NaN sentinels in the padding) must stay untouched. The shapes
// cover partial row panels and tiles, several inner blocks (k > 256) and
// offsets that put the band's edge before, inside and after the matrix.
func TestDgemmBand(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := [][3]int{{1, 1, 1}, {5, 9, 7}, {12, 8, 12}, {13, 17, 13}, {37, 16, 37}, {37, 37, 16}, {40, 5, 300}, {300, 9, 300}, {26, 30, 26}}
	paths(t, func(t *testing.T) {
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for _, kind := range []BandKind{Full, LowerC, LowerA, UpperA} {
				for _, off := range []int{-m - 3, -13, -1, 0, 1, 7, k - m, k + 2} {
					for _, tA := range transposes {
						for _, tB := range transposes {
							p := newProblem(rng, tA, tB, m, n, k, 0.75, []float64{0, -0.5}[rng.IntN(2)], 3)
							for i := 0; i < m; i++ {
								for l := 0; l < k; l++ {
									if (kind == LowerA && l > i+off) || (kind == UpperA && l < i+off) {
										p.setA(i, l, 0)
									}
								}
							}
							for i := 0; i < m; i++ { // sentinels in C's padding
								for j := n; j < p.ldc && i*p.ldc+j < len(p.c); j++ {
									p.c[i*p.ldc+j] = math.NaN()
								}
							}
							want := append([]float64(nil), p.c...)
							p.run(want)
							got := append([]float64(nil), p.c...)
							DgemmBand(p.tA, p.tB, m, n, k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, got, p.ldc, Band{kind, off})
							for i := 0; i < m; i++ {
								for j := 0; j < p.ldc && i*p.ldc+j < len(got); j++ {
									g, w := got[i*p.ldc+j], want[i*p.ldc+j]
									switch {
									case j >= n:
										if !math.IsNaN(g) {
											t.Fatalf("%s band %v: padding C[%d][%d] written (%v)", p, Band{kind, off}, i, j, g)
										}
									case kind == LowerC && j > i+off:
									case g != w:
										t.Fatalf("%s band %v: C[%d][%d] = %v, Dgemm gives %v", p, Band{kind, off}, i, j, g, w)
									}
								}
							}
						}
					}
				}
			}
		}
	})
}
