package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

type benchShape struct {
	tA, tB  blas.Transpose
	m, k, n int
}

var benchShapes = []benchShape{
	{blas.NoTrans, blas.NoTrans, 9472, 32, 32},
	{blas.NoTrans, blas.NoTrans, 9472, 32, 96},
	{blas.NoTrans, blas.NoTrans, 9472, 64, 64},
	{blas.NoTrans, blas.NoTrans, 9472, 64, 256},
	{blas.NoTrans, blas.NoTrans, 2048, 128, 128},
	// Weight gradients: Aᵀ·B with the long batch axis inner.
	{blas.Trans, blas.NoTrans, 32, 9472, 32},
	{blas.Trans, blas.NoTrans, 64, 9472, 64},
	// Input gradients: dY·Wᵀ.
	{blas.NoTrans, blas.Trans, 9472, 32, 32},
	{blas.NoTrans, blas.Trans, 9472, 64, 64},
	{blas.NoTrans, blas.Trans, 9472, 256, 64},
	// One step of a recurrent cell (batch 128 per worker): the hidden
	// state times the recurrent weights (NHP's 7 gates of 64, a GRU's 3
	// of 32), and the two gradients.
	{blas.NoTrans, blas.NoTrans, 128, 64, 448},
	{blas.NoTrans, blas.Trans, 128, 448, 64},
	{blas.Trans, blas.NoTrans, 64, 128, 448},
	{blas.NoTrans, blas.NoTrans, 128, 32, 96},
	{blas.NoTrans, blas.Trans, 128, 96, 32},
	// Attention over one sequence of 37 events, heads of 16: P·V and
	// dV = Pᵀ·dO.
	{blas.NoTrans, blas.NoTrans, 37, 37, 16},
	{blas.Trans, blas.NoTrans, 37, 37, 16},
}

type dgemmFunc func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)

func benchDgemm(b *testing.B, f dgemmFunc) {
	for _, s := range benchShapes {
		name := fmt.Sprintf("%s%s/m=%d,k=%d,n=%d", tname(s.tA), tname(s.tB), s.m, s.k, s.n)
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			lda, ldb := s.k, s.n
			if s.tA != blas.NoTrans {
				lda = s.m
			}
			if s.tB != blas.NoTrans {
				ldb = s.k
			}
			x := randSlice(rng, s.m*s.k)
			y := randSlice(rng, s.k*s.n)
			z := randSlice(rng, s.m*s.n)
			b.ResetTimer()
			for b.Loop() {
				f(s.tA, s.tB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n)
			}
			b.ReportMetric(2*float64(s.m)*float64(s.k)*float64(s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkDgemm(b *testing.B) { benchDgemm(b, Dgemm) }

func BenchmarkDgemmGo(b *testing.B) {
	kernels[0].set()
	defer restore()
	benchDgemm(b, Dgemm)
}

// BenchmarkDgemmAVX2 is Dgemm with the AVX2 kernel only (no AVX-512).
func BenchmarkDgemmAVX2(b *testing.B) {
	if !kernels[1].set() {
		b.Skip("no AVX2+FMA")
	}
	defer restore()
	benchDgemm(b, Dgemm)
}

// BenchmarkGonum is gonum's Dgemm for comparison. Products with at least
// four 64×64 blocks of C run on several goroutines in gonum.
func BenchmarkGonum(b *testing.B) { benchDgemm(b, gonum.Implementation{}.Dgemm) }
