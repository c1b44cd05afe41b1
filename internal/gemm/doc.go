// Package gemm is a serial double-precision matrix product for the
// tall-skinny shapes of the engine (m = batch×length in the thousands,
// k and n between 4 and 256), with the signature and checks of gonum's
// blas/gonum.Implementation.Dgemm, so that a call site can switch by
// changing the callee:
//
//	gemm.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
//
// Variants serve the engine's layers: DgemmPacked multiplies by an
// operand packed once (PackedB: a recurrent cell's weights, used at every
// step; PackedB.Cols views its first columns), and DgemmBias and
// DgemmPackedAdd compute C = alpha·op(A)·op(B) + S with S (a bias row, or
// a matrix such as a cell's input projection) merged into the first store
// of each tile (the micro-kernel reads the merged matrix through its own
// pointer and stride; stride 0 repeats one row), bit-identical to copying
// S into C and calling with beta = 1, without that pass over C.
//
// # Why hand-written
//
// gonum's pure-Go BLAS computes Dgemm with SSE2 axpy loops (no AVX2 or FMA
// kernels), and a cgo binding to OpenBLAS or MKL would break `go install`
// on machines without that library and a C toolchain. The package
// therefore has its own Goto/BLIS-style blocking and an AVX2+FMA assembly
// micro-kernel, selected at run time with golang.org/x/sys/cpu.
//
// # Algorithm
//
// The inner dimension is split into blocks of at most 256 (balanced, a
// function of k only). For each block, op(B) is packed into panels of 8
// columns. On CPUs with AVX-512F a 12×8 micro-kernel keeps a tile of C in
// twelve ZMM registers and does, per inner index, one load of op(B)'s 8
// values and twelve FMAs, each broadcasting its A value from memory; a
// 6×8 AVX-512 kernel takes the last rows, and partial tiles are read and
// written through column masks and a row count, so C outside the m×n
// window is never touched. On AVX2 CPUs a 6×8 kernel keeps the tile in
// twelve YMM registers (two loads of op(B), six broadcasts, twelve FMAs
// per inner index) and partial tiles go through a scratch tile. Both read
// full panels of op(A) in place (rows of A, or columns of Aᵀ), and a last
// partial panel is packed with zero padding. op(B) is read in place too
// when it is a row-major B and C has at most 1024 rows (the kernel takes
// B's row stride; only a last partial 8-column panel is packed): packing
// pays off only when many panels of A reuse the packed copy. With beta =
// 0, C is never read. Packing buffers come from a sync.Pool, so a call
// does not allocate in steady state. No goroutines are started.
//
// The portable path (other architectures, CPUs without AVX2+FMA) uses the
// same blocking with packed A and a Go micro-kernel built on math.FMA.
// Each element of C is computed by the same sequence of roundings on all
// three paths (per inner block: fused multiply-adds in ascending order
// from 0, times alpha, then merged into C with one fused multiply-add by
// beta, or 1 for later blocks), so the paths agree bit for bit (a product
// gives the same bits on an AVX-512, an AVX2 and a portable machine) and
// the result depends on the arguments only, not on alignment or scratch
// state. It differs from gonum's in the last bits (different summation order and
// FMA). On amd64 CPUs without FMA hardware math.FMA is emulated in
// software and the portable path is slow.
//
// # Performance
//
// GFLOP/s (2·m·k·n per call), serial (-cpu 1), AMD EPYC with AVX-512
// (Zen 4 class, 2 shared cores), go test -bench 'Dgemm$|Gonum' -cpu 1
// -count 3, best of three; the machine was shared, so the numbers are
// noisy by ±15%. gonum is gonum.Implementation{}.Dgemm at GOMAXPROCS=1,
// i.e. what the engine's serial wrapper runs.
//
//	variant  m     k     n     gemm (AVX2)  gonum  gemm (Go path)
//	NN       9472  32    32    50.6         6.5    3.8
//	NN       9472  32    96    51.0         7.6    3.8
//	NN       9472  64    64    51.5         8.5    3.9
//	NN       9472  64    256   49.3         5.3    3.8
//	NN       2048  128   128   51.9         7.4    3.6
//	TN       32    9472  32    33.5         7.0    3.4
//	TN       64    9472  64    40.4         8.6    3.7
//	NT       9472  32    32    50.8         7.7    3.8
//	NT       9472  64    64    49.5         9.3    4.0
//	NT       9472  256   64    48.8         5.5    4.0
//
// The TN shapes (weight gradients, long inner dimension, m and n of 32 or
// 64) are slower: 32 rows are five full 6-row panels plus a padded one,
// and B is repacked for each inner block.
package gemm
