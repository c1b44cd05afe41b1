package fullynn

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/compose"
	"github.com/gotpp/gotpp/model/compose/composetest"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// small is a FullyNN small enough for finite differences and fine
// quadrature, with every structural feature of the default (LSTM, two
// recurrent layers, three tanh layers).
func small(t testing.TB, k int, conv likelihood.Convention, threads int) *compose.Model {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Encoder.Hidden = 4
	cfg.Decoder.Hidden = 5
	cfg.Stats = compose.LogGapStats{Mean: 0.3, Std: 0.9}
	cfg.TrainConvention = conv.String()
	cfg.Threads = threads
	m, err := New(cfg, k, 2)
	if err != nil {
		t.Fatal(err)
	}
	perturb(m.Params(), 3, 0.2)
	return m
}

// perturb adds N(0, sd²) noise so that zero-initialised biases and states
// take part.
func perturb(ps []*params.Param, seed uint64, sd float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] += sd * rng.NormFloat64()
		}
	}
}

// TestGradients: the gradient LossAndGrad adds (encoder, free and
// reparametrised network weights: all parameters) agrees with central
// finite differences of the loss, under both training conventions and with
// the batch split over workers.
func TestGradients(t *testing.T) {
	b := batch.PackSeqs(composetest.RandomSeqs(1, 5, 6, 3), 3)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		m := small(t, 3, conv, 2)
		err := engine.CheckGradients(m.Params(),
			func() float64 { return -m.BatchLogLik(b, conv).LogLik },
			func() { m.LossAndGrad(b) },
			engine.GradCheck{RelTol: 2e-6, AbsTol: 1e-8})
		if err != nil {
			t.Errorf("%v: %v", conv, err)
		}
		params.ZeroGrad(m.Params())
		loss, n := m.LossAndGrad(b)
		if want := m.BatchLogLik(b, conv); !relClose(loss, -want.LogLik, 1e-12) || n != want.NumEvents {
			t.Errorf("%v: LossAndGrad %v (%d events), BatchLogLik %v (%d)", conv, loss, n, -want.LogLik, want.NumEvents)
		}
	}
}

// TestMatchesQuadrature: the batched loss (exact compensator Φ(Δ) − Φ(0))
// equals an independent computation: log φ_k from NextAfter(...).
// Intensities and ∫ Σ_k φ_k by graded Simpson quadrature, per sequence,
// with the window start and the survival tail under Full.
func TestMatchesQuadrature(t *testing.T) {
	seqs := composetest.RandomSeqs(4, 6, 8, 3)
	b := batch.PackSeqs(seqs, 3)
	m := small(t, 3, likelihood.Full, 2)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		got := m.BatchLogLik(b, conv)
		var want likelihood.Parts
		for i := range seqs {
			want.Add(composetest.RefLogLik(m, &seqs[i], conv, 32, 0))
		}
		t.Logf("%v: batch %.10f, quadrature %.10f", conv, got.LogLik, want.LogLik)
		if !relClose(got.LogLik, want.LogLik, 1e-4) || !relClose(got.TimeLL, want.TimeLL, 1e-4) ||
			!relClose(got.MarkLL, want.MarkLL, 1e-4) || got.NumEvents != want.NumEvents {
			t.Errorf("%v: batch %+v, quadrature %+v", conv, got, want)
		}
	}
}

