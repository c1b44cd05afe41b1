package rmtpp

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/gotpp/gotpp/predict"
)

// quadOnly hides next's closed form, so that predict.Analyze integrates the
// same intensity and compensator numerically.
type quadOnly struct{ n *next }

func (q quadOnly) NumTypes() int                         { return q.n.NumTypes() }
func (q quadOnly) Intensities(dt float64, out []float64) { q.n.Intensities(dt, out) }
func (q quadOnly) Compensator(dt float64) float64        { return q.n.Compensator(dt) }

// TestClosedFormMatchesQuadrature: the closed-form summary (mean, median,
// mark probabilities, tail mass) equals the adaptive quadrature of the same
// law, for rising, flat, slowly and fast falling intensities (proper laws,
// laws with a negligible defect and clearly defective ones).
func TestClosedFormMatchesQuadrature(t *testing.T) {
	p := []float64{0.5, 0.3, 0.2}
	cases := []struct{ c, w float64 }{
		{0, 0}, {1.3, 0}, {-2, 0.5}, {0.3, 3}, {-1, 8}, {2, 1e-9}, {0, 1e-3},
		{1.6, -0.2}, {0, -0.05}, {-0.5, -0.3}, {0, -1}, {-1, -2}, {0.7, -0.69},
		{-3, -1e-9}, {-6, -8}, {3, -0.01},
	}
	opts := predict.Options{Tol: 1e-10, TailTol: 1e-14}
	for _, tc := range cases {
		n := &next{c: tc.c, w: tc.w, p: p}
		law, ok := n.Closed()
		if !ok {
			t.Errorf("c=%g w=%g: no closed form", tc.c, tc.w)
			continue
		}
		got, err := predict.Analyze(n, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got.Evals > 1 {
			t.Errorf("c=%g w=%g: %d evaluations, want the closed form", tc.c, tc.w, got.Evals)
		}
		ref, err := predict.Analyze(quadOnly{n}, opts)
		if err != nil {
			t.Fatal(err)
		}
		rel := func(name string, a, b, tol float64) {
			if math.IsInf(a, 1) && math.IsInf(b, 1) {
				return
			}
			if !(math.Abs(a-b) <= tol*math.Abs(b)) {
				t.Errorf("c=%g w=%g: %s closed form %.15g, quadrature %.15g", tc.c, tc.w, name, a, b)
			}
		}
		rel("mean given event", law.MeanGivenEvent, ref.MeanGivenEvent, 1e-8)
		rel("median given event", law.MedianGivenEvent, ref.MedianGivenEvent, 1e-9)
		rel("median", law.Median, ref.Median, 1e-9)
		rel("mean", got.Mean, ref.Mean, 1e-8)
		if got.Defective != ref.Defective {
			t.Errorf("c=%g w=%g: defective %v, quadrature %v", tc.c, tc.w, got.Defective, ref.Defective)
		}
		if math.Abs(law.TailMass-ref.TailMass) > 1e-9*max(ref.TailMass, 1e-14) && math.Abs(law.TailMass-ref.TailMass) > 1e-14 {
			t.Errorf("c=%g w=%g: tail mass %g, quadrature %g", tc.c, tc.w, law.TailMass, ref.TailMass)
		}
		for k := range p {
			if math.Abs(got.MarkProbs[k]-ref.MarkProbs[k]) > 1e-9 {
				t.Errorf("c=%g w=%g: P(mark %d) %.12f, quadrature %.12f", tc.c, tc.w, k, got.MarkProbs[k], ref.MarkProbs[k])
			}
		}
	}
}

// TestSpecialFunctions checks e^x·E₁(x) and G(B) against direct quadrature
// of their integrals: e^x·E₁(x) = ∫₀^∞ e^{−xu}/(1+u) du and
// G(B) = ∫₀^B e^{s−B}(1 − e^{−s})/s ds, both on each side of the switch
// between series and continued fraction / asymptotic expansion.
func TestSpecialFunctions(t *testing.T) {
	for _, x := range []float64{1e-3, 0.2, 0.999, 1, 1.001, 2.5, 10, 60, 1e4} {
		// u = v/(1−v) maps [0, 1) onto [0, ∞); split at the scale 1/x.
		f := func(v float64) float64 {
			if v >= 1 {
				return 0
			}
			u := v / (1 - v)
			return math.Exp(-x*u) / (1 + u) / ((1 - v) * (1 - v))
		}
		knot := 1 / (1 + x)
		want := quad.Fixed(f, 0, knot, 2000, nil, 0) + quad.Fixed(f, knot, 1, 2000, nil, 0)
		if got := expE1(x); math.Abs(got-want) > 1e-11*want {
			t.Errorf("e^x E1(%g) = %.15g, quadrature %.15g", x, got, want)
		}
	}
	// Below the quadrature's reach: e^x E₁(x) = e^x(−γ − ln x + x − x²/4 …).
	if x := 1e-8; math.Abs(expE1(x)-math.Exp(x)*(-eulerGamma-math.Log(x)+x)) > 1e-15*expE1(x) {
		t.Errorf("e^x E1(%g) = %.15g, series %.15g", x, expE1(x), math.Exp(x)*(-eulerGamma-math.Log(x)+x))
	}
	for _, b := range []float64{1e-6, 0.3, 1, 7, 23, 49.9, 50.1, 80, 500} {
		f := func(s float64) float64 {
			if s == 0 {
				return math.Exp(-b)
			}
			return math.Exp(s-b) * -math.Expm1(-s) / s
		}
		// The integrand grows like e^{s−B}: panels of width 1 near B.
		want := 0.0
		for lo := 0.0; lo < b; lo++ {
			want += quad.Fixed(f, lo, math.Min(lo+1, b), 60, nil, 0)
		}
		if got := g(b); math.Abs(got-want) > 1e-12*want {
			t.Errorf("G(%g) = %.15g, quadrature %.15g", b, got, want)
		}
	}
}
