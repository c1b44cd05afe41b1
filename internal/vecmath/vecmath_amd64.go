package vecmath

import "golang.org/x/sys/cpu"

// hasAsm reports whether the AVX2+FMA kernels can run on this CPU.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// has512 reports whether the AVX-512 kernels can run: they need only
// AVX512F (cpu.X86.HasAVX512F includes the OS check for the ZMM and
// opmask state), but are also tied to hasAsm so that switching AVX2 off
// (GODEBUG=cpu.avx2=off) selects the pure-Go kernels.
var has512 = hasAsm && cpu.X86.HasAVX512F

// useAsm selects the assembly kernels and use512 (which takes precedence)
// the AVX-512 ones; tests flip both to cover every path.
var (
	useAsm = hasAsm
	use512 = has512
)

// The AVX2 kernels below process len(x) elements (dst has at least as
// many), 8 per iteration, then 4, then a masked 1..3-element tail.

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

// The AVX-512 kernels give bit-identical results to the AVX2 ones and
// process 16 elements per iteration, then 8, then a masked 1..7-element
// tail.

//go:noescape
func expAVX512(dst, x []float64)

//go:noescape
func softplusAVX512(dst, x []float64)

//go:noescape
func sigmoidAVX512(dst, x []float64)

//go:noescape
func tanhAVX512(dst, x []float64)

//go:noescape
func softplusSigmoidAVX512(sp, sg, x []float64)
