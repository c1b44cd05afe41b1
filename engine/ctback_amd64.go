//go:build amd64

package engine

import "golang.org/x/sys/cpu"

// ctAsm selects the AVX2+FMA kernels of ctback.go; tests flip it to cover
// the Go loops.
var ctAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// ctBackHiddenAVX2 runs ctBackHidden's loop over the first n elements (n a
// multiple of 4) and returns its sum.
//
//go:noescape
func ctBackHiddenAVX2(gv, th, e, or, cd, og, sw, sg, sd *float64, n int, s float64) float64

// ctBackDecayAVX2 runs ctBackDecay's loop likewise.
//
//go:noescape
func ctBackDecayAVX2(gv, e, cd, sw, sg, sd *float64, n int, s float64) float64
