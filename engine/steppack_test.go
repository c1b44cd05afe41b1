package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStepMatMul checks StepMatMul, StepMatMulAdd and StepMatMulT against
// gemm bit for bit: first use (packing), reuse, matrix-vector shapes, and a weight whose
// values change after Reset (the packed copy must not survive it).
func TestStepMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(x []float64) {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
	}
	tp := NewTape()
	for _, sh := range [][3]int{{1, 5, 7}, {9, 1, 4}, {7, 6, 1}, {13, 32, 96}, {64, 64, 448}} {
		m, K, N := sh[0], sh[1], sh[2]
		w := make([]float64, K*N)
		for round := 0; round < 2; round++ {
			tp.Reset()
			fill(w) // new values after Reset
			wt := tp.Const(w, K, N)
			for rep := 0; rep < 2; rep++ {
				h, c := make([]float64, m*K), make([]float64, m*N)
				fill(h)
				fill(c)
				want := append([]float64(nil), c...)
				gemm(false, false, m, N, K, 1, h, w, 0.5, want)
				tp.StepMatMul(wt, m, h, 0.5, c)
				same(t, "StepMatMul", sh, c, want)

				// StepMatMulAdd: a bias row (lds 0) and a full matrix
				for _, lds := range []int{0, N} {
					sm := make([]float64, max(m*lds, N))
					fill(sm)
					want := make([]float64, m*N)
					for i := 0; i < m; i++ {
						copy(want[i*N:(i+1)*N], sm[i*lds:i*lds+N])
					}
					gemm(false, false, m, N, K, 1, h, w, 1, want)
					got := make([]float64, m*N)
					for i := range got {
						got[i] = math.NaN() // not read
					}
					tp.StepMatMulAdd(wt, m, h, sm, lds, got)
					same(t, "StepMatMulAdd", sh, got, want)
				}

				g, d := make([]float64, m*N), make([]float64, m*K)
				fill(g)
				fill(d)
				wantT := append([]float64(nil), d...)
				gemm(false, true, m, K, N, 1, g, w, 1, wantT)
				tp.StepMatMulT(wt, m, g, 1, d)
				same(t, "StepMatMulT", sh, d, wantT)
			}
		}
	}
}

func same(t *testing.T, name string, sh [3]int, got, want []float64) {
	t.Helper()
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s m,K,N=%v: element %d = %v, gemm gives %v", name, sh, i, got[i], want[i])
		}
	}
}
