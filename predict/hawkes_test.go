package predict

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/metrics"
)

func testHawkes() *hawkes {
	return &hawkes{
		mu:    []float64{0.3, 0.2},
		alpha: [][]float64{{0.5, 0.2}, {0.3, 0.4}},
		beta:  1.5,
	}
}

// TestHawkesAgainstSimulation compares Analyze on a Hawkes history with the
// mean of many exact (thinning) simulations of the next event.
func TestHawkesAgainstSimulation(t *testing.T) {
	h := testHawkes()
	seq := &data.Sequence{Times: []float64{0.5, 1.0, 1.3, 1.35}, Types: []int{0, 1, 0, 1}, Start: 0, End: 1.35}
	next := h.NextAfter(seq, 4).(*hawkesNext)
	pr, err := Analyze(next, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 40000
	if testing.Short() {
		n = 10000
	}
	r := rand.New(rand.NewPCG(21, 22))
	var sum, sum2 float64
	counts := make([]int, 2)
	for i := 0; i < n; i++ {
		dt, k := next.simulateNext(r)
		sum += dt
		sum2 += dt * dt
		counts[k]++
	}
	mean := sum / float64(n)
	se := math.Sqrt((sum2/float64(n) - mean*mean) / float64(n))
	if math.Abs(pr.Mean-mean) > 4*se {
		t.Errorf("E[Δt]: quadrature %.5f, simulation %.5f ± %.5f", pr.Mean, mean, se)
	}
	for k, c := range counts {
		p := pr.MarkProbs[k]
		if math.Abs(float64(c)/float64(n)-p) > 4*math.Sqrt(p*(1-p)/float64(n)) {
			t.Errorf("P(%d): quadrature %.4f, simulation %.4f", k, p, float64(c)/float64(n))
		}
	}
	// Tight check against a fine Simpson quadrature of the closed-form S.
	ref := simpson(func(x float64) float64 { return math.Exp(-next.lam(x)) }, 0, 200, 1_000_000)
	near(t, "hawkes mean vs Simpson", pr.Mean, ref, 1e-8)
	// The median from the closed-form compensator.
	near(t, "hawkes median", pr.Median, bisect(func(x float64) float64 { return next.lam(x) - math.Ln2 }, 0, 50), 1e-9)
	t.Logf("Hawkes: mean %.5f (sim %.5f ± %.5f), P %v, evals %d", pr.Mean, mean, se, pr.MarkProbs, pr.Evals)
}

// TestRescaledGapsHawkes simulates a Hawkes sequence, checks the numerically
// integrated gaps against the closed-form compensator, and runs the
// time-rescaling KS test on them.
func TestRescaledGapsHawkes(t *testing.T) {
	h := testHawkes()
	r := rand.New(rand.NewPCG(31, 32))
	T := 1500.0
	if testing.Short() {
		T = 500
	}
	seq := h.simulate(r, T)
	gaps, err := RescaledGaps(h, &seq, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != seq.Len() {
		t.Fatalf("%d gaps for %d events", len(gaps), seq.Len())
	}
	for i, g := range gaps {
		prev := seq.Start
		if i > 0 {
			prev = seq.Times[i-1]
		}
		want := h.NextAfter(&seq, i).(*hawkesNext).lam(seq.Times[i] - prev)
		if math.Abs(g-want) > 1e-9*(1+want) {
			t.Fatalf("gap %d: %.15g, closed form %.15g", i, g, want)
		}
	}
	ks, _ := metrics.KSExp1(gaps)
	if ks.PValue < 0.01 {
		t.Errorf("rescaled Hawkes gaps: D = %.4f p = %.3g (n = %d)", ks.D, ks.PValue, ks.N)
	}
	// A wrong model (baseline doubled) is rejected.
	wrong := testHawkes()
	wrong.mu = []float64{0.6, 0.4}
	wg, _ := RescaledGaps(wrong, &seq, Options{})
	if ks, _ := metrics.KSExp1(wg); ks.PValue > 1e-3 {
		t.Errorf("wrong model not rejected: p = %.3g", ks.PValue)
	}
}