// TestPaddingAndConventions: the loss of a batch is the sum of its
// sequences' losses (padding and companions do not matter), and the Full
// log-likelihood exceeds the EasyTPP one by exactly the first event's term
// and the survival term.
func TestPaddingAndConventions(t *testing.T) {
	seqs := composetest.RandomSeqs(5, 6, 14, 3)
	m := small(t, 3, likelihood.Full, 3)
	joint := m.BatchLogLik(batch.PackSeqs(seqs, 3), likelihood.Full)
	sum := 0.0
	for i := range seqs {
		sum += m.BatchLogLik(batch.PackSeqs(seqs[i:i+1], 3), likelihood.Full).LogLik
	}
	if !relClose(joint.LogLik, sum, 1e-11) {
		t.Fatalf("batch %.15g, sum of singles %.15g", joint.LogLik, sum)
	}
	s := seqs[3]
	one := func(q data.Sequence, c likelihood.Convention) float64 {
		return m.BatchLogLik(batch.PackSeqs([]data.Sequence{q}, 3), c).LogLik
	}
	first := data.Sequence{Start: s.Start, End: s.Times[0], Times: s.Times[:1], Types: s.Types[:1]}
	noTail := s
	noTail.End = s.Times[len(s.Times)-1]
	tail := one(s, likelihood.Full) - one(noTail, likelihood.Full)
	if d := one(s, likelihood.Full) - one(s, likelihood.EasyTPP); !relClose(d, one(first, likelihood.Full)+tail, 1e-10) || !(tail < 0) {
		t.Fatalf("Full − EasyTPP = %v, first term + tail = %v (tail %v)", d, one(first, likelihood.Full)+tail, tail)
	}
	// the tail term is exactly −Σ_k (Φ_k(T − t_last) − Φ_k(0)) from NextAfter
	nx := m.NextAfter(&s, len(s.Times)).(predict.Compensated)
	if !relClose(tail, -nx.Compensator(s.End-s.Times[len(s.Times)-1]), 1e-10) {
		t.Fatalf("tail %v, −compensator %v", tail, -nx.Compensator(s.End-s.Times[len(s.Times)-1]))
	}
}

