//go:build amd64

package engine

import "golang.org/x/sys/cpu"

// gruAsm selects the AVX2 kernel of grurow.go; tests flip it to cover the
// Go loop.
var gruAsm = cpu.X86.HasAVX2

// gru512 selects the AVX-512 kernel for whole blocks of rows (with gruAsm;
// tests flip it). It rounds as the AVX2 kernel and the Go loop.
var gru512 = cpu.X86.HasAVX2 && cpu.X86.HasAVX512F

// gruBackRowAVX2 runs gruBackRow's loop for H = n units (n a positive
// multiple of 4); gx and gh may be nil.
//
//go:noescape
func gruBackRowAVX2(gr, act, p, h, gp, gx, gh *float64, n int)

// gruBackRowsAVX512 runs gruBackRow's loop over rows consecutive rows of
// H = n units (n a positive multiple of 8, rows ≥ 1); gx and gh may be nil.
//
//go:noescape
func gruBackRowsAVX512(gr, act, p, h, gp, gx, gh *float64, n, rows int)
