package rmtpp

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/predict"
)

// TestNextAfterMatchesLikelihood: the log-likelihood rebuilt from NextAfter
// (log λ_k at each event minus the compensator of each interval, plus the
// survival tail) equals the batched training path's.
func TestNextAfterMatchesLikelihood(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, feat := range []string{FeatureLog1p, FeatureLinear, FeatureBoth} {
		cfg := DefaultConfig()
		cfg.HiddenSize, cfg.TimeFeature = 6, feat
		m, err := New(cfg, 3, 9)
		if err != nil {
			t.Fatal(err)
		}
		m.w.Value[0] = -0.3
		ds := &data.Dataset{NumTypes: 3}
		for s := 0; s < 5; s++ {
			seq := data.Sequence{Start: 0.5}
			tt := 0.5
			for j := 0; j < 4+s; j++ {
				tt += r.ExpFloat64()
				seq.Times, seq.Types = append(seq.Times, tt), append(seq.Types, r.IntN(3))
			}
			seq.End = tt + 0.7
			ds.Seqs = append(ds.Seqs, seq)
		}
		want, err := m.DatasetLogLik(ds, likelihood.Full)
		if err != nil {
			t.Fatal(err)
		}
		got := 0.0
		lam := make([]float64, 3)
		for si := range ds.Seqs {
			s := &ds.Seqs[si]
			prev := s.Start
			for i := 0; i <= s.Len(); i++ {
				n := m.NextAfter(s, i).(*next)
				if i == s.Len() {
					got -= n.Compensator(s.End - prev)
					break
				}
				dt := s.Times[i] - prev
				n.Intensities(dt, lam)
				got += math.Log(lam[s.Types[i]]) - n.Compensator(dt)
				prev = s.Times[i]
			}
		}
		if math.Abs(got-want.LogLik) > 1e-9*math.Abs(want.LogLik) {
			t.Errorf("%s: NextAfter log-likelihood %.12f, training path %.12f", feat, got, want.LogLik)
		}
	}
}

// TestSamplerTimeRescaling: sequences sampled from RMTPP itself through
// predict.Sample rescale to Exp(1) under its own compensator.
func TestSamplerTimeRescaling(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HiddenSize = 8
	m, err := New(cfg, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	m.w.Value[0] = 0.2 // rising intensity between events
	r := rand.New(rand.NewPCG(1, 2))
	var gaps []float64
	for s := 0; s < 40; s++ {
		seq := data.Sequence{}
		for j := 0; j < 30; j++ {
			n := m.NextAfter(&seq, seq.Len())
			dt, k, err := predict.Sample(n, r, predict.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Rescale with the integral of the intensity by quadrature, not
			// with the closed-form compensator the sampler inverted.
			lam := make([]float64, 3)
			total := func(x float64) float64 {
				n.Intensities(x, lam)
				return lam[0] + lam[1] + lam[2]
			}
			gaps = append(gaps, quad.Fixed(total, 0, dt, 100, quad.Legendre{}, 0))
			prev := 0.0
			if seq.Len() > 0 {
				prev = seq.Times[seq.Len()-1]
			}
			seq.Times, seq.Types = append(seq.Times, prev+dt), append(seq.Types, k)
		}
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	if ks.PValue < 1e-3 {
		t.Errorf("sampled RMTPP sequences fail time rescaling: D=%.4f p=%.3g", ks.D, ks.PValue)
	}
}
