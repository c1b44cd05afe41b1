package engine

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestSerialGonumBitIdentical checks that serialGonum.Dgemm gives exactly
// gonum's results, on products gonum runs in parallel and on small ones.
func TestSerialGonumBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.NormFloat64()
		}
		return s
	}
	shapes := [][3]int{{200, 150, 130}, {64, 256, 70}, {129, 129, 1}, {300, 70, 200}, {10, 20, 30}, {65, 65, 65}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, beta := range []float64{0, 1, 0.5} {
					lda, ldb, ldc := k+3, n+1, n+2
					ar, br := m, k
					if tA == blas.Trans {
						lda, ar = m+1, k
					}
					if tB == blas.Trans {
						ldb, br = k+2, n
					}
					a, b := fill(ar*lda), fill(br*ldb)
					c0 := fill(m * ldc)
					want := append([]float64(nil), c0...)
					got := append([]float64(nil), c0...)
					gonum.Implementation{}.Dgemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, beta, want, ldc)
					serialGonum{}.Dgemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, beta, got, ldc)
					for i := range want {
						if want[i] != got[i] {
							t.Fatalf("%v tA=%c tB=%c beta=%v: element %d is %v, gonum %v", sh, tA, tB, beta, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
