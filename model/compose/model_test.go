package compose

import (
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
	"github.com/gotpp/gotpp/model/compose/composetest"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/runs"
)

// testConfigs covers every decoder (the log-normal mixture with and
// without mark conditioning) and every cell.
func testConfigs() map[string]Config {
	return map[string]Config{
		"cumhazard": {Encoder: EncoderConfig{Cell: CellLSTM, Hidden: 4, Layers: 2},
			Decoder: DecoderConfig{Kind: KindCumHazard, Hidden: 4, Layers: 2}},
		"lognormmix": {Encoder: EncoderConfig{Cell: CellGRU, Hidden: 4},
			Decoder: DecoderConfig{Kind: KindLogNormMix, Components: 2}},
		"lognormmix-cond": {Encoder: EncoderConfig{Cell: CellRNN, Hidden: 4, EmbedSize: 3},
			Decoder: DecoderConfig{Kind: KindLogNormMix, Components: 2, MarkConditioned: true}},
		"softplus": {Encoder: EncoderConfig{Cell: CellGRU, Hidden: 4, TimeFeatures: FeatureLogLinear},
			Decoder: DecoderConfig{Kind: KindSoftplus, Hidden: 3, LearnBeta: true}},
	}
}

func newModel(t testing.TB, cfg Config, k int, threads int) *Model {
	t.Helper()
	cfg.Threads = threads
	cfg.Stats = LogGapStats{Mean: -0.2, Std: 1.1}
	m, err := New("test", cfg, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var conventions = []likelihood.Convention{likelihood.Full, likelihood.EasyTPP}

// TestModelGradients checks the gradient of the batch log-likelihood with
// respect to every parameter (encoder and decoder) against finite
// differences, under both conventions, for every decoder.
func TestModelGradients(t *testing.T) {
	seqs := composetest.RandomSeqs(3, 5, 6, 3)
	b := batch.PackSeqs(seqs, 3)
	for name, cfg := range testConfigs() {
		for _, conv := range conventions {
			m := newModel(t, cfg, 3, 1)
			randomise(m.Params(), 4, 0.2)
			tp := engine.NewTape()
			loss := func() float64 {
				tp.Reset()
				tp.SetNoGrad(true)
				ll, _ := m.Forward(tp, b, conv)
				return -ll.Item()
			}
			grad := func() {
				tp.Reset()
				tp.SetNoGrad(false)
				ll, _ := m.Forward(tp, b, conv)
				tp.Backward(tp.Neg(ll))
			}
			if err := engine.CheckGradients(m.Params(), loss, grad, engine.GradCheck{RelTol: 2e-6, AbsTol: 1e-8}); err != nil {
				t.Errorf("%s %v: %v", name, conv, err)
			}
		}
	}
}

// TestModelMatchesReference compares the batched, padded log-likelihood
// (and its time/mark split) with the independent per-sequence evaluation
// of composetest.RefLogLik: intensities from NextAfter (the plain-Go
// encoder path), compensators by 2000-step Simpson quadrature.
func TestModelMatchesReference(t *testing.T) {
	seqs := composetest.RandomSeqs(7, 8, 10, 3)
	b := batch.PackSeqs(seqs, 3)
	for name, cfg := range testConfigs() {
		m := newModel(t, cfg, 3, 2)
		randomise(m.Params(), 8, 0.2)
		for _, conv := range conventions {
			got := m.BatchLogLik(b, conv)
			var want likelihood.Parts
			for i := range seqs {
				want.Add(composetest.RefLogLik(m, &seqs[i], conv, 64, m.Stats().Floor()))
			}
			if got.NumEvents != want.NumEvents || got.NumSeqs != want.NumSeqs ||
				!relClose(got.LogLik, want.LogLik, 1e-6) || !relClose(got.TimeLL, want.TimeLL, 1e-6) || !relClose(got.MarkLL, want.MarkLL, 1e-6) {
				t.Errorf("%s %v: batch %+v, reference %+v", name, conv, got, want)
			}
		}
	}
}

// TestConventionPieces: the Full log-likelihood of a sequence minus the
// EasyTPP one is exactly the first event's term (from the window start)
// plus the survival term, each evaluated alone.
func TestConventionPieces(t *testing.T) {
	seq := composetest.RandomSeqs(9, 3, 8, 3)[2]
	for name, cfg := range testConfigs() {
		m := newModel(t, cfg, 3, 1)
		randomise(m.Params(), 10, 0.2)
		b := batch.PackSeqs([]data.Sequence{seq}, 3)
		full, easy := m.BatchLogLik(b, likelihood.Full), m.BatchLogLik(b, likelihood.EasyTPP)
		// the pieces: a one-event sequence ending at t_0 under Full gives
		// the first term (no tail); the tail is the Full LL of the whole
		// sequence minus that of the sequence with End moved to t_last.
		first := data.Sequence{Start: seq.Start, End: seq.Times[0], Times: seq.Times[:1], Types: seq.Types[:1]}
		noTail := seq
		noTail.End = seq.Times[len(seq.Times)-1]
		p0 := m.BatchLogLik(batch.PackSeqs([]data.Sequence{first}, 3), likelihood.Full)
		pn := m.BatchLogLik(batch.PackSeqs([]data.Sequence{noTail}, 3), likelihood.Full)
		tail := full.LogLik - pn.LogLik
		if !relClose(full.LogLik-easy.LogLik, p0.LogLik+tail, 1e-10) || full.NumEvents != len(seq.Times) || easy.NumEvents != len(seq.Times)-1 {
			t.Errorf("%s: full %v − easytpp %v ≠ first %v + tail %v", name, full.LogLik, easy.LogLik, p0.LogLik, tail)
		}
		if !(tail < 0) {
			t.Errorf("%s: survival term %v, want < 0", name, tail)
		}
	}
}

func gradsOf(ps []*params.Param) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = append([]float64(nil), p.Grad...)
	}
	return out
}

