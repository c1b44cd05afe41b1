package attention

import (
	"math"
	"testing"
)

// TestSoftplusAntiderivatives: the vectorised F equals the scalar one to a
// few ulps (relative 1e-15, or 1e-300 absolute where F underflows).
func TestSoftplusAntiderivatives(t *testing.T) {
	var x []float64
	for v := -745.0; v <= 745; v += 0.37 {
		x = append(x, v, v/1000, -v/1e6)
	}
	x = append(x, 0, -0.0, 1e-300, -1e-300)
	got := make([]float64, len(x))
	SoftplusAntiderivatives(got, x)
	for i, v := range x {
		want := SoftplusAntiderivative(v)
		if d := math.Abs(got[i] - want); d > 1e-15*math.Abs(want) && d > 1e-300 {
			t.Errorf("F(%g) = %.17g, scalar %.17g", v, got[i], want)
		}
	}
}

// TestSoftplusIntegralValue: the value-only variant equals
// SoftplusIntegral's I bit for bit on both of its branches.
func TestSoftplusIntegralValue(t *testing.T) {
	for _, x0 := range []float64{-40, -3, -0.2, 0, 0.7, 5, 45} {
		for _, c := range []float64{-2, -0.01, 0, 1e-4, 0.3, 4} {
			for _, d := range []float64{0, 1e-3, 0.1, 2, 30} {
				want, _, _ := SoftplusIntegral(x0, c, d)
				if got := SoftplusIntegralValue(x0, SoftplusAntiderivative(x0), c, d); got != want {
					t.Errorf("x0=%g c=%g d=%g: %.17g, SoftplusIntegral %.17g", x0, c, d, got, want)
				}
			}
		}
	}
}

// TestSoftplusIntegralValues: the batched integrals equal the scalar ones
// to a few ulps on both branches (|c·Δ| below and above closedFormMin).
func TestSoftplusIntegralValues(t *testing.T) {
	x0 := []float64{-40, -3, -0.2, 0, 0.7, 5, 45, 1}
	c := []float64{-2, -0.01, 0, 1e-4, 0.3, 4, -0.5, 0.02}
	f0 := make([]float64, len(x0))
	SoftplusAntiderivatives(f0, x0)
	out, scr := make([]float64, len(x0)), make([]float64, len(x0))
	for _, d := range []float64{0, 1e-3, 0.1, 2, 30} {
		SoftplusIntegralValues(out, x0, f0, c, d, scr)
		for k := range x0 {
			want, _, _ := SoftplusIntegral(x0[k], c[k], d)
			if diff := math.Abs(out[k] - want); diff > 1e-13*math.Abs(want) && diff > 1e-300 {
				t.Errorf("x0=%g c=%g d=%g: %.17g, SoftplusIntegral %.17g", x0[k], c[k], d, out[k], want)
			}
		}
	}
}
