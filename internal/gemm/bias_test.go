package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestDgemmBias checks DgemmBias against its definition: every row of C
// filled with the bias, then Dgemm with beta = 1 (itself checked against a
// naive triple loop in TestSmallExhaustive and TestLarge), bit for bit, on
// both kernel paths. C starts as NaN, so a read of its old contents would
// show; elements outside the m×n window must stay untouched.
func TestDgemmBias(t *testing.T) {
	type shape struct{ m, n, k int }
	var shapes []shape
	for m := 0; m <= 13; m++ {
		for n := 0; n <= 17; n++ {
			for _, k := range []int{0, 1, 2, 5, 9} {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	shapes = append(shapes, shape{300, 64, 64}, shape{97, 45, 300}, shape{31, 29, 513}, shape{200, 2100, 17}, shape{7, 2053, 260}, shape{1100, 41, 9}, shape{1030, 2050, 3})
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for i, s := range shapes {
			tA, tB := transposes[i%2], transposes[(i/2)%2]
			alpha := []float64{1, -0.5, 0, 1.3}[i%4]
			p := newProblem(rng, tA, tB, s.m, s.n, s.k, alpha, 1, 3)
			bias := randSlice(rng, s.n+2)
			want := append([]float64(nil), p.c...)
			for r := 0; r < s.m; r++ {
				copy(want[r*p.ldc:r*p.ldc+s.n], bias[:s.n])
			}
			Dgemm(tA, tB, s.m, s.n, s.k, alpha, p.a, p.lda, p.b, p.ldb, 1, want, p.ldc)
			got := append([]float64(nil), p.c...)
			for r := 0; r < s.m; r++ {
				for j := 0; j < s.n; j++ {
					got[r*p.ldc+j] = math.NaN()
				}
			}
			DgemmBias(tA, tB, s.m, s.n, s.k, alpha, p.a, p.lda, p.b, p.ldb, bias, got, p.ldc)
			for idx := range want {
				if math.Float64bits(got[idx]) != math.Float64bits(want[idx]) {
					t.Fatalf("%s: C[%d][%d] = %v, want %v", p, idx/p.ldc, idx%p.ldc, got[idx], want[idx])
				}
			}
		}
	})
}

func TestDgemmBiasPanics(t *testing.T) {
	defer func() {
		if r := recover(); r != shortBias {
			t.Fatalf("recovered %v, want %q", r, shortBias)
		}
	}()
	c := make([]float64, 6)
	DgemmBias(blas.NoTrans, blas.NoTrans, 2, 3, 1, 1, make([]float64, 2), 1, make([]float64, 3), 3, make([]float64, 2), c, 3)
}
