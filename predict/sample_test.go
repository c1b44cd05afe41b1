package predict

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/metrics"
	"gonum.org/v1/gonum/stat/distuv"
)

// TestSamplerTimeRescaling draws next events from an exp-decay intensity and
// checks that the closed-form compensator at the sampled times is Exp(1)
// (time-rescaling theorem), that the marks follow P(k), and that the same
// seed gives the same draws.
func TestSamplerTimeRescaling(t *testing.T) {
	base := expDecay{mu: []float64{0.2, 0.1, 0.05}, a: []float64{3, 0.5, 1}, beta: 2.5}
	ref, err := Analyze(&expDecayExact{base}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	for name, next := range map[string]Next{"numeric": &base, "exact": &expDecayExact{base}} {
		r := rand.New(rand.NewPCG(11, 12))
		gaps := make([]float64, n)
		counts := make([]int, 3)
		for i := range gaps {
			dt, k, err := Sample(next, r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			gaps[i] = base.lam(dt)
			counts[k]++
		}
		ks, _ := metrics.KSExp1(gaps)
		if ks.PValue < 0.01 {
			t.Errorf("%s: rescaled sample times not Exp(1): D = %.4f, p = %.3g", name, ks.D, ks.PValue)
		}
		// The test has power: a 10% error in the compensator is rejected.
		for i := range gaps {
			gaps[i] *= 1.1
		}
		if ks, _ := metrics.KSExp1(gaps); ks.PValue > 1e-3 {
			t.Errorf("%s: KS does not see a 10%% compensator error (p = %.3g)", name, ks.PValue)
		}
		for k, c := range counts {
			p := ref.MarkProbs[k]
			se := math.Sqrt(p * (1 - p) / n)
			if math.Abs(float64(c)/n-p) > 4*se {
				t.Errorf("%s: mark %d frequency %.4f, P = %.4f (4 SE = %.4f)", name, k, float64(c)/n, p, 4*se)
			}
		}
	}
	// Determinism.
	a, ka, _ := Sample(&base, rand.New(rand.NewPCG(5, 5)), Options{})
	b, kb, _ := Sample(&base, rand.New(rand.NewPCG(5, 5)), Options{})
	if a != b || ka != kb {
		t.Errorf("same seed, different draws: (%g,%d) vs (%g,%d)", a, ka, b, kb)
	}
}

func TestSamplerDensityAndDefective(t *testing.T) {
	ln := &lognormal{d: distuv.LogNormal{Mu: 0.3, Sigma: 0.8}, marks: []float64{0.2, 0.5, 0.3}}
	r := rand.New(rand.NewPCG(13, 14))
	const n = 3000
	gaps := make([]float64, n)
	counts := make([]int, 3)
	for i := range gaps {
		dt, k, err := Sample(FromDensity(ln), r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		gaps[i] = -math.Log(ln.d.Survival(dt))
		counts[k]++
	}
	if ks, _ := metrics.KSExp1(gaps); ks.PValue < 0.01 {
		t.Errorf("density sampler: D = %.4f p = %.3g", ks.D, ks.PValue)
	}
	for k, c := range counts {
		p := ln.marks[k]
		if math.Abs(float64(c)/n-p) > 4*math.Sqrt(p*(1-p)/n) {
			t.Errorf("density mark %d frequency %.4f, want %.2f", k, float64(c)/n, p)
		}
	}
	// Defective: λ = 0.5 e^{-t}, P(no event) = e^{-0.5} ≈ 0.61.
	def := &expDecay{mu: []float64{0}, a: []float64{0.5}, beta: 1}
	none := 0
	for i := 0; i < 2000; i++ {
		dt, k, err := Sample(def, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if math.IsInf(dt, 1) {
			if k != -1 {
				t.Fatalf("no event but mark %d", k)
			}
			none++
		}
	}
	p := math.Exp(-0.5)
	if math.Abs(float64(none)/2000-p) > 4*math.Sqrt(p*(1-p)/2000) {
		t.Errorf("defective: %d/2000 without event, want %.3f", none, p)
	}
}

func TestDrawArgmaxMark(t *testing.T) {
	// Draw's mark is the argmax of the intensities at the drawn time: for
	// λ_0 = 1 (flat) and λ_1 = 3e^{-t}, type 1 wins before ln 3, type 0
	// after.
	m := &expDecay{mu: []float64{1, 0}, a: []float64{0, 3}, beta: 1}
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 300; i++ {
		dt, k, err := Draw(m, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if dt < math.Log(3) {
			want = 1
		}
		if k != want {
			t.Fatalf("draw at dt=%g gave mark %d, want %d", dt, k, want)
		}
	}
}
