//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// hasAsm reports whether the AVX2+FMA micro-kernel can run on this CPU.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAsm selects the assembly micro-kernel; tests flip it to cover both
// paths. Both paths give bit-identical results.
var useAsm = hasAsm

// has512 reports whether the 12×8 AVX-512 kernel can run as well.
var has512 = hasAsm && cpu.X86.HasAVX512F

// use512 selects the AVX-512 kernel for tiles of 12 full rows when useAsm
// is set; tests flip it. It rounds exactly as the AVX2 kernel.
var use512 = has512

// kernAVX2 computes one mr×nr = 6×8 tile of C from kc inner indices.
// Element (r, p) of the A panel is at a[r·ars + p·aps] (elements); the 8
// values of op(B) for inner index p are at b[p·bs] (bs = 8 for packed B,
// ldb for a row-major B read in place). It computes acc = Σ a·b with one FMA
// per inner index in ascending order, t = alpha·acc, then for each of the
// 6 rows of C (stride ldc elements) C = t if load == 0, else
// C = fma(S, beta, t), where row r of S is at src[r·lds] (src = c, lds =
// ldc for the usual C = alpha·A·B + beta·C; lds = 0 merges one row vector,
// a bias, into every row). Neither C nor S is read when load == 0. kc must
// be at least 1.
//
//go:noescape
func kernAVX2(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int)

// kern12AVX512 is kernAVX2 for a 12×8 tile (rows r·ars apart, r = 0..11),
// with AVX-512F; the same arguments and the same roundings per element.
// Only the columns j with bit j of mask set are read from S and written
// to C (0xff: all eight; op(B) is read in full: a partial panel is
// packed with zero padding).
//
//go:noescape
func kern12AVX512(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int, mask int)

// kern6AVX512 is kern12AVX512 for a 6×8 tile of which only the first
// rows (1..6) rows of C are read and written; all six rows of A are read.
//
//go:noescape
func kern6AVX512(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int, mask int, rows int)
