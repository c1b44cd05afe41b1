package intensityfree

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
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
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func perturb(ps []*params.Param, seed uint64, sd float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] += sd * rng.NormFloat64()
		}
	}
}

// small is an IntensityFree model small enough for finite differences.
func small(t testing.TB, k int, conv likelihood.Convention, threads int) *compose.Model {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Encoder.Hidden = 4
	cfg.Decoder.Components = 3
	cfg.Stats = compose.LogGapStats{Mean: -0.4, Std: 1.3}
	cfg.TrainConvention = conv.String()
	cfg.Threads = threads
	m, err := New(cfg, k, 2)
	if err != nil {
		t.Fatal(err)
	}
	perturb(m.Params(), 3, 0.2)
	return m
}

// TestGradients: LossAndGrad's gradient over all parameters against
// central finite differences, both training conventions, two workers.
// The data contain ties (zero gaps, at the floor) and survival tails.
func TestGradients(t *testing.T) {
	b := batch.PackSeqs(composetest.RandomSeqs(1, 6, 6, 3), 3)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		m := small(t, 3, conv, 2)
		err := engine.CheckGradients(m.Params(),
			func() float64 { return -m.BatchLogLik(b, conv).LogLik },
			func() { m.LossAndGrad(b) },
			engine.GradCheck{RelTol: 2e-6, AbsTol: 1e-8})
		if err != nil {
			t.Errorf("%v: %v", conv, err)
		}
	}
}

// TestMatchesReference: the batched log-likelihood equals two independent
// per-sequence evaluations: (a) exact, from the predict.Density of
// DensityAfter (log f(τ) + log p(k), log S at the tail); (b) from the
// hazard λ_k = p_k f/S that NextAfter reports, with the compensator
// integrated by graded Simpson quadrature.
func TestMatchesReference(t *testing.T) {
	seqs := composetest.RandomSeqs(4, 6, 8, 3)
	b := batch.PackSeqs(seqs, 3)
	m := small(t, 3, likelihood.Full, 2)
	floor := m.Stats().Floor()
	dens := func(s *data.Sequence, i int) predict.Density {
		d, ok := m.DensityAfter(s, i)
		if !ok {
			t.Fatal("no density")
		}
		return d
	}
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		got := m.BatchLogLik(b, conv)
		var exact, quad likelihood.Parts
		for i := range seqs {
			exact.Add(composetest.RefDensityLogLik(dens, &seqs[i], conv, floor))
			quad.Add(composetest.RefLogLik(m, &seqs[i], conv, 32, floor))
		}
		t.Logf("%v: batch %.10f, density %.10f, hazard quadrature %.10f", conv, got.LogLik, exact.LogLik, quad.LogLik)
		if !relClose(got.LogLik, exact.LogLik, 1e-10) || !relClose(got.TimeLL, exact.TimeLL, 1e-10) ||
			!relClose(got.MarkLL, exact.MarkLL, 1e-10) || got.NumEvents != exact.NumEvents {
			t.Errorf("%v: batch %+v, density %+v", conv, got, exact)
		}
		if !relClose(got.LogLik, quad.LogLik, 1e-4) || !relClose(got.TimeLL, quad.TimeLL, 1e-4) {
			t.Errorf("%v: batch %+v, quadrature %+v", conv, got, quad)
		}
	}
}

// TestPaddingAndConventions: the batch loss is the sum of single-sequence
// losses, and Full − EasyTPP is exactly the first event's term plus the
// survival term log S(T − t_last).
func TestPaddingAndConventions(t *testing.T) {
	seqs := composetest.RandomSeqs(5, 6, 14, 3)
	m := small(t, 3, likelihood.Full, 3)
	params.ZeroGrad(m.Params())
	joint, _ := m.LossAndGrad(batch.PackSeqs(seqs, 3))
	sum := 0.0
	for i := range seqs {
		sum += -m.BatchLogLik(batch.PackSeqs(seqs[i:i+1], 3), likelihood.Full).LogLik
	}
	if !relClose(joint, sum, 1e-11) {
		t.Fatalf("batch %.15g, sum of singles %.15g", joint, sum)
	}
	s := seqs[4]
	one := func(q data.Sequence, c likelihood.Convention) float64 {
		return m.BatchLogLik(batch.PackSeqs([]data.Sequence{q}, 3), c).LogLik
	}
	first := data.Sequence{Start: s.Start, End: s.Times[0], Times: s.Times[:1], Types: s.Types[:1]}
	n := len(s.Times)
	d, _ := m.DensityAfter(&s, n)
	tail := math.Log(d.Survival(s.End - s.Times[n-1]))
	if diff := one(s, likelihood.Full) - one(s, likelihood.EasyTPP); !relClose(diff, one(first, likelihood.Full)+tail, 1e-10) || !(tail < 0) {
		t.Fatalf("Full − EasyTPP = %v, first term + log S = %v", diff, one(first, likelihood.Full)+tail)
	}
}

