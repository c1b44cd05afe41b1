//go:build amd64

package gemm

import "golang.org/x/sys/cpu"

// hasAsm reports whether the AVX2+FMA micro-kernel can run on this CPU.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAsm selects the assembly micro-kernel; tests flip it to cover both
// paths. Both paths give bit-identical results.
var useAsm = hasAsm

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
