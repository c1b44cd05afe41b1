package attention

import "testing"

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
