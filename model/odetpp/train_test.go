package odetpp

import (
	"context"
	"math"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/sampler"
	"github.com/gotpp/gotpp/train"
)

// hawkesData simulates a small 2-type Hawkes data set on [0, T] and returns
// the train and test splits with the test set's true log-likelihood (Full
// convention) under the generating parameters.
func hawkesData(t *testing.T, nTrain, nTest int, T float64) (tr, te *data.Dataset, truth likelihood.Parts) {
	t.Helper()
	hm := hawkes.MustNew(hawkes.NewScalarParams([]float64{0.4, 0.25}, [][]float64{{0.3, 0.2}, {0.4, 0.2}}, 2))
	seqs, err := sampler.HawkesSequences(hm, nTrain+nTest, 0, T, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr = &data.Dataset{Name: "hawkes-train", NumTypes: 2, Seqs: seqs[:nTrain]}
	te = &data.Dataset{Name: "hawkes-test", NumTypes: 2, Seqs: seqs[nTrain:]}
	for i := range te.Seqs {
		truth.Add(hm.SequenceLogLik(&te.Seqs[i], likelihood.Full))
	}
	return tr, te, truth
}

// compensatorRules integrates the total intensity of the model's
// continuous-time law over every Full interval of ds: the reference
// (380-step fine RK4 solution, Simpson) and EasyTPP's rule (Δ times the mean
// of 20 equispaced points of the same fine trajectory, both ends
// included); the model's own discretised compensator (Steps RK4 steps with
// Λ as an ODE state) comes out of the batched likelihood as Σ log λ(t_i)
// − TimeLL.
func compensatorRules(m *Model, ds *data.Dataset) (model, easy, ref float64) {
	e := exactODE{m}
	sumLogLam := 0.0
	lam := make([]float64, m.k)
	for si := range ds.Seqs {
		s := &ds.Seqs[si]
		h := append([]float64(nil), m.h0.Value...)
		prev := s.Start
		for i := 0; i <= len(s.Times); i++ {
			end := s.End
			if i < len(s.Times) {
				end = s.Times[i]
			}
			// fine grid of 380 steps: Simpson, and every 20th point for
			// EasyTPP's 20-point rule
			const n = 380
			d := end - prev
			st := d / n
			hh := h
			ez := 0.0
			for j := 0; j <= n; j++ {
				tot := 0.0
				for _, v := range e.intensities(hh) {
					tot += v
				}
				w := 2.0
				switch {
				case j == 0 || j == n:
					w = 1
				case j%2 == 1:
					w = 4
				}
				ref += w * tot * st / 3
				if j%20 == 0 {
					ez += tot
				}
				if j < n {
					hh = e.step(hh, st)
				}
			}
			easy += d * ez / 20
			if i < len(s.Times) {
				m.NextAfter(s, i).Intensities(d, lam)
				tot := 0.0
				for _, v := range lam {
					tot += v
				}
				sumLogLam += math.Log(tot)
				h = exactJump(m, hh, s.Types[i])
				prev = end
			}
		}
	}
	got, _ := m.DatasetLogLik(ds, likelihood.Full)
	return sumLogLam - got.TimeLL, easy, ref
}

// exactJump applies the event update to a state of the fine trajectory.
func exactJump(m *Model, h []float64, k int) []float64 {
	H := m.cfg.HiddenSize
	out := make([]float64, H)
	for j := 0; j < H; j++ {
		z := m.emb.Value[k*H+j]
		for d := 0; d < H; d++ {
			z += h[d] * m.wg.Value[d*H+j]
		}
		out[j] = h[j] + math.Tanh(z)
	}
	return out
}

// TestTrainHawkes trains ODETPP with train.Run on simulated Hawkes data and
// checks that the held-out log-likelihood per event moves most of the way
// from its initial value to the true model's; it reports the accuracy of
// the default compensator against a fine reference and EasyTPP's rule.
func TestTrainHawkes(t *testing.T) {
	nTrain, epochs := 64, 12
	if testing.Short() {
		nTrain, epochs = 48, 8
	}
	tr, te, truth := hawkesData(t, nTrain, 40, 40)
	m, err := New(Config{HiddenSize: 16}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.DatasetLogLik(te, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	opts := train.DefaultOptions()
	opts.Epochs, opts.BatchSize, opts.LR, opts.Clip, opts.Quiet = epochs, 16, 0.01, 5, true
	if _, err := train.Run(context.Background(), m, tr, nil, opts); err != nil {
		t.Fatal(err)
	}
	after, _ := m.DatasetLogLik(te, likelihood.Full)
	n := float64(truth.NumEvents)
	b, a, tv := before.LogLik/n, after.LogLik/n, truth.LogLik/n
	t.Logf("test LL/event (Full): initial %.4f, after %d epochs on %d sequences %.4f, true parameters %.4f (gap %.4f)",
		b, epochs, nTrain, a, tv, tv-a)
	need := 0.6
	if testing.Short() {
		need = 0.4
	}
	if !(a-b > need*(tv-b)) {
		t.Fatalf("training closed only %.0f%% of the gap to the truth", 100*(a-b)/(tv-b))
	}

	sub := &data.Dataset{Name: "sub", NumTypes: 2, Seqs: te.Seqs[:10]}
	mc, easy, ref := compensatorRules(m, sub)
	m.SetSteps(16, 1.0/32)
	fine, _, _ := compensatorRules(m, sub)
	m.SetSteps(2, 0.5)
	t.Logf("compensator over 10 test sequences: continuous-time reference %.6f; model with the default steps (2 per interval, at most 0.5; Λ as ODE state) rel. error %.2e, with 16 steps of at most 1/32 %.2e; EasyTPP 20 equispaced points on the exact trajectory rel. error %.2e",
		ref, math.Abs(mc-ref)/ref, math.Abs(fine-ref)/ref, math.Abs(easy-ref)/ref)
	if math.Abs(mc-ref) > 5e-3*ref || math.Abs(fine-ref) > 1e-6*ref {
		t.Fatalf("model compensator %.8g (fine steps %.8g), reference %.8g", mc, fine, ref)
	}
}