// TestPaddingInvariance: a sequence's loss and gradient do not depend on
// its batch companions or on how much padding the batch has.
func TestPaddingInvariance(t *testing.T) {
	seqs := composetest.RandomSeqs(11, 7, 12, 3)
	long := composetest.RandomSeqs(12, 2, 60, 3)[1]
	for name, cfg := range testConfigs() {
		m := newModel(t, cfg, 3, 3)
		randomise(m.Params(), 13, 0.2)
		params.ZeroGrad(m.Params())
		joint, n := m.LossAndGrad(batch.PackSeqs(seqs, 3))
		gJoint := gradsOf(m.Params())
		params.ZeroGrad(m.Params())
		sum, ns := 0.0, 0
		for i := range seqs {
			l, k := m.LossAndGrad(batch.PackSeqs(seqs[i:i+1], 3))
			sum += l
			ns += k
		}
		if !relClose(joint, sum, 1e-11) || n != ns {
			t.Fatalf("%s: joint loss %.15g (%d events), singles %.15g (%d)", name, joint, n, sum, ns)
		}
		for i, p := range m.Params() {
			for j := range p.Grad {
				if !relClose(p.Grad[j], gJoint[i][j], 1e-9) {
					t.Fatalf("%s: %s[%d]: joint %.15g, singles %.15g", name, p.Name, j, gJoint[i][j], p.Grad[j])
				}
			}
		}
		for _, conv := range conventions {
			alone := m.BatchLogLik(batch.PackSeqs(seqs[3:4], 3), conv)
			with := m.BatchLogLik(batch.PackSeqs([]data.Sequence{seqs[3], long}, 3), conv)
			other := m.BatchLogLik(batch.PackSeqs([]data.Sequence{long}, 3), conv)
			if !relClose(with.LogLik-other.LogLik, alone.LogLik, 1e-10) {
				t.Fatalf("%s %v: alone %.15g, next to a long sequence %.15g", name, conv, alone.LogLik, with.LogLik-other.LogLik)
			}
		}
	}
}

