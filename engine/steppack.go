package engine

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	fastgemm "github.com/gotpp/gotpp/internal/gemm"
)

// A recurrent cell multiplies its state by the same weight matrix W at
// every step, forward (h·W) and backward (g·Wᵀ). With internal/gemm's
// kernel installed, the panels of W (and of Wᵀ) are packed once per tape
// and reused by every step's product instead of being repacked each time;
// the results are bit-identical to gemm's. The packed copies live in the
// tape's arena until Reset: W's values must not change in between, which
// the backward pass already requires of every tensor on the tape.

// stepPack holds the packed forms of one weight tensor.
type stepPack struct {
	w        *Tensor
	fwd, bwd fastgemm.PackedB
	hasF     bool
	hasB     bool
}

// stepPackOf returns the packing record of w on t, made on first use.
func (t *Tape) stepPackOf(w *Tensor) *stepPack {
	// newest first, and only a few: a cell's weights are looked up by
	// every step of the same pass (a tape that is never Reset keeps
	// appending records, so older ones are not searched)
	for i := len(t.steps) - 1; i >= max(0, len(t.steps)-8); i-- {
		if p := t.steps[i]; p.w == w {
			return p
		}
	}
	var p *stepPack
	if n := len(t.steps); n < cap(t.steps) && t.steps[:n+1][n] != nil {
		p = t.steps[:n+1][n] // a record from before the last Reset
		*p = stepPack{}
	} else {
		p = new(stepPack)
	}
	p.w = w
	t.steps = append(t.steps, p)
	return p
}

// PackedProducts reports whether internal/gemm's AVX2 kernel is the
// installed matrix product, so that operands packed with internal/gemm's
// NewPackedB give the same results as the engine's products (otherwise
// StepMatMul is plain gemm, and model code should not pack either).
func PackedProducts() bool {
	_, ok := blas64.Implementation().(fastBLAS)
	return ok && fastgemm.Accelerated()
}

// StepMatMul sets c = h·W + beta·c for h [m, K] and W [K, N] (c [m, N]),
// W packed once per tape (see above): for the recurrent weights of a cell,
// multiplied at every step.
func (t *Tape) StepMatMul(w *Tensor, m int, h []float64, beta float64, c []float64) {
	K, N := w.dims[0], w.dims[1]
	if m == 0 || N == 0 {
		return
	}
	if K == 0 || m == 1 || N == 1 || !PackedProducts() { // gemm's matrix-vector cases
		gemm(false, false, m, N, K, 1, h, w.Data, beta, c)
		return
	}
	fastgemm.DgemmPacked(blas.NoTrans, m, 1, h, K, t.packedFwd(w), beta, c, N)
}

// packedFwd is W packed once per tape for products h·W.
func (t *Tape) packedFwd(w *Tensor) *fastgemm.PackedB {
	p := t.stepPackOf(w)
	if !p.hasF {
		K, N := w.dims[0], w.dims[1]
		p.fwd = fastgemm.NewPackedB(blas.NoTrans, K, N, w.Data, N, t.floatsRaw(fastgemm.PackedLen(K, N)))
		p.hasF = true
	}
	return &p.fwd
}

// StepMatMulAdd sets c = h·W + S for h [m, K], W [K, N] packed once per
// tape, and S [m, N] with row stride lds (lds = 0: one row of N values for
// every row, a bias): bit-identical to copying S into c and calling
// StepMatMul with beta = 1, without that pass over c (the pre-activations
// of a recurrent cell: its input projection or bias plus h·W).
func (t *Tape) StepMatMulAdd(w *Tensor, m int, h []float64, s []float64, lds int, c []float64) {
	K, N := w.dims[0], w.dims[1]
	if m == 0 || N == 0 {
		return
	}
	if K == 0 || m == 1 || N == 1 || !PackedProducts() {
		for i := 0; i < m; i++ {
			copy(c[i*N:(i+1)*N], s[i*lds:i*lds+N])
		}
		t.StepMatMul(w, m, h, 1, c)
		return
	}
	fastgemm.DgemmPackedAdd(blas.NoTrans, m, 1, h, K, t.packedFwd(w), s, lds, c, N)
}

// StepMatMulT sets c = g·Wᵀ + beta·c for g [m, N] and W [K, N] (c [m, K]),
// Wᵀ packed once per tape: the gradient of a cell's state.
func (t *Tape) StepMatMulT(w *Tensor, m int, g []float64, beta float64, c []float64) {
	K, N := w.dims[0], w.dims[1]
	if m == 0 || K == 0 {
		return
	}
	if N == 0 || m == 1 || K == 1 || !PackedProducts() { // gemm's matrix-vector cases
		gemm(false, true, m, K, N, 1, g, w.Data, beta, c)
		return
	}
	p := t.stepPackOf(w)
	if !p.hasB {
		p.bwd = fastgemm.NewPackedB(blas.Trans, N, K, w.Data, N, t.floatsRaw(fastgemm.PackedLen(N, K)))
		p.hasB = true
	}
	fastgemm.DgemmPacked(blas.NoTrans, m, 1, g, N, &p.bwd, beta, c, K)
}
