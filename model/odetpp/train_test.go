package odetpp

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/reftest"
)

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
	m, err := New(Config{HiddenSize: 16}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	te := reftest.CheckTrainHawkes(t, m)

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
