package rmtpp

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
)

func newTest(t testing.TB, cfg Config, k int) *Model {
	t.Helper()
	m, err := New(cfg, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// TestMatchesReference compares the batched engine computation with the
// independent scalar implementation (compensator by quadrature), under both
// conventions, for w in the closed-form branches (positive, negative) and
// in the series branch (0, tiny), and for each time feature.
func TestMatchesReference(t *testing.T) {
	seqs := randomSeqs(1, 9, 12, 4)
	for _, feat := range []string{FeatureLog1p, FeatureLinear, FeatureBoth} {
		for _, wv := range []float64{0.4, -0.3, 0, 2e-5} {
			for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
				m := newTest(t, Config{HiddenSize: 5, TimeScale: 0.7, TimeFeature: feat, Threads: 2}, 4)
				randomise(m, 2, 0.6, wv)
				got := m.BatchLogLik(batch.PackSeqs(seqs, 4), conv)
				ref := refOf(m)
				var want likelihood.Parts
				for i := range seqs {
					tl, ml, n := ref.seqLL(&seqs[i], conv)
					want.Add(likelihood.Parts{TimeLL: tl, MarkLL: ml, LogLik: tl + ml, NumEvents: n, NumSeqs: 1})
				}
				if !relClose(got.TimeLL, want.TimeLL, 1e-9) || !relClose(got.MarkLL, want.MarkLL, 1e-9) ||
					!relClose(got.LogLik, want.LogLik, 1e-9) || got.NumEvents != want.NumEvents || got.NumSeqs != want.NumSeqs {
					t.Errorf("%s w=%v %v: got %+v, reference %+v", feat, wv, conv, got, want)
				}
			}
		}
	}
}

// TestGradients checks the gradient of the loss with respect to every
// parameter against central finite differences (all coordinates), under
// both conventions and in both branches of the compensator.
func TestGradients(t *testing.T) {
	seqs := randomSeqs(3, 5, 7, 3)
	b := batch.PackSeqs(seqs, 3)
	for _, wv := range []float64{0.35, -0.5, 0, 1e-4} {
		for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
			m := newTest(t, Config{HiddenSize: 4, TimeScale: 1.3, TimeFeature: FeatureBoth, Threads: 1}, 3)
			randomise(m, 4, 0.5, wv)
			tp := engine.NewTape()
			loss := func() float64 {
				tp.Reset()
				tp.SetNoGrad(true)
				ll, _ := m.forward(tp, b, conv)
				return -ll.Item()
			}
			grad := func() {
				tp.Reset()
				tp.SetNoGrad(false)
				ll, _ := m.forward(tp, b, conv)
				tp.Backward(tp.Neg(ll))
			}
			if err := engine.CheckGradients(m.Params(), loss, grad, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
				t.Errorf("w=%v %v: %v", wv, conv, err)
			}
		}
	}
}

// TestLossAndGrad checks the public training entry point: its loss is
// minus the Full log-likelihood, its event count the scored events, and its
// gradient (with several workers) matches finite differences.
func TestLossAndGrad(t *testing.T) {
	seqs := randomSeqs(5, 7, 9, 3)
	b := batch.PackSeqs(seqs, 3)
	m := newTest(t, Config{HiddenSize: 4, Threads: 3}, 3)
	randomise(m, 6, 0.5, 0.2)
	params.ZeroGrad(m.Params())
	loss, n := m.LossAndGrad(b)
	want := m.BatchLogLik(b, likelihood.Full)
	if !relClose(loss, -want.LogLik, 1e-12) || n != want.NumEvents || n != b.NumEvents() {
		t.Fatalf("LossAndGrad = %v, %d; want %v, %d", loss, n, -want.LogLik, want.NumEvents)
	}
	err := engine.CheckGradients(m.Params(),
		func() float64 { return -m.BatchLogLik(b, likelihood.Full).LogLik },
		func() { m.LossAndGrad(b) },
		engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8})
	if err != nil {
		t.Fatal(err)
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
// its batch companions (and hence on padding): the sum over one-sequence
// batches equals the joint batch.
func TestPaddingInvariance(t *testing.T) {
	seqs := randomSeqs(7, 8, 15, 3)
	m := newTest(t, Config{HiddenSize: 6, Threads: 1}, 3)
	randomise(m, 8, 0.5, 0.1)
	params.ZeroGrad(m.Params())
	joint, _ := m.LossAndGrad(batch.PackSeqs(seqs, 3))
	gJoint := gradsOf(m.Params())
	params.ZeroGrad(m.Params())
	sum := 0.0
	for i := range seqs {
		l, _ := m.LossAndGrad(batch.PackSeqs(seqs[i:i+1], 3))
		sum += l
	}
	if !relClose(joint, sum, 1e-12) {
		t.Fatalf("joint batch loss %.15g, sum of single batches %.15g", joint, sum)
	}
	for i, p := range m.Params() {
		for j := range p.Grad {
			if !relClose(p.Grad[j], gJoint[i][j], 1e-10) {
				t.Fatalf("%s[%d]: joint %.15g, singles %.15g", p.Name, j, gJoint[i][j], p.Grad[j])
			}
		}
	}
	// the same sequence next to a much longer companion
	long := randomSeqs(9, 1, 60, 3)[0]
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		alone := m.BatchLogLik(batch.PackSeqs(seqs[2:3], 3), conv)
		with := m.BatchLogLik(batch.PackSeqs([]data.Sequence{seqs[2], long}, 3), conv)
		other := m.BatchLogLik(batch.PackSeqs([]data.Sequence{long}, 3), conv)
		if !relClose(with.LogLik-other.LogLik, alone.LogLik, 1e-10) {
			t.Fatalf("%v: alone %.15g, with a long companion %.15g", conv, alone.LogLik, with.LogLik-other.LogLik)
		}
	}
}