// TestRescaledSamples: sequences drawn from the model by exact compensator
// inversion (predict.Sample on NextAfter) have time-rescaled gaps — the
// intensity integrated by quadrature, not the closed form used to sample —
// that pass a KS test against Exp(1). FullyNN's law is defective (Φ is
// bounded): a draw E ~ Exp(1) above Λ(∞) means no further event, so every
// recorded gap is Exp(1) truncated to [0, Λ(∞)], and is mapped back to
// Exp(1) by its truncated CDF before the test.
func TestRescaledSamples(t *testing.T) {
	m := small(t, 3, likelihood.Full, 1)
	seqs, stopped, err := composetest.Sample(m, 40, 20, rand.New(rand.NewPCG(6, 6)))
	if err != nil {
		t.Fatal(err)
	}
	var gaps []float64
	for i := range seqs {
		for j, x := range composetest.RescaledGaps(m, &seqs[i], 16) {
			inf := m.NextAfter(&seqs[i], j).(predict.Compensated).Compensator(1e12)
			u := -math.Expm1(-x) / -math.Expm1(-inf)
			gaps = append(gaps, -math.Log1p(-u))
		}
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KS D = %.4f, p = %.3f over %d gaps; %d of %d sequences ended early (defective law)", ks.D, ks.PValue, ks.N, stopped, len(seqs))
	if ks.PValue < 0.01 {
		t.Fatalf("rescaled gaps are not Exp(1): %+v", ks)
	}
}

// TestTrainHawkes trains FullyNN with train.Run on a simulated Hawkes data
// set and checks that the test log-likelihood per event moves most of the
// way from the initial model to the true process.
func TestTrainHawkes(t *testing.T) {
	nTrain, epochs := 120, 20
	if testing.Short() {
		nTrain, epochs = 60, 15
	}
	h, err := composetest.NewHawkes(nTrain, 60, 30, 11)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Encoder.Hidden, cfg.Encoder.Layers = 16, 1
	m, err := New(cfg, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.FitData(h.Train); err != nil {
		t.Fatal(err)
	}
	truth, err := h.TrueLogLik(likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	before, err := likelihood.Evaluate(m, h.Test, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	opts := train.DefaultOptions()
	opts.Epochs, opts.BatchSize, opts.LR, opts.Quiet, opts.Log = epochs, 16, 0.01, true, io.Discard
	if _, err := train.Run(context.Background(), m, h.Train, nil, opts); err != nil {
		t.Fatal(err)
	}
	after, err := likelihood.Evaluate(m, h.Test, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	b, a, tr := before.PerEvent(), after.PerEvent(), truth.PerEvent()
	t.Logf("test LL/event: initial %.4f, trained %.4f, true process %.4f (gap %.4f) after %d epochs on %d sequences",
		b, a, tr, tr-a, epochs, nTrain)
	if !(a > b) || (tr-a) > 0.25*(tr-b) || tr-a > 0.1 {
		t.Fatalf("training did not approach the truth: %.4f → %.4f (truth %.4f)", b, a, tr)
	}
	// compensator of the trained model on test intervals: the exact form
	// against graded Simpson quadrature, and EasyTPP's 20-point rule
	sub := &data.Dataset{Name: "sub", NumTypes: 2, Seqs: h.Test.Seqs[:8]}
	ct := composetest.Compensators(m, sub, likelihood.Full, 16)
	exactErr := math.Abs(ct.Exact-ct.Fine) / ct.Fine
	t.Logf("compensator over %d test intervals: exact %.10g, fine quadrature %.10g (rel. diff %.2e); EasyTPP 20-point rule %.10g (rel. error %.2e)",
		ct.Intervals, ct.Exact, ct.Fine, exactErr, ct.EasyTPP, math.Abs(ct.EasyTPP-ct.Exact)/ct.Exact)
	if !ct.HasExact || exactErr > 1e-7 {
		t.Fatalf("exact compensator %v, quadrature %v", ct.Exact, ct.Fine)
	}
}

func TestSaveLoadRegistry(t *testing.T) {
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	h := model.Hyper{Hidden: 6, Specs: map[string]any{"num_mlp_layers": 2, "proper_marked_intensities": true}}.Merge(spec.Defaults)
	tm, err := spec.New(3, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := tm.(*compose.Model)
	c := m.Config()
	if c.Encoder.Cell != compose.CellLSTM || c.Encoder.Hidden != 6 || c.Encoder.Layers != 2 || c.Decoder.Layers != 2 || c.Decoder.Hidden != 6 {
		t.Fatalf("config from hyper: %+v", c)
	}
	def, _ := spec.New(3, spec.Defaults, 1)
	if d := def.(*compose.Model).Config(); d.Encoder.Hidden != 32 || d.Encoder.Layers != 2 || d.Decoder.Layers != 3 || d.Decoder.Hidden != 32 {
		t.Fatalf("defaults: %+v", d)
	}
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: composetest.RandomSeqs(7, 10, 8, 3)}
	if err := m.FitData(ds); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	l, info, err := runs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.DatasetLogLik(ds, likelihood.Full)
	got, _ := likelihood.Evaluate(l, ds, likelihood.Full)
	if info.Model != Name || got != want {
		t.Fatalf("reloaded (%s): %+v, want %+v", info.Model, got, want)
	}
	if _, err := New(compose.Config{Decoder: compose.DecoderConfig{Kind: compose.KindSoftplus}}, 3, 1); err == nil || !strings.Contains(err.Error(), "cumhazard") {
		t.Fatalf("wrong decoder accepted: %v", err)
	}
}

// benchBatch is B random sequences of exactly L events over K types.
func benchBatch(B, L, K int) *batch.Batch {
	rng := rand.New(rand.NewPCG(1, 1))
	seqs := make([]data.Sequence, B)
	for i := range seqs {
		t := 0.0
		for j := 0; j < L; j++ {
			t += rng.ExpFloat64()
			seqs[i].Times = append(seqs[i].Times, t)
			seqs[i].Types = append(seqs[i].Types, rng.IntN(K))
		}
		seqs[i].End = t + 1
	}
	return batch.PackSeqs(seqs, K)
}

// BenchmarkFullyNNStep is one training step (forward, backward, Adam) of
// the default FullyNN (LSTM 32×2, 3-layer network) on B=64, L=64, K=22.
func BenchmarkFullyNNStep(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			bt := benchBatch(64, 64, 22)
			cfg := DefaultConfig()
			cfg.Threads = threads
			m, err := New(cfg, 22, 1)
			if err != nil {
				b.Fatal(err)
			}
			opt := engine.NewAdam(m.Params(), engine.AdamConfig{LR: 1e-3})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				params.ZeroGrad(m.Params())
				m.LossAndGrad(bt)
				opt.Step()
			}
			b.ReportMetric(float64(b.N*bt.NumEvents())/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
		})
	}
}
