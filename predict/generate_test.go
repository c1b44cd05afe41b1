package predict

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/metrics"
)

// TestGenerateTimeRescaling: continuations generated from a Hawkes prefix,
// rescaled by the closed-form compensator of the test model given the prefix
// plus the events generated so far, are Exp(1); a compensator off by 10%
// is rejected by the same test.
func TestGenerateTimeRescaling(t *testing.T) {
	h := testHawkes()
	r := rand.New(rand.NewPCG(7, 8))
	var gaps, wrong []float64
	for s := 0; s < 60; s++ {
		seq := h.simulate(r, 30)
		if seq.Len() < 5 {
			continue
		}
		prefix := seq.Len() / 2
		gens, err := Generate(h, &seq, prefix, 20, 3, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gens {
			if len(g.Times) != 20 || len(g.MarkProbs) != 20 {
				t.Fatalf("generated %d events, want 20", len(g.Times))
			}
			hist := data.Sequence{Times: append([]float64(nil), seq.Times[:prefix]...), Types: append([]int(nil), seq.Types[:prefix]...)}
			for j, tj := range g.Times {
				n := h.NextAfter(&hist, len(hist.Times)).(*hawkesNext)
				if tj < n.tLast {
					t.Fatalf("generated time %v before previous %v", tj, n.tLast)
				}
				sum := 0.0
				for _, p := range g.MarkProbs[j] {
					sum += p
				}
				if math.Abs(sum-1) > 1e-12 {
					t.Fatalf("mark probabilities sum to %v", sum)
				}
				c := n.lam(tj - n.tLast)
				gaps = append(gaps, c)
				wrong = append(wrong, 1.1*c)
				hist.Times = append(hist.Times, tj)
				hist.Types = append(hist.Types, g.Types[j])
			}
		}
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	if ks.PValue < 1e-3 {
		t.Errorf("generated continuations fail time rescaling: D=%.4f p=%.2g (n=%d)", ks.D, ks.PValue, ks.N)
	}
	kw, _ := metrics.KSExp1(wrong)
	if kw.PValue > 1e-3 {
		t.Errorf("a 10%% compensator error was not detected: p=%.3g", kw.PValue)
	}
}

func TestGenerateDeterministicAndBounds(t *testing.T) {
	h := testHawkes()
	seq := h.simulate(rand.New(rand.NewPCG(1, 2)), 20)
	a, err := Generate(h, &seq, 3, 5, 2, rand.New(rand.NewPCG(3, 4)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(h, &seq, 3, 5, 2, rand.New(rand.NewPCG(3, 4)), Options{})
	for s := range a {
		for j := range a[s].Times {
			if a[s].Times[j] != b[s].Times[j] || a[s].Types[j] != b[s].Types[j] {
				t.Fatal("same seed gave different continuations")
			}
		}
	}
	if a[0].Times[0] < seq.Times[2] {
		t.Error("continuation starts before the prefix's last event")
	}
	if _, err := Generate(h, &seq, seq.Len()+1, 5, 1, rand.New(rand.NewPCG(1, 1)), Options{}); err == nil {
		t.Error("prefix longer than the sequence accepted")
	}
}
