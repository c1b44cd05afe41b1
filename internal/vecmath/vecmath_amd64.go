package vecmath

import "golang.org/x/sys/cpu"

// hasAsm reports whether the AVX2+FMA kernels can run on this CPU.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAsm selects the assembly kernels; tests flip it to cover both paths.
var useAsm = hasAsm

// The kernels below process len(x) elements (dst has at least as many),
// 8 per iteration, then 4, then a masked 1..3-element tail.

//go:noescape
func expAVX2(dst, x []float64)

//go:noescape
func softplusAVX2(dst, x []float64)

//go:noescape
func sigmoidAVX2(dst, x []float64)

//go:noescape
func tanhAVX2(dst, x []float64)

//go:noescape
func softplusSigmoidAVX2(sp, sg, x []float64)
