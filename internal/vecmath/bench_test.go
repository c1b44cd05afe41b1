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

// benchVec benchmarks vec (both kernels) against a per-element math loop.
func benchVec(b *testing.B, vec func(dst, x []float64), scalar func(float64) float64) {
	for _, n := range []int{10, 64, 1024} {
		x, dst := benchInput(n), make([]float64, n)
		run := func(name string, asm bool) {
			if asm && !hasAsm {
				return
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				saved := useAsm
				useAsm = asm
				defer func() { useAsm = saved }()
				for b.Loop() {
					vec(dst, x)
				}
				perElem(b, n)
			})
		}
		run("asm", true)
		run("go", false)
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
	for _, n := range []int{10, 64, 1024} {
		x, sp, sg := benchInput(n), make([]float64, n), make([]float64, n)
		for _, asm := range []bool{true, false} {
			if asm && !hasAsm {
				continue
			}
			name := "go"
			if asm {
				name = "asm"
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				saved := useAsm
				useAsm = asm
				defer func() { useAsm = saved }()
				for b.Loop() {
					SoftplusSigmoid(sp, sg, x)
				}
				perElem(b, n)
			})
		}
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
