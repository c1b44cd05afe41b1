package engine

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"

	fastgemm "github.com/gotpp/gotpp/internal/gemm"
)

func trans(b bool) blas.Transpose {
	if b {
		return blas.Trans
	}
	return blas.NoTrans
}

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices with
// op(A) m×k and op(B) k×n, through the registered BLAS (gonum's pure-Go
// implementation unless blas64.Use installed another).
//
// Large products are cut into tiles of at most tileRows×tileCols of C, each
// below the size at which gonum's Dgemm starts goroutines: parallelism
// belongs to Workers (one goroutine per batch chunk), and gonum's
// per-block goroutines cost time and allocations on every call.
func gemm(tA, tB bool, m, n, k int, alpha float64, a []float64, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if beta != 1 {
			for i := range c[:m*n] {
				c[i] *= beta
			}
		}
		return
	}
	lda := k
	if tA {
		lda = m
	}
	ldb := n
	if tB {
		ldb = k
	}
	// Matrix-vector products go to Dgemv: gonum's Dgemm would make one
	// length-1 axpy per element.
	if n == 1 {
		// c (m) = op(A)·b, b contiguous whether or not it is transposed
		if tA {
			dgemv(blas.Trans, k, m, alpha, a, lda, b, 1, beta, c, 1)
		} else {
			dgemv(blas.NoTrans, m, k, alpha, a, lda, b, 1, beta, c, 1)
		}
		return
	}
	if m == 1 {
		// cᵀ (n) = op(B)ᵀ·aᵀ, a contiguous whether or not it is transposed
		if tB {
			dgemv(blas.NoTrans, n, k, alpha, b, ldb, a, 1, beta, c, 1)
		} else {
			dgemv(blas.Trans, k, n, alpha, b, ldb, a, 1, beta, c, 1)
		}
		return
	}
	if !tiled || (m <= tileRows && n <= tileCols) {
		dgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, n)
		return
	}
	for i := 0; i < m; i += tileRows {
		mi := min(tileRows, m-i)
		var ai []float64
		if tA {
			ai = a[i:]
		} else {
			ai = a[i*lda:]
		}
		for j := 0; j < n; j += tileCols {
			nj := min(tileCols, n-j)
			bj := b[j:]
			if tB {
				bj = b[j*ldb:]
			}
			dgemm(trans(tA), trans(tB), mi, nj, k, alpha, ai, lda, bj, ldb, beta, c[i*n+j:], n)
		}
	}
}

// The BLAS routines gemm calls: gonum's (through blas64, so blas64.Use
// applies) unless the openblas build tag installed OpenBLAS's.
var (
	blasName = "gonum"
	tiled    = true
	dgemm    = func(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
		blas64.Implementation().Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	dgemv = func(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
		blas64.Implementation().Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
	}
)

// BLAS names the library matrix products go through: "gonum+gemm" (gonum
// with internal/gemm's AVX2+FMA matrix product) on CPUs with AVX2 and FMA,
// "gonum" elsewhere, "openblas" in builds with the openblas tag (cgo,
// -lopenblas).
func BLAS() string { return blasName }

// Tile sizes for gemm: gonum's Dgemm runs serially below 4 blocks of 64×64.
const (
	tileRows = 64
	tileCols = 3 * 64
)

// matDims returns op(x)'s rows and columns for a matrix x seen as
// [Rows, Cols].
func matDims(x *Tensor, tr bool) (r, c int) {
	if tr {
		return x.Cols(), x.Rows()
	}
	return x.Rows(), x.Cols()
}

// MatMul returns op(a)·op(b), where op transposes when the flag is set.
// b must have 2 axes. Without transA, a may have more than 2 axes: its
// leading axes are flattened into rows and kept in the result's shape
// ([..., K]·[K, N] → [..., N]).
func (t *Tape) MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if b.nd != 2 || (transA && a.nd != 2) || a.nd == 0 {
		panic(fmt.Sprintf("engine: MatMul of %v and %v", a.Shape(), b.Shape()))
	}
	M, K := matDims(a, transA)
	K2, N := matDims(b, transB)
	if K != K2 {
		panic(fmt.Sprintf("engine: MatMul of %v (trans %v) and %v (trans %v): inner sizes %d and %d differ", a.Shape(), transA, b.Shape(), transB, K, K2))
	}
	var s shape
	if transA {
		s = sh2(M, N)
	} else {
		s = shOf(a).withLast(N)
	}
	out := t.newTensor(s, false)
	gemm(transA, transB, M, N, K, 1, a.Data, b.Data, 0, out.Data)
	f := 0
	if transA {
		f |= 1
	}
	if transB {
		f |= 2
	}
	t.record(&Node{kind: opMatMul, Out: [4]*Tensor{out}, In: [6]*Tensor{a, b}, Flags: f})
	return out
}

