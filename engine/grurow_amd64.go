//go:build amd64

package engine

import "golang.org/x/sys/cpu"

// gruAsm selects the AVX2 kernel of grurow.go; tests flip it to cover the
// Go loop.
var gruAsm = cpu.X86.HasAVX2

// gruBackRowAVX2 runs gruBackRow's loop for H = n units (n a positive
// multiple of 4); gx and gh may be nil.
//
//go:noescape
func gruBackRowAVX2(gr, act, p, h, gp, gx, gh *float64, n int)
