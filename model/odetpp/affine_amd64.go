//go:build amd64

package odetpp

import "golang.org/x/sys/cpu"

// useAffineAsm selects the AVX2+FMA kernel of affineRowsFMA; tests flip it
// to cover both paths (which agree bit for bit).
var useAffineAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// affineAVX2 is affineRowsFMA's loop in AVX2+FMA assembly: for i < n and
// j < c, out[i·c + j] = fma(x[i·k + k−1], w[(k−1)·c + j], … fma(x[i·k],
// w[j], b[j])), the fused multiply-adds in ascending order of the inner
// index. c must be a positive multiple of 16, k >= 1 and n >= 0.
//
//go:noescape
func affineAVX2(n, k, c int, x, w, b, out *float64)