// TestThreads: results agree across worker counts and are identical from
// run to run for a fixed count.
func TestThreads(t *testing.T) {
	seqs := randomSeqs(11, 13, 10, 4)
	b := batch.PackSeqs(seqs, 4)
	var ref [][]float64
	var refLoss float64
	for _, th := range []int{1, 2, 3, 5} {
		m := newTest(t, Config{HiddenSize: 5, Threads: th}, 4)
		randomise(m, 12, 0.5, -0.1)
		var first [][]float64
		for rep := 0; rep < 2; rep++ {
			params.ZeroGrad(m.Params())
			l, _ := m.LossAndGrad(b)
			g := gradsOf(m.Params())
			if ref == nil {
				ref, refLoss = g, l
			}
			if !relClose(l, refLoss, 1e-12) {
				t.Fatalf("%d threads: loss %v, 1 thread %v", th, l, refLoss)
			}
			for i := range g {
				for j := range g[i] {
					if !relClose(g[i][j], ref[i][j], 1e-10) {
						t.Fatalf("%d threads: gradient differs", th)
					}
					if first != nil && g[i][j] != first[i][j] {
						t.Fatalf("%d threads: gradient differs between runs", th)
					}
				}
			}
			first = g
		}
	}
}

// TestDatasetLogLik: likelihood.Evaluate works on the model and matches the
// reference; bad input gives errors that name the problem.
func TestDatasetLogLik(t *testing.T) {
	ds := &data.Dataset{Name: "rand", NumTypes: 3, Seqs: randomSeqs(13, 150, 20, 3)}
	m := newTest(t, Config{HiddenSize: 4}, 3)
	randomise(m, 14, 0.4, 0.05)
	ref := refOf(m)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		got, err := likelihood.Evaluate(m, ds, conv)
		if err != nil {
			t.Fatal(err)
		}
		var want likelihood.Parts
		for i := range ds.Seqs {
			tl, ml, n := ref.seqLL(&ds.Seqs[i], conv)
			want.Add(likelihood.Parts{TimeLL: tl, MarkLL: ml, LogLik: tl + ml, NumEvents: n, NumSeqs: 1})
		}
		if !relClose(got.LogLik, want.LogLik, 1e-9) || got.NumEvents != want.NumEvents || got.NumSeqs != 150 {
			t.Fatalf("%v: %+v, reference %+v", conv, got, want)
		}
	}
	if _, err := m.DatasetLogLik(&data.Dataset{Name: "x", NumTypes: 5}, likelihood.Full); err == nil || !strings.Contains(err.Error(), "5 event types") {
		t.Fatalf("type-count mismatch: %v", err)
	}
	bad := &data.Dataset{Name: "bad", NumTypes: 3, Seqs: []data.Sequence{{ID: "a", Times: []float64{1, 0.5}, Types: []int{0, 1}, End: 2}}}
	if _, err := m.DatasetLogLik(bad, likelihood.Full); err == nil || !strings.Contains(err.Error(), "times[1]") {
		t.Fatalf("decreasing times: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		k    int
		want string
	}{
		{Config{HiddenSize: -1}, 3, "hidden_size"},
		{Config{TimeScale: -2}, 3, "time_scale"},
		{Config{TimeFeature: "abs"}, 3, "time_feature"},
		{Config{}, 0, "event types"},
	} {
		if _, err := New(c.cfg, c.k, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v, %d): %v, want an error about %s", c.cfg, c.k, err, c.want)
		}
	}
	m := newTest(t, Config{}, 2)
	if c := m.Config(); c.HiddenSize != 32 || c.TimeScale != 1 || c.TimeFeature != FeatureLog1p {
		t.Errorf("defaults: %+v", c)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	m := newTest(t, Config{HiddenSize: 3, TimeScale: 2, TimeFeature: FeatureBoth}, 4)
	randomise(m, 15, 0.5, 0.3)
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	ds := &data.Dataset{Name: "r", NumTypes: 4, Seqs: randomSeqs(16, 20, 10, 4)}
	want, _ := m.DatasetLogLik(ds, likelihood.Full)
	loaded, info, err := runs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Model != Name || info.NumTypes != 4 {
		t.Fatalf("run.json: %+v", info)
	}
	got, err := likelihood.Evaluate(loaded, ds, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("after loading: %+v, before %+v", got, want)
	}
	lm := loaded.(*Model)
	if lm.Config() != m.Config() {
		t.Fatalf("config %+v, want %+v", lm.Config(), m.Config())
	}
	// an existing run.json is kept
	if err := runs.WriteInfo(dir, &runs.Info{Model: Name, NumTypes: 4, Data: "keep"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if info, _ := runs.ReadInfo(dir); info.Data != "keep" {
		t.Fatal("Save overwrote an existing run.json")
	}
	// broken files
	path := filepath.Join(dir, ModelFile)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"w_h"`, `"w_x"`, 1)), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "params[4].name") {
		t.Fatalf("renamed parameter: %v", err)
	}
	os.WriteFile(path, b[:len(b)/2], 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), ModelFile) {
		t.Fatalf("truncated file: %v", err)
	}
	m.w.Value[0] = math.NaN()
	if err := m.Save(t.TempDir()); err == nil {
		t.Fatal("saved a NaN parameter")
	}
}

// TestClone: clones share values, not gradients, and the gradients of the
// halves of a batch add up to the gradient of the whole batch.
func TestClone(t *testing.T) {
	seqs := randomSeqs(17, 10, 8, 3)
	m := newTest(t, Config{HiddenSize: 4, Threads: 1}, 3)
	randomise(m, 18, 0.5, 0.2)
	c := m.Clone().(*Model)
	for i, p := range c.Params() {
		q := m.Params()[i]
		if &p.Value[0] != &q.Value[0] || &p.Grad[0] == &q.Grad[0] || p.Name != q.Name {
			t.Fatalf("clone parameter %s: values must be shared and gradients not", p.Name)
		}
	}
	b := batch.PackSeqs(seqs, 3)
	params.ZeroGrad(m.Params())
	whole, _ := m.LossAndGrad(b)
	want := gradsOf(m.Params())
	params.ZeroGrad(m.Params())
	params.ZeroGrad(c.Params())
	halves := b.Split(2)
	l0, _ := m.LossAndGrad(halves[0])
	l1, _ := c.LossAndGrad(halves[1])
	if !relClose(l0+l1, whole, 1e-12) {
		t.Fatalf("halves %v + %v, whole %v", l0, l1, whole)
	}
	for i, p := range m.Params() {
		for j := range p.Grad {
			if got := p.Grad[j] + c.Params()[i].Grad[j]; !relClose(got, want[i][j], 1e-10) {
				t.Fatalf("%s[%d]: %v, want %v", p.Name, j, got, want[i][j])
			}
		}
	}
}

// TestConventionSetting: with convention easytpp, LossAndGrad trains on the
// EasyTPP log-likelihood.
func TestConventionSetting(t *testing.T) {
	seqs := randomSeqs(19, 6, 8, 3)
	b := batch.PackSeqs(seqs, 3)
	m := newTest(t, Config{HiddenSize: 4, Convention: "easytpp"}, 3)
	randomise(m, 20, 0.5, 0.1)
	loss, n := m.LossAndGrad(b)
	want := m.BatchLogLik(b, likelihood.EasyTPP)
	if !relClose(loss, -want.LogLik, 1e-12) || n != want.NumEvents || n != b.NumScored(likelihood.EasyTPP) {
		t.Fatalf("easytpp LossAndGrad = %v, %d; want %v, %d", loss, n, -want.LogLik, want.NumEvents)
	}
	if _, err := New(Config{Convention: "bogus"}, 3, 1); err == nil || !strings.Contains(err.Error(), "convention") {
		t.Fatalf("bad convention: %v", err)
	}
}

func TestConfigFromHyper(t *testing.T) {
	cfg, err := ConfigFromHyper(model.Hyper{Hidden: 7, Specs: map[string]any{"time_scale": 2, "time_feature": "both", "convention": "easytpp", "threads": 3.0, "chunk_tokens": 64, "other": true}})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{HiddenSize: 7, TimeScale: 2, TimeFeature: FeatureBoth, Convention: "easytpp", Threads: 3, ChunkTokens: 64}
	if cfg != want {
		t.Fatalf("%+v, want %+v", cfg, want)
	}
	if cfg, err := ConfigFromHyper(model.Hyper{}); err != nil || cfg.ChunkTokens != DefaultConfig().ChunkTokens {
		t.Fatalf("chunk_tokens without a spec: %+v, %v; want the default %d", cfg, err, DefaultConfig().ChunkTokens)
	}
	for _, specs := range []map[string]any{{"time_scale": "x"}, {"threads": 1.5}, {"chunk_tokens": 2.5}, {"chunk_tokens": -1}, {"time_feature": 3}, {"time_scale": -1.0}} {
		if _, err := ConfigFromHyper(model.Hyper{Specs: specs}); err == nil {
			t.Errorf("specs %v accepted", specs)
		}
	}
	s, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := s.New(3, s.Defaults, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tm.(*Model).Config().HiddenSize != 32 {
		t.Fatalf("registered defaults give %+v", tm.(*Model).Config())
	}
}
