package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/params"
)

// BenchmarkAddLayerNorm is one post-norm residual step of a Transformer
// layer at THP's width on one worker's share of a Taxi batch: forward and
// backward of AddLayerNorm with gain and bias.
func BenchmarkAddLayerNorm(b *testing.B) {
	const R, C = 4800, 64
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	px := &params.Param{Name: "x", Shape: []int{R, C}, Value: rnd(R * C)}
	py := &params.Param{Name: "y", Shape: []int{R, C}, Value: rnd(R * C)}
	pg := &params.Param{Name: "g", Shape: []int{C}, Value: rnd(C)}
	pb := &params.Param{Name: "b", Shape: []int{C}, Value: rnd(C)}
	w := rnd(R * C)
	t := NewTape()
	for b.Loop() {
		t.Reset()
		out := t.AddLayerNorm(t.Param(px), t.Param(py), t.Param(pg), t.Param(pb), 1e-5)
		t.Backward(t.Sum(t.Mul(out, t.Const(w, R, C))))
	}
}