// TestNoLookAhead: changing event i (its time or type) leaves the terms of
// the intervals before it unchanged, so the intensity on (t_{i−1}, t_i]
// uses only events 0..i−1.
func TestNoLookAhead(t *testing.T) {
	seq := composetest.RandomSeqs(14, 2, 10, 3)[1]
	for name, cfg := range testConfigs() {
		m := newModel(t, cfg, 3, 1)
		randomise(m.Params(), 15, 0.2)
		n := len(seq.Times)
		cut := n / 2
		prefix := data.Sequence{Start: seq.Start, End: seq.Times[cut-1], Times: seq.Times[:cut], Types: seq.Types[:cut]}
		base := m.BatchLogLik(batch.PackSeqs([]data.Sequence{prefix}, 3), likelihood.Full)
		for _, change := range []func(s *data.Sequence){
			func(s *data.Sequence) { s.Types[cut] = (s.Types[cut] + 1) % 3 },
			func(s *data.Sequence) {
				for j := cut; j < n; j++ {
					s.Times[j] += 0.7
				}
				s.End += 0.7
			},
		} {
			alt := data.Sequence{Start: seq.Start, End: seq.End, Times: append([]float64(nil), seq.Times...), Types: append([]int(nil), seq.Types...)}
			change(&alt)
			// the first cut events scored, their intervals ending at event cut−1
			alt.Times, alt.Types, alt.End = alt.Times[:cut], alt.Types[:cut], alt.Times[cut-1]
			got := m.BatchLogLik(batch.PackSeqs([]data.Sequence{alt}, 3), likelihood.Full)
			if got.LogLik != base.LogLik {
				t.Fatalf("%s: prefix LL changed with a later event: %v vs %v", name, got.LogLik, base.LogLik)
			}
		}
		// and through NextAfter: the law of event cut ignores events ≥ cut
		alt := seq
		alt.Types = append([]int(nil), seq.Types...)
		alt.Types[cut] = (alt.Types[cut] + 1) % 3
		l1, l2 := make([]float64, 3), make([]float64, 3)
		m.NextAfter(&seq, cut).Intensities(0.4, l1)
		m.NextAfter(&alt, cut).Intensities(0.4, l2)
		for k := range l1 {
			if l1[k] != l2[k] {
				t.Fatalf("%s: NextAfter looks at event %d", name, cut)
			}
		}
	}
}