// TestTiesAndTimeUnit: a zero gap is scored at the floor (finite, equal to
// log f(floor) + log p(k)); marks have exactly K classes; and measuring
// time in another unit (τ → cτ, statistics refitted) changes the
// log-likelihood by exactly −(number of scored events)·log c, since the
// standardised log-gaps are unchanged.
func TestTiesAndTimeUnit(t *testing.T) {
	m := small(t, 3, likelihood.Full, 1)
	tie := data.Sequence{Start: 0, End: 3, Times: []float64{0.5, 0.5, 1.2}, Types: []int{1, 2, 0}}
	got := m.BatchLogLik(batch.PackSeqs([]data.Sequence{tie}, 3), likelihood.EasyTPP)
	d, _ := m.DensityAfter(&tie, 1)
	p := make([]float64, 3)
	d.MarkProbs(p)
	d2, _ := m.DensityAfter(&tie, 2)
	p2 := make([]float64, 3)
	d2.MarkProbs(p2)
	want := math.Log(d.TimeDensity(m.Stats().Floor())) + math.Log(p[2]) + math.Log(d2.TimeDensity(0.7)) + math.Log(p2[0])
	if !relClose(got.LogLik, want, 1e-10) || math.IsInf(got.LogLik, 0) {
		t.Fatalf("tie: %v, want %v", got.LogLik, want)
	}
	if s := p[0] + p[1] + p[2]; !relClose(s, 1, 1e-14) {
		t.Fatalf("mark probabilities sum to %v", s)
	}

	seqs := composetest.RandomSeqs(6, 12, 10, 3)
	ds := &data.Dataset{Name: "a", NumTypes: 3, Seqs: seqs}
	if err := m.FitData(ds); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.ZeroGaps == 0 || !st.Fitted {
		t.Fatalf("stats %+v: ties not counted", st)
	}
	base, _ := m.DatasetLogLik(ds, likelihood.Full)
	const c = 37.0
	scaled := &data.Dataset{Name: "b", NumTypes: 3}
	for _, s := range seqs {
		q := data.Sequence{Start: c * s.Start, End: c * s.End, Types: s.Types}
		for _, v := range s.Times {
			q.Times = append(q.Times, c*v)
		}
		scaled.Seqs = append(scaled.Seqs, q)
	}
	if err := m.FitData(scaled); err != nil {
		t.Fatal(err)
	}
	got2, _ := m.DatasetLogLik(scaled, likelihood.Full)
	// The standardised log-gaps of the scaled data equal the original ones
	// up to rounding (log(c·τ) − mean shifts by log c in floating point),
	// so the mark part is equal to rounding, not bit for bit.
	if want := base.LogLik - float64(base.NumEvents)*math.Log(c); !relClose(got2.LogLik, want, 1e-9) || !relClose(got2.MarkLL, base.MarkLL, 1e-12) {
		t.Fatalf("time unit ×%v: %v, want %v; mark part %v, want %v", c, got2.LogLik, want, got2.MarkLL, base.MarkLL)
	}
}

