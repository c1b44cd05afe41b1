package nhp

import (
	"context"
	"math"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/predict"
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

// compensatorRules integrates the total intensity of m over every Full
// interval of ds three ways: the model's Gauss–Legendre rule, EasyTPP's
// rule (Δ times the mean of 20 equispaced points including both ends) and
// a 1000-panel Simpson reference.
func compensatorRules(m *Model, ds *data.Dataset) (gl, easy, ref float64) {
	lam := make([]float64, m.k)
	for si := range ds.Seqs {
		s := &ds.Seqs[si]
		for i := 0; i <= len(s.Times); i++ {
			prev, end := s.Start, s.End
			if i > 0 {
				prev = s.Times[i-1]
			}
			if i < len(s.Times) {
				end = s.Times[i]
			}
			d := end - prev
			nx := m.NextAfter(s, i)
			f := func(dt float64) float64 {
				nx.Intensities(dt, lam)
				v := 0.0
				for _, x := range lam {
					v += x
				}
				return v
			}
			for g, x := range m.nodes {
				gl += d * m.weights[g] * f(d*x)
			}
			e := 0.0
			for g := 0; g < 20; g++ {
				e += f(d * float64(g) / 19)
			}
			easy += d * e / 20
			ref += simpson(f, 0, d, 1000)
		}
	}
	return gl, easy, ref
}

// TestTrainHawkes trains NHP with train.Run on simulated Hawkes data and
// checks that the held-out log-likelihood per event moves most of the way
// from its initial value to the true model's. It also reports the accuracy
// of the default compensator quadrature on the trained model.
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

	sub := &data.Dataset{Name: "sub", NumTypes: 2, Seqs: te.Seqs[:15]}
	gl, easy, ref := compensatorRules(m, sub)
	t.Logf("compensator over 15 test sequences: reference %.6f; Gauss–Legendre %d nodes rel. error %.2e; EasyTPP 20 equispaced points rel. error %.2e",
		ref, m.cfg.QuadNodes, math.Abs(gl-ref)/ref, math.Abs(easy-ref)/ref)
	if math.Abs(gl-ref) > 1e-4*ref || math.Abs(gl-ref) > math.Abs(easy-ref) {
		t.Fatalf("Gauss–Legendre compensator %.8g, reference %.8g, EasyTPP rule %.8g", gl, ref, easy)
	}
	var _ predict.Model = m
}
