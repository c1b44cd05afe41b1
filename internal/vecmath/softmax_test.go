package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSoftmax compares Softmax with exp(x_i)/Σ exp(x_j) from math.Exp and a
// shift by a value of its own (the first element), in place and not, on
// lengths 1..40 with large offsets; and checks that a NaN spreads.
func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 3))
	for n := 1; n <= 40; n++ {
		x := make([]float64, n)
		off := 600 * (rng.Float64() - 0.5)
		for i := range x {
			x[i] = off + 20*rng.NormFloat64()
		}
		want := make([]float64, n)
		s := 0.0
		for i, v := range x {
			want[i] = math.Exp(v - x[0])
			s += want[i]
		}
		for i := range want {
			want[i] /= s
		}
		got := make([]float64, n)
		Softmax(got, x)
		in := append([]float64(nil), x...)
		Softmax(in, in)
		for i := range want {
			for _, g := range []float64{got[i], in[i]} {
				if math.Abs(g-want[i]) > 1e-13*want[i]+1e-300 {
					t.Fatalf("n=%d: softmax[%d] = %v, want %v", n, i, g, want[i])
				}
			}
		}
	}
	x := []float64{1, math.NaN(), 2}
	Softmax(x, x)
	for i, v := range x {
		if !math.IsNaN(v) {
			t.Fatalf("softmax with a NaN: [%d] = %v, want NaN", i, v)
		}
	}
}
