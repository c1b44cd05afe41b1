package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var benchSink float64

func benchInput(n int) []float64 {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, n)
	for i := range x {
		x[i] = 20 * (rng.Float64() - 0.5)
	}
	return x
}

func perElem(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
}

// benchSizes are the slice lengths benchmarked.
var benchSizes = []int{10, 32, 64, 1024, 4096}

// benchPaths runs body as sub-benchmark n=N/<path> for every kernel path
// this CPU has (go, avx2, avx512).
func benchPaths(b *testing.B, n int, body func()) {
	for _, p := range paths() {
		if !p.available {
			continue
		}
		b.Run(fmt.Sprintf("n=%d/%s", n, p.name), func(b *testing.B) {
			defer setPath(p)()
			for b.Loop() {
				body()
			}
			perElem(b, n)
		})
	}
}

// benchVec benchmarks vec (every kernel path) against a per-element math loop.
func benchVec(b *testing.B, vec func(dst, x []float64), scalar func(float64) float64) {
	for _, n := range benchSizes {
		x, dst := benchInput(n), make([]float64, n)
		benchPaths(b, n, func() { vec(dst, x) })
		b.Run(fmt.Sprintf("n=%d/math", n), func(b *testing.B) {
			for b.Loop() {
				for i, v := range x {
					dst[i] = scalar(v)
				}
			}
			perElem(b, n)
		})
		benchSink += dst[0]
	}
}

func BenchmarkExp(b *testing.B)      { benchVec(b, Exp, math.Exp) }
func BenchmarkSoftplus(b *testing.B) { benchVec(b, Softplus, softplusRef) }
func BenchmarkSigmoid(b *testing.B) {
	benchVec(b, Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })
}
func BenchmarkTanh(b *testing.B) { benchVec(b, Tanh, math.Tanh) }

func BenchmarkSoftplusSigmoid(b *testing.B) {
	for _, n := range benchSizes {
		x, sp, sg := benchInput(n), make([]float64, n), make([]float64, n)
		benchPaths(b, n, func() { SoftplusSigmoid(sp, sg, x) })
		b.Run(fmt.Sprintf("n=%d/math", n), func(b *testing.B) {
			for b.Loop() {
				for i, v := range x {
					e := math.Exp(-math.Abs(v))
					sp[i] = math.Max(v, 0) + math.Log1p(e)
					if v >= 0 {
						sg[i] = 1 / (1 + e)
					} else {
						sg[i] = e / (1 + e)
					}
				}
			}
			perElem(b, n)
		})
		benchSink += sp[0] + sg[0]
	}
}
