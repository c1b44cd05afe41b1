//go:build amd64

package engine

import "golang.org/x/sys/cpu"

// lnAsm selects the AVX2 kernels of lnrow.go; tests flip it to cover the
// Go loops.
var lnAsm = cpu.X86.HasAVX2

// lnAffineAVX2 runs lnAffine's loop over the first n elements (n a
// positive multiple of 4).
//
//go:noescape
func lnAffineAVX2(h, o, gain, bias *float64, n int, rs float64)

// lnBackParamsAVX2 runs lnBackParams' loop likewise.
//
//go:noescape
func lnBackParamsAVX2(gr, h, gd, gg, bg, d *float64, n int)

// lnBackInputAVX2 runs lnBackInput's loop likewise; dy is added to only
// when both is 1.
//
//go:noescape
func lnBackInputAVX2(d, h, dst, dy *float64, n int, m1, m2, rs float64, both int)