// TestRescaledSamples: sequences sampled from the model (predict.Sample on
// NextAfter) have time-rescaled gaps — the hazard integrated by
// quadrature — that pass a KS test against Exp(1).
func TestRescaledSamples(t *testing.T) {
	m := small(t, 3, likelihood.Full, 1)
	seqs, stopped, err := composetest.Sample(m, 20, 20, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	var gaps []float64
	for i := range seqs {
		gaps = append(gaps, composetest.RescaledGaps(m, &seqs[i], 16)...)
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KS D = %.4f, p = %.3f over %d gaps (%d sequences stopped early)", ks.D, ks.PValue, ks.N, stopped)
	if ks.PValue < 0.01 || stopped != 0 {
		t.Fatalf("rescaled gaps are not Exp(1): %+v", ks)
	}
}

// TestTrainHawkes trains with train.Run on a simulated Hawkes data set and
// checks that the test log-likelihood per event approaches the true
// process's.
func TestTrainHawkes(t *testing.T) {
	nTrain, epochs := 120, 20
	if testing.Short() {
		nTrain, epochs = 60, 15
	}
	h, err := composetest.NewHawkes(nTrain, 60, 30, 12)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Encoder.Hidden = 16
	m, err := New(cfg, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.FitData(h.Train); err != nil {
		t.Fatal(err)
	}
	truth, _ := h.TrueLogLik(likelihood.Full)
	before, _ := likelihood.Evaluate(m, h.Test, likelihood.Full)
	opts := train.DefaultOptions()
	opts.Epochs, opts.BatchSize, opts.LR, opts.Quiet, opts.Log = epochs, 16, 0.01, true, io.Discard
	if _, err := train.Run(context.Background(), m, h.Train, nil, opts); err != nil {
		t.Fatal(err)
	}
	after, _ := likelihood.Evaluate(m, h.Test, likelihood.Full)
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

// repoRoot walks up from the package directory to the one holding go.mod.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}

// TestHawkesSynth trains briefly on a slice of the shared hawkes_synth set
// (window [0, 100]) and reports the dev log-likelihood per event against
// the true process's, under both conventions.
func TestHawkesSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := filepath.Join(repoRoot(t), "..", "shared", "data", "hawkes_synth")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data set not found at %s (%v); skipping", dir, err)
	}
	trainAll, err := data.LoadSplit(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	devAll, err := data.LoadSplit(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	trainDS := &data.Dataset{Name: "train", NumTypes: trainAll.NumTypes, Seqs: trainAll.Seqs[:300]}
	devDS := &data.Dataset{Name: "dev", NumTypes: devAll.NumTypes, Seqs: devAll.Seqs[:100]}
	m, err := New(DefaultConfig(), trainDS.NumTypes, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.FitData(trainDS); err != nil {
		t.Fatal(err)
	}
	before, _ := m.DatasetLogLik(devDS, likelihood.EasyTPP)
	opts := train.DefaultOptions()
	opts.Epochs, opts.BatchSize, opts.LR, opts.Quiet, opts.Log = 4, 32, 0.01, true, io.Discard
	if _, err := train.Run(context.Background(), m, trainDS, nil, opts); err != nil {
		t.Fatal(err)
	}
	easy, _ := m.DatasetLogLik(devDS, likelihood.EasyTPP)
	full, _ := m.DatasetLogLik(devDS, likelihood.Full)
	// the true process, from meta.json
	var meta struct {
		TrueParams struct {
			Mu    []float64   `json:"mu"`
			Alpha [][]float64 `json:"alpha"`
			Beta  float64     `json:"beta"`
		} `json:"true_params"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("meta.json: %v", err)
	}
	tp := meta.TrueParams
	truth, err := hawkes.New(hawkes.NewScalarParams(tp.Mu, tp.Alpha, tp.Beta))
	if err != nil {
		t.Fatal(err)
	}
	tEasy, _ := likelihood.Evaluate(truth, devDS, likelihood.EasyTPP)
	tFull, _ := likelihood.Evaluate(truth, devDS, likelihood.Full)
	t.Logf("hawkes_synth dev (first 100 sequences) LL/event after 4 epochs on 300 sequences: EasyTPP convention %.4f (initial %.4f, true process %.4f, gap %.4f); Full %.4f (true %.4f)",
		easy.PerEvent(), before.PerEvent(), tEasy.PerEvent(), tEasy.PerEvent()-easy.PerEvent(), full.PerEvent(), tFull.PerEvent())
	if !(easy.PerEvent() > before.PerEvent()+0.1) || tEasy.PerEvent()-easy.PerEvent() > 0.1 {
		t.Fatalf("dev LL/event %.4f (initial %.4f, truth %.4f)", easy.PerEvent(), before.PerEvent(), tEasy.PerEvent())
	}
}

func TestSaveLoadRegistry(t *testing.T) {
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	def, err := spec.New(3, spec.Defaults, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c := def.(*compose.Model).Config(); c.Encoder.Cell != compose.CellGRU || c.Encoder.Hidden != 32 || c.Encoder.Layers != 1 ||
		c.Decoder.Components != 3 || c.Decoder.MarkConditioned {
		t.Fatalf("defaults: %+v", c)
	}
	h := model.Hyper{Hidden: 5, Mixture: 4, Specs: map[string]any{"mean_log_inter_time": 0.5, "std_log_inter_time": 2.0}}.Merge(spec.Defaults)
	tm, err := spec.New(3, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := tm.(*compose.Model)
	if c := m.Config(); c.Decoder.Components != 4 || c.Encoder.Hidden != 5 || c.Stats.Mean != 0.5 || c.Stats.Std != 2 {
		t.Fatalf("config from hyper: %+v", c)
	}
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: composetest.RandomSeqs(8, 10, 8, 3)}
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
	if info.Model != Name || got != want || l.(*compose.Model).Stats() != m.Stats() {
		t.Fatalf("reloaded: %+v, want %+v", got, want)
	}
	if _, err := New(compose.Config{Decoder: compose.DecoderConfig{Kind: compose.KindCumHazard}}, 3, 1); err == nil || !strings.Contains(err.Error(), "lognormmix") {
		t.Fatalf("wrong decoder accepted: %v", err)
	}
}

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

// BenchmarkIntensityFreeStep is one training step (forward, backward,
// Adam) of the default model (GRU 32, 3 components) on B=64, L=64, K=22.
func BenchmarkIntensityFreeStep(b *testing.B) {
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
