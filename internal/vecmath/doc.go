// Package vecmath provides slice-level ("vectorised") float64
// transcendental functions for the hot loops of neural TPP models:
// intensity evaluation at quadrature nodes and activations in training.
//
//	Exp(dst, x)              e^x
//	Softplus(dst, x)         log(1+e^x) = max(x,0) + log1p(e^-|x|)
//	Sigmoid(dst, x)          1/(1+e^-x), stable for both signs
//	Tanh(dst, x)             tanh x, accurate near 0
//	SoftplusSigmoid(sp, sg, x)  both, sharing one exponential
//
// All functions process len(x) elements, allow dst to be x itself, and
// panic if the destination is shorter than x.
//
// # Why hand-written assembly
//
// The Go compiler does not auto-vectorise loops, GOEXPERIMENT=simd is not
// enabled by default (so `go install` users could not build code that
// depends on it), and we found no maintained Go library with vectorised
// float64 exp/log1p/tanh and documented accuracy (viterin/vek vectorises
// exp/log for float32 only; kelindar/simd covers arithmetic and
// reductions). On amd64 the kernel is chosen at run time from what
// golang.org/x/sys/cpu reports:
//
//   - AVX-512 (AVX512F, plus AVX2 and FMA): the AVX-512 kernels in
//     vecmath_amd64.s process 16 doubles per iteration (two ZMM vectors for
//     instruction-level parallelism), then 8, then a masked 1–7 element
//     tail (opmask loads and stores). They perform the same operation
//     sequence per lane as the AVX2 kernels, with the same constants and
//     the same FMAs, so their results are bit-identical to the AVX2
//     kernels (NaN payloads included); the tests compare the bits on
//     ~590k inputs (special values, random bit patterns, the accuracy
//     points) and on every tail length.
//   - AVX2 and FMA without AVX-512 (or with GODEBUG=cpu.avx512f=off): the
//     AVX2 kernels process 8 doubles per iteration (two YMM vectors), then
//     4, then a masked 1–3 element tail.
//   - Otherwise (other architectures, or GODEBUG=cpu.avx2=off or
//     cpu.fma=off): pure-Go scalar kernels using the same algorithms. They
//     have no FMA, so their results can differ from the assembly ones in
//     the last bits (within the accuracy bounds below).
//
// # Algorithms
//
// exp: x = n·ln2 + r, n = round(x/ln2) via the 1.5·2^52 trick, ln2 split
// hi+lo (Cody–Waite; exact first step with FMA), |r| <= ln2/2, e^r - 1 =
// r + r²·Q(r) with Q the degree-11 Taylor tail (1/k!, k = 2..13) in an
// Estrin-like order, and 2^n applied as two exponent-built factors so that
// subnormal results are rounded once (they are not flushed to zero).
// log1p(z), z = e^-|x| in [0,1]: 1+z = 2^k(1+f) with f exact (f = z or
// (z-1)/2), log(1+f) = f - s(f - w·P(w)), s = f/(2+f), w = s², P the
// atanh series to s^23. sigmoid: (x<0 ? z : 1)/(1+z) with the rounding of
// 1+z compensated. tanh: m = expm1(-2|x|) = 2^n·expm1(r) + (2^n - 1),
// tanh|x| = -m/(m+2) with the rounding of m+2 compensated, sign copied.
//
// # Accuracy
//
// Tested on ~340k points over [-800, 800], log-dense near 0 and around the
// transitions, for the pure-Go, AVX2 and AVX-512 kernels:
//
//	Exp       <= 2 ulp vs math.Exp on [-745, 710] (< 0.75 ulp vs the exact value
//	          at the spot-checked 2-ulp points, where math.Exp is off by 1.2–1.4 ulp);
//	          +Inf above ~709.78 (math.Exp on amd64 already overflows at ~709.44),
//	          0 below ~-745.13, subnormals in between, NaN propagates.
//	Softplus  <= 2 ulp, max relative 3.4e-16 vs x + log1p(exp(-x)) / log1p(exp(x)).
//	Sigmoid   <= 3 ulp, max relative 4.3e-16 vs 1/(1+exp(-x)) / e/(1+e)
//	          (the math reference itself carries math.Exp's error).
//	Tanh      <= 2 ulp, max relative 4.0e-16 vs math.Tanh; ±1 for |x| > ~19.06.
//
// # Performance
//
// ns per element from `go test -run XXX -bench . -benchtime 2000x
// ./internal/vecmath/` (minimum of 3 runs, 2-core shared AMD EPYC Zen 5
// VM with full-width AVX-512, Go 1.26; "math" is the per-element loop
// over the math package, "go" the pure-Go fallback of this package;
// timings on this shared machine are noisy to ±30%):
//
//	function          n  avx512   avx2     go   math
//	Exp              10    2.54   2.95   5.82   6.82
//	Exp              64    0.49   0.96   5.96   7.06
//	Exp            4096    0.61   1.20   5.88   7.22
//	Softplus         10    4.56   5.07  17.18  18.98
//	Softplus         64    1.36   3.03  18.49  19.65
//	Softplus       4096    1.47   2.91  19.52  23.92
//	Sigmoid          10    3.24   3.34   9.60   8.01
//	Sigmoid          64    0.72   1.41  11.55   8.19
//	Sigmoid        4096    0.75   1.48  11.64   8.27
//	Tanh             10    3.17   3.37   9.58  13.05
//	Tanh             64    0.71   1.39   9.84  11.14
//	Tanh           4096    0.73   1.47  10.03  12.82
//	SoftplusSigmoid  10    4.78   6.16  18.53  23.28
//	SoftplusSigmoid  64    1.60   3.50  19.48  24.71
//	SoftplusSigmoid 4096   1.70   3.38  23.22  28.08
package vecmath