// backwardMatMul adds the gradients of C = op(A)·op(B) (C's gradient g,
// m×n) into A and B.
func backwardMatMul(g []float64, a, b *Tensor, tA, tB bool, m, n, k int, aData, bData, aGrad, bGrad []float64) {
	if aGrad != nil {
		if !tA { // dA (m×k) = g·op(B)ᵀ
			gemm(false, !tB, m, k, n, 1, g, bData, 1, aGrad)
		} else { // A stored k×m: dA = op(B)·gᵀ
			gemm(tB, true, k, m, n, 1, bData, g, 1, aGrad)
		}
	}
	if bGrad != nil {
		if !tB { // dB (k×n) = op(A)ᵀ·g
			gemm(!tA, false, k, n, m, 1, aData, g, 1, bGrad)
		} else { // B stored n×k: dB = gᵀ·op(A)
			gemm(true, tA, n, k, m, 1, g, aData, 1, bGrad)
		}
	}
}

// BatchMatMul multiplies matching matrices of two 3-axis tensors:
// [n, ·, ·]·[n, ·, ·] → [n, M, N], with op transposing the last two axes
// when the flag is set (attention scores are BatchMatMul(q, k, false, true)).
func (t *Tape) BatchMatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if a.nd != 3 || b.nd != 3 || a.dims[0] != b.dims[0] {
		panic(fmt.Sprintf("engine: BatchMatMul of %v and %v", a.Shape(), b.Shape()))
	}
	nb := a.dims[0]
	M, K := a.dims[1], a.dims[2]
	if transA {
		M, K = K, M
	}
	K2, N := b.dims[1], b.dims[2]
	if transB {
		K2, N = N, K2
	}
	if K != K2 {
		panic(fmt.Sprintf("engine: BatchMatMul of %v (trans %v) and %v (trans %v): inner sizes differ", a.Shape(), transA, b.Shape(), transB))
	}
	out := t.newTensor(sh3(nb, M, N), false)
	sa, sb, sc := M*K, K*N, M*N
	for i := 0; i < nb; i++ {
		gemm(transA, transB, M, N, K, 1, a.Data[i*sa:(i+1)*sa], b.Data[i*sb:(i+1)*sb], 0, out.Data[i*sc:(i+1)*sc])
	}
	f := 0
	if transA {
		f |= 1
	}
	if transB {
		f |= 2
	}
	t.record(&Node{kind: opBatchMatMul, Out: [4]*Tensor{out}, In: [6]*Tensor{a, b}, Flags: f})
	return out
}

// Linear returns x·W + bias: x [..., in], W [in, out], bias [out] or nil;
// the result is [..., out].
func (t *Tape) Linear(x, w, bias *Tensor) *Tensor {
	out := t.affine("Linear", x, w, bias)
	t.record(&Node{kind: opLinear, Out: [4]*Tensor{out}, In: [6]*Tensor{x, w, bias}})
	return out
}

// affine checks the operands of Linear or LinearReLU (op) and returns a new
// tensor holding x·W + bias.
func (t *Tape) affine(op string, x, w, bias *Tensor) *Tensor {
	if w.nd != 2 || x.Cols() != w.dims[0] || (bias != nil && len(bias.Data) != w.dims[1]) {
		panic(fmt.Sprintf("engine: %s of %v with W %v and bias %v", op, x.Shape(), w.Shape(), shapeOrNil(bias)))
	}
	M, K, N := x.Rows(), w.dims[0], w.dims[1]
	out := t.newTensor(shOf(x).withLast(N), false)
	var b []float64
	if bias != nil {
		b = bias.Data
	}
	gemmBias(M, N, K, x.Data, w.Data, b, out.Data)
	return out
}

// LinearReLU returns max(0, x·W + bias), the first half of a
// Transformer's feed-forward block, as one op: the pre-activation is not
// kept as a tensor of its own (one buffer and one gradient buffer fewer, no
// separate pass for the ReLU's backward). Values and gradients are
// bit-identical to ReLU(Linear(x, w, bias)).
func (t *Tape) LinearReLU(x, w, bias *Tensor) *Tensor {
	out := t.affine("LinearReLU", x, w, bias)
	o := out.Data
	for i, v := range o {
		o[i] = max(v, 0)
	}
	t.record(&Node{kind: opLinearReLU, Out: [4]*Tensor{out}, In: [6]*Tensor{x, w, bias}})
	return out
}

