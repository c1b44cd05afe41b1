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
// therefore has its own Goto/BLIS-style blocking and AVX-512 and AVX2+FMA
// assembly micro-kernels, selected at run time with golang.org/x/sys/cpu.
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
// GFLOP/s (2·m·k·n per call), serial (-cpu 1), on this project's 2-core
// AMD EPYC (Zen 5, AVX-512), go test -bench 'Dgemm$|DgemmAVX2$' -cpu 1
// -count 2, best of two; the AVX2 column is the same product with the
// AVX-512 kernels switched off. gonum (gonum.Implementation{}.Dgemm at
// GOMAXPROCS=1) and the portable Go path were measured earlier on the
// same machine (BenchmarkGonum, BenchmarkDgemmGo).
//
//	variant  m     k     n     AVX-512  AVX2   gonum  Go path
//	NN       9472  32    32    75.4     49.4   6.5    3.8
//	NN       9472  32    96    74.3     50.4   7.6    3.8
//	NN       9472  64    64    77.6     49.7   8.5    3.9
//	NN       9472  64    256   76.0     48.8   5.3    3.8
//	NN       2048  128   128   85.2     51.3   7.4    3.6
//	TN       32    9472  32    59.9     40.3   7.0    3.4
//	TN       64    9472  64    75.6     38.3   8.6    3.7
//	NT       9472  32    32    75.5     40.5   7.7    3.8
//	NT       9472  64    64    77.6     43.3   9.3    4.0
//	NT       9472  256   64    79.6     42.4   5.5    4.0
//	NN       37    37    16    65.2     31.9
//	TN       37    37    16    57.7     29.1
//
// The TN shapes with 32 rows (weight gradients, long inner dimension) are
// slower: 32 rows are two 12-row tiles, a 6-row one and a padded one, and
// B is repacked for each inner block. In training, where a product's
// operands were written by earlier operations and a whole batch's
// activations do not fit the caches, the same kernels ran at 20–40
// GFLOP/s until the models ran their batches in cache-sized chunks
// (model/internal/runner).
package gemm
