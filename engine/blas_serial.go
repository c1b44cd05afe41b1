package engine

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	fastgemm "github.com/gotpp/gotpp/internal/gemm"
)

// serialGonum is gonum's BLAS with a Dgemm that never starts goroutines.
//
// gonum's Dgemm splits a product with at least gonumMinParBlocks blocks of
// gonumBlock×gonumBlock in C into one job per block of C (each job looping
// over blocks of the inner axis) and runs the jobs on goroutines. Inside
// the engine's own worker goroutines (Workers) that is nested parallelism:
// goroutine starts, channel traffic and allocations on every call, with no
// spare core to gain. serialGonum.Dgemm runs the very same jobs, with the
// same blocks of the inner axis, one after the other on the calling
// goroutine, so its results are bit-identical to gonum's. Smaller products,
// which gonum runs serially anyway, go to gonum unchanged.
//
// The engine installs it with blas64.Use when the registered implementation
// is gonum's, so that model code calling blas64.Implementation().Dgemm
// directly gets it too. Installing another implementation with blas64.Use
// afterwards replaces it.
type serialGonum struct{ gonum.Implementation }

// gonum's Dgemm block size and the number of blocks of C from which it runs
// in parallel (gonum/blas/gonum: blockSize, minParBlock).
const (
	gonumBlock        = 64
	gonumMinParBlocks = 4
)

func numBlocks(dim int) int { return (dim + gonumBlock - 1) / gonumBlock }

// Dgemm computes C = alpha·op(A)·op(B) + beta·C like gonum's, serially.
func (s serialGonum) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 || alpha == 0 || numBlocks(m)*numBlocks(n) < gonumMinParBlocks ||
		(tA != blas.NoTrans && tA != blas.Trans) || (tB != blas.NoTrans && tB != blas.Trans) {
		// gonum runs these serially (or rejects them): let it check the
		// arguments and compute.
		s.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	aT, bT := tA == blas.Trans, tB == blas.Trans
	checkGemmOperands(aT, bT, m, n, k, a, lda, b, ldb, c, ldc)
	// Scale C as gonum does, then accumulate block by block with beta = 1,
	// exactly as gonum's parallel jobs do.
	if beta != 1 {
		for r := 0; r < m; r++ {
			row := c[r*ldc : r*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	for i := 0; i < m; i += gonumBlock {
		li := min(gonumBlock, m-i)
		for j := 0; j < n; j += gonumBlock {
			lj := min(gonumBlock, n-j)
			cs := c[i*ldc+j:]
			for l := 0; l < k; l += gonumBlock {
				ll := min(gonumBlock, k-l)
				var as, bs []float64
				if aT {
					as = a[l*lda+i:]
				} else {
					as = a[i*lda+l:]
				}
				if bT {
					bs = b[j*ldb+l:]
				} else {
					bs = b[l*ldb+j:]
				}
				// A single block: gonum runs it serially.
				s.Implementation.Dgemm(tA, tB, li, lj, ll, alpha, as, lda, bs, ldb, 1, cs, ldc)
			}
		}
	}
}

// checkGemmOperands panics, as gonum's Dgemm would, when an operand is too
// short or has a bad leading dimension.
func checkGemmOperands(aT, bT bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ar, ac := m, k
	if aT {
		ar, ac = k, m
	}
	br, bc := k, n
	if bT {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		panic("engine: Dgemm with a bad leading dimension")
	}
	if len(a) < (ar-1)*lda+ac || len(b) < (br-1)*ldb+bc || len(c) < (m-1)*ldc+n {
		panic("engine: Dgemm with a short operand")
	}
}

// fastName is blasName when fastBLAS is installed.
const fastName = "gonum+gemm"

// fastBLAS is gonum's BLAS with the matrix product of internal/gemm: a
// serial, register-blocked AVX2+FMA kernel, about 6× gonum's serial Dgemm
// on the engine's tall-skinny shapes (internal/gemm's doc has the table).
// Installed instead of serialGonum when the CPU has AVX2 and FMA; the
// engine's products then go to it untiled (it packs its operands once per
// call, so cutting C into tiles would only repeat the packing). Results
// differ from gonum's in the last bits (other summation order, FMA), and
// are deterministic.
type fastBLAS struct{ gonum.Implementation }

// Dgemm is internal/gemm's.
func (fastBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	fastgemm.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func init() {
	if _, ok := blas64.Implementation().(gonum.Implementation); !ok || blasName != "gonum" {
		return // another BLAS was installed (blas64.Use, openblas tag)
	}
	if fastgemm.Accelerated() {
		blas64.Use(fastBLAS{})
		blasName, tiled = fastName, false
		return
	}
	blas64.Use(serialGonum{})
}