// TestNextAfterCache: NextAfter gives identical laws whether the prefix
// cache is cold or warm, and after a parameter change it does not reuse
// stale states.
func TestNextAfterCache(t *testing.T) {
	seq := composetest.RandomSeqs(16, 2, 12, 3)[1]
	cfg := testConfigs()["cumhazard"]
	m := newModel(t, cfg, 3, 1)
	lam := func(m *Model, i int) []float64 {
		out := make([]float64, 3)
		m.NextAfter(&seq, i).Intensities(0.3, out)
		return out
	}
	warm := make([][]float64, len(seq.Times)+1)
	for i := range warm {
		warm[i] = lam(m, i)
	}
	for i := len(seq.Times); i >= 0; i-- {
		cold := newModel(t, cfg, 3, 1)
		if got := lam(cold, i); !equal(got, warm[i]) {
			t.Fatalf("event %d: cold %v, warm %v", i, got, warm[i])
		}
	}
	m.Params()[1].Value[0] += 0.5 // an encoder weight
	fresh := newModel(t, cfg, 3, 1)
	fresh.Params()[1].Value[0] += 0.5
	if got, want := lam(m, len(seq.Times)), lam(fresh, len(seq.Times)); !equal(got, want) {
		t.Fatalf("stale cache after a parameter change: %v, want %v", got, want)
	}
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestSampledRescaling: sequences sampled from the mark-conditioned model
// (predict.Sample on NextAfter, compensator inversion) have time-rescaled
// gaps, integrated from the intensities by Simpson's rule, that pass a KS
// test against Exp(1).
func TestSampledRescaling(t *testing.T) {
	m := newModel(t, testConfigs()["lognormmix-cond"], 3, 1)
	randomise(m.Params(), 17, 0.3)
	seqs, stopped, err := composetest.Sample(m, 20, 20, rand.New(rand.NewPCG(18, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var gaps []float64
	for i := range seqs {
		gaps = append(gaps, composetest.RescaledGaps(m, &seqs[i], 32)...)
	}
	ks, err := metrics.KSExp1(gaps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KS D = %.4f, p = %.3f over %d gaps (%d sequences stopped early)", ks.D, ks.PValue, ks.N, stopped)
	if ks.PValue < 0.01 {
		t.Fatalf("rescaled gaps are not Exp(1): %+v", ks)
	}
}

func TestSaveLoad(t *testing.T) {
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: composetest.RandomSeqs(19, 12, 8, 3)}
	for name, cfg := range testConfigs() {
		dir := t.TempDir()
		m := newModel(t, cfg, 3, 1)
		if err := m.FitData(ds); err != nil {
			t.Fatal(err)
		}
		randomise(m.Params(), 20, 0.2)
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		want, _ := m.DatasetLogLik(ds, likelihood.Full)
		l, err := Load(dir, "test")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := l.DatasetLogLik(ds, likelihood.Full)
		if got != want || l.Stats() != m.Stats() || l.Config() != m.Config() {
			t.Fatalf("%s: loaded model scores %+v (stats %+v), original %+v (%+v)", name, got, l.Stats(), want, m.Stats())
		}
		info, err := runs.ReadInfo(dir)
		if err != nil || info.Model != "test" || info.NumTypes != 3 {
			t.Fatalf("%s: run.json %+v, %v", name, info, err)
		}
		path := filepath.Join(dir, FileName("test"))
		b, _ := os.ReadFile(path)
		os.WriteFile(path, []byte(strings.Replace(string(b), `"enc.emb"`, `"enc.x"`, 1)), 0o644)
		if _, err := Load(dir, "test"); err == nil || !strings.Contains(err.Error(), "params[0].name") {
			t.Fatalf("%s: renamed parameter: %v", name, err)
		}
		os.WriteFile(path, b[:len(b)/2], 0o644)
		if _, err := Load(dir, "test"); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: truncated file: %v", name, err)
		}
		if _, err := Load(dir, "other"); err == nil {
			t.Fatalf("%s: loaded under another name", name)
		}
	}
	m := newModel(t, testConfigs()["softplus"], 3, 1)
	m.Params()[0].Value[0] = math.Inf(1)
	if err := m.Save(t.TempDir()); err == nil {
		t.Fatal("saved an infinite parameter")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Encoder: EncoderConfig{Cell: "tcn"}, Decoder: DecoderConfig{Kind: KindSoftplus}}, "cell"},
		{Config{Encoder: EncoderConfig{Hidden: -2}, Decoder: DecoderConfig{Kind: KindSoftplus}}, "hidden_size"},
		{Config{Decoder: DecoderConfig{Kind: "nope"}}, "kind"},
		{Config{Decoder: DecoderConfig{Kind: KindCumHazard, Components: 2}}, "does not apply"},
		{Config{Decoder: DecoderConfig{Kind: KindLogNormMix, QuadNodes: 4}}, "does not apply"},
		{Config{Decoder: DecoderConfig{Kind: KindSoftplus}, TrainConvention: "half"}, "train_convention"},
		{Config{Decoder: DecoderConfig{Kind: KindSoftplus}, Stats: LogGapStats{Mean: 1}}, "std_log_gap"},
	} {
		if _, err := New("x", c.cfg, 3, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %s", c.cfg, err, c.want)
		}
	}
	m, err := New("x", Config{Decoder: DecoderConfig{Kind: KindLogNormMix}}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	if c.Encoder.Cell != CellGRU || c.Encoder.Hidden != 32 || c.Decoder.Components != 3 || c.Decoder.MinLogScale != DefaultMinLogScale || c.Stats != DefaultLogGapStats() || m.TrainConvention() != likelihood.Full {
		t.Errorf("defaults: %+v", c)
	}
}

// TestRegistry builds the generic composed model through the registry with
// EasyTPP-style model_specs and trains one step.
func TestRegistry(t *testing.T) {
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	h := model.Hyper{Hidden: 6, Specs: map[string]any{"rnn_type": "LSTM", "decoder": "cumhazard", "num_mlp_layers": 2}}.Merge(spec.Defaults)
	tm, err := spec.New(3, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := tm.(*Model).Config()
	if c.Encoder.Cell != CellLSTM || c.Encoder.Hidden != 6 || c.Decoder.Kind != KindCumHazard || c.Decoder.Layers != 2 {
		t.Fatalf("config from hyper: %+v", c)
	}
	if _, err := spec.New(3, model.Hyper{Specs: map[string]any{"colour": "red"}}, 1); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("unknown spec: %v", err)
	}
	if _, err := spec.New(3, model.Hyper{Specs: map[string]any{"decoder": "cumhazard", "proper_marked_intensities": false}}, 1); err == nil {
		t.Fatal("proper_marked_intensities false accepted")
	}
	dir := t.TempDir()
	if err := tm.Save(dir); err != nil {
		t.Fatal(err)
	}
	if l, _, err := runs.Load(dir); err != nil || l.(*Model).Config() != c {
		t.Fatalf("runs.Load: %v", err)
	}
}

// TestQuadratureAccuracy measures the softplus head's Gauss–Legendre
// compensator (the default number of nodes and 8) against a fine graded
// Simpson reference on the test intervals of a briefly trained model, next
// to EasyTPP's rule (20 equispaced points, both ends, equal weights).
func TestQuadratureAccuracy(t *testing.T) {
	h, err := composetest.NewHawkes(60, 8, 30, 21)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Encoder: EncoderConfig{Cell: CellGRU, Hidden: 16}, Decoder: DecoderConfig{Kind: KindSoftplus}}
	m, err := New("q", cfg, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.FitData(h.Train); err != nil {
		t.Fatal(err)
	}
	bk, _ := batch.NewBucketer(h.Train, batch.Options{BatchSize: 16})
	opt := engine.NewAdam(m.Params(), engine.AdamConfig{LR: 0.01})
	rng := rand.New(rand.NewPCG(1, 1))
	for e := 0; e < 5; e++ {
		for _, idx := range bk.Plan(rng) {
			params.ZeroGrad(m.Params())
			_, n := m.LossAndGrad(batch.Pack(h.Train, idx))
			for _, p := range m.Params() {
				for j := range p.Grad {
					p.Grad[j] /= float64(n)
				}
			}
			opt.Step()
		}
	}
	ct := composetest.Compensators(m, h.Test, likelihood.Full, 16)
	own := func(q int) float64 {
		c := cfg
		c.Decoder.QuadNodes = q
		c.Stats = m.Stats()
		mq, err := New("q", c, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range mq.Params() {
			copy(p.Value, m.Params()[i].Value)
		}
		parts, _ := mq.DatasetLogLik(h.Test, likelihood.Full)
		return ct.LogLam - parts.TimeLL
	}
	gl, gl8 := own(DefaultQuadNodes), own(8)
	rel := func(x float64) float64 { return math.Abs(x-ct.Fine) / ct.Fine }
	t.Logf("compensator over %d test intervals: fine reference %.10g; Gauss–Legendre %d nodes %.10g (rel. error %.2e), 8 nodes %.10g (%.2e); EasyTPP 20-point rule %.10g (%.2e)",
		ct.Intervals, ct.Fine, DefaultQuadNodes, gl, rel(gl), gl8, rel(gl8), ct.EasyTPP, rel(ct.EasyTPP))
	if rel(gl) > 1e-5 || rel(gl) > rel(ct.EasyTPP) {
		t.Fatalf("Gauss–Legendre compensator %v, reference %v", gl, ct.Fine)
	}
}

// TestPredictConcurrent runs predict.Dataset (NextAfter from several
// goroutines, sharing the prefix cache) and checks that the rows do not
// depend on the number of workers.
func TestPredictConcurrent(t *testing.T) {
	ds := &data.Dataset{Name: "p", NumTypes: 3, Seqs: composetest.RandomSeqs(22, 6, 8, 3)[1:]}
	for name, cfg := range testConfigs() {
		m := newModel(t, cfg, 3, 1)
		randomise(m.Params(), 23, 0.2)
		one, err := predict.Dataset(m, ds, predict.Options{Workers: 1, Tol: 1e-7})
		if err != nil {
			t.Fatal(err)
		}
		four, err := predict.Dataset(m, ds, predict.Options{Workers: 4, Tol: 1e-7})
		if err != nil {
			t.Fatal(err)
		}
		if len(one) != len(four) || len(one) == 0 {
			t.Fatalf("%s: %d and %d rows", name, len(one), len(four))
		}
		for i := range one {
			if one[i].Mean != four[i].Mean || one[i].Mark != four[i].Mark {
				t.Fatalf("%s: row %d differs: %+v vs %+v", name, i, one[i], four[i])
			}
		}
	}
}
