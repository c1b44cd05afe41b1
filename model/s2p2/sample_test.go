package s2p2

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/predict"
)

// sampleSeq draws n events from the model itself, starting at start, each
// exactly by compensator inversion (predict.Sample) of NextAfter. Stopping
// after a fixed number of events (rather than at a window end, which would
// drop the last, censored gap and bias the gaps short) keeps the rescaled
// gaps i.i.d. Exp(1) under the model.
func sampleSeq(t *testing.T, m predict.Model, start float64, n int, rng *rand.Rand) data.Sequence {
	t.Helper()
	s := data.Sequence{Start: start}
	last := start
	for len(s.Times) < n {
		dt, k, err := predict.Sample(m.NextAfter(&s, len(s.Times)), rng, predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if math.IsInf(dt, 1) {
			t.Fatalf("defective law after %d events", len(s.Times))
		}
		last += dt
		s.Times = append(s.Times, last)
		s.Types = append(s.Types, k)
	}
	s.End = last
	return s
}

// TestTimeRescaling: sequences sampled from the model through NextAfter,
// rescaled with the compensator of the batched training path (the Full
// score of a prefix with the window cut at t_{i−1} minus that with the
// window cut at t_i is ∫ λ over (t_{i−1}, t_i]), give Exp(1) gaps (KS
// test); the same gaps inflated by 30% are rejected; and each batched gap
// agrees with NextAfter's intensity integrated by predict.RescaledGaps
// (adaptive Gauss–Kronrod) to maxGapDiff.
func TestTimeRescaling(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 8, StateSize: 4, Layers: 2, Threads: 1}, 3)
	randomise(m, 21, 0.9)
	rng := rand.New(rand.NewPCG(22, 1))
	nSeq, nEv := 20, 40
	if testing.Short() {
		nSeq = 10
	}
	var gaps []float64
	worst := 0.0
	for q := 0; q < nSeq; q++ {
		s := sampleSeq(t, m, 0, nEv, rng)
		// the same gaps from NextAfter by adaptive Gauss–Kronrod
		direct, err := predict.RescaledGaps(m, &s, predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.Times {
			prev := s.Start
			if i > 0 {
				prev = s.Times[i-1]
			}
			pre := data.Sequence{Times: s.Times[:i], Types: s.Types[:i], Start: s.Start}
			pre.End = prev
			a := seqLogLik(m, pre, likelihood.Full).LogLik
			pre.End = s.Times[i]
			b := seqLogLik(m, pre, likelihood.Full).LogLik
			gaps = append(gaps, a-b)
			worst = max(worst, math.Abs(a-b-direct[i])/math.Max(1, direct[i]))
		}
	}
	t.Logf("largest difference between the batched compensator and NextAfter's integrated by predict: %.2e", worst)
	if worst > maxGapDiff {
		t.Fatalf("batched compensator and NextAfter disagree by %.3g on a gap", worst)
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	inflated := make([]float64, len(gaps))
	for i, g := range gaps {
		inflated[i] = 1.3 * g
	}
	bad, _ := metrics.KSExp1(inflated)
	t.Logf("%d rescaled gaps: KS D = %.4f, p = %.3f; inflated by 30%%: p = %.2g", len(gaps), ks.D, ks.PValue, bad.PValue)
	if ks.PValue < 0.01 {
		t.Fatalf("rescaled gaps are not Exp(1): KS D = %.4f, p = %.4f", ks.D, ks.PValue)
	}
	if bad.PValue > 0.01 {
		t.Fatalf("KS test did not reject gaps inflated by 30%%: p = %.4f", bad.PValue)
	}
}

// TestPredictConcurrent: predict.Dataset, which calls NextAfter from several
// goroutines at once (sharing the prefix cache), gives the same rows as one
// goroutine.
func TestPredictConcurrent(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 6, StateSize: 3, Layers: 2}, 3)
	randomise(m, 31, 0.5)
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: randomSeqs(32, 6, 8, 3)}
	one, err := predict.Dataset(m, ds, predict.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	many, err := predict.Dataset(m, ds, predict.Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != ds.NumEvents() || !reflect.DeepEqual(one, many) {
		t.Fatalf("%d rows with 1 worker, %d with 4, or they differ", len(one), len(many))
	}
}

// maxGapDiff bounds the difference between the batched compensator of a
// gap and NextAfter's intensity integrated by predict (relative to
// max(1, gap)): the Gauss–Legendre error on these gaps.
const maxGapDiff = 1e-5