func backwardLinearReLU(t *Tape, n *Node) {
	out := n.Out[0]
	x, w, bias := n.In[0], n.In[1], n.In[2]
	M, K, N := x.Rows(), w.dims[0], w.dims[1]
	// the gradient of the pre-activation: g where the output is positive
	// (there the pre-activation is), else +0; by a mask on the bits, since
	// a branch on the sign is mispredicted half the time (4× slower)
	dz := t.floatsRaw(M * N)
	o := out.Data[:M*N]
	for i, v := range out.Grad[:M*N] {
		dz[i] = math.Float64frombits(math.Float64bits(v) & positiveMask(o[i]))
	}
	backwardMatMul(dz, x, w, false, false, M, N, K, x.Data, w.Data, x.Grad, w.Grad)
	if bias != nil && bias.Grad != nil {
		colSumInto(bias.Grad, dz, M, N)
	}
}

// positiveMask is all ones when x > 0 (+Inf included) and 0 for +0, −0,
// negative x and NaN, without a branch: for the bits m of x, the sign bit
// is clear, m ≠ 0 and m ≤ the bits of +Inf.
func positiveMask(x float64) uint64 {
	m := math.Float64bits(x)
	signClear := ^m >> 63
	nonzero := (m | -m) >> 63
	notAbove := ((0x7FF0000000000000 - m) >> 63) ^ 1
	return -(signClear & nonzero & notAbove)
}

// gemmBias sets the m×n matrix c to a·w + bias (a m×k, w k×n, the row
// bias added to every row; nil: none). With internal/gemm installed the
// bias is merged into the product's first store, which saves a pass over
// c; otherwise c is filled with the bias first. Both give the same bits.
func gemmBias(m, n, k int, a, w, bias, c []float64) {
	switch {
	case bias == nil:
		gemm(false, false, m, n, k, 1, a, w, 0, c)
	case blasName == fastName && m > 1 && n > 1 && k > 0:
		fastgemm.DgemmBias(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, w, n, bias[:n], c, n)
	default:
		fillRows(c[:m*n], bias[:n])
		gemm(false, false, m, n, k, 1, a, w, 1, c)
	}
}

// fillRows copies row into every row of dst (len(dst) a multiple of
// len(row)): one block of rows of at most fillBlock values by doubling
// copies, then that block over the rest, so that a tall dst costs a few
// block-sized copies instead of one small copy per row (and no copy is
// large enough for the non-temporal stores of a big memmove, which would
// evict dst before the matrix product reads it).
func fillRows(dst, row []float64) {
	n := len(row)
	if n == 0 || len(dst) == 0 {
		return
	}
	blk := min(len(dst), max(n, fillBlock/n*n))
	copy(dst[:n], row)
	for f := n; f < blk; f *= 2 {
		copy(dst[f:blk], dst[:f])
	}
	for f := blk; f < len(dst); f += blk {
		copy(dst[f:], dst[:blk])
	}
}

// fillBlock is the size of fillRows' block, in values (16 KiB).
const fillBlock = 2048

func backwardLinalg(n *Node) {
	out := n.Out[0]
	g := out.Grad
	a, b := n.In[0], n.In[1]
	switch n.kind {
	case opMatMul:
		tA, tB := n.Flags&1 != 0, n.Flags&2 != 0
		M, K := matDims(a, tA)
		N := out.Cols()
		backwardMatMul(g, a, b, tA, tB, M, N, K, a.Data, b.Data, a.Grad, b.Grad)
	case opBatchMatMul:
		tA, tB := n.Flags&1 != 0, n.Flags&2 != 0
		nb, M, N := out.dims[0], out.dims[1], out.dims[2]
		K := a.dims[2]
		if tA {
			K = a.dims[1]
		}
		sa, sb, sc := M*K, K*N, M*N
		for i := 0; i < nb; i++ {
			var ag, bg []float64
			if a.Grad != nil {
				ag = a.Grad[i*sa : (i+1)*sa]
			}
			if b.Grad != nil {
				bg = b.Grad[i*sb : (i+1)*sb]
			}
			backwardMatMul(g[i*sc:(i+1)*sc], a, b, tA, tB, M, N, K, a.Data[i*sa:(i+1)*sa], b.Data[i*sb:(i+1)*sb], ag, bg)
		}
	case opLinear:
		bias := n.In[2]
		M, K, N := a.Rows(), b.dims[0], b.dims[1]
		backwardMatMul(g, a, b, false, false, M, N, K, a.Data, b.Data, a.Grad, b.Grad)
		if bias != nil && bias.Grad != nil {
			colSumInto(bias.Grad, g, M, N)
		}
	}
}

// colSumInto adds the column sums of the m×n matrix g into dst, row by
// row with gonum's unrolled floats.Add (the same additions in the same
// order as a plain loop).
func colSumInto(dst, g []float64, m, n int) {
	dst = dst[:n]
	for r := 0; r < m; r++ {
		floats.Add(dst, g[r*n:(r+1)*n])
	}
}
