package thp

import (
	"context"
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
	"github.com/gotpp/gotpp/model/attention/modeltest"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

func newTest(t testing.TB, cfg Config, k int, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg, k, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func small(threads int) Config {
	return Config{HiddenSize: 4, NumLayers: 2, NumHeads: 2, FFNSize: 3, TimeScale: 0.8, Threads: threads}
}

func gradCheck(ps []*params.Param, loss func() float64, grad func()) error {
	return engine.CheckGradients(ps, loss, grad, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8})
}

// TestGradients checks the gradient of the log-likelihood with respect to
// every coordinate of every parameter against central finite differences,
// under both conventions.
func TestGradients(t *testing.T) {
	seqs := modeltest.RandomSeqs(1, 4, 6, 3)
	b := batch.PackSeqs(seqs, 3)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		m := newTest(t, small(1), 3, 2)
		modeltest.Randomise(m.Params(), 3, 0.3)
		tp := engine.NewTape()
		run := func(noGrad bool) float64 {
			tp.Reset()
			tp.SetNoGrad(noGrad)
			ll, _ := m.forward(tp, b, conv)
			if !noGrad {
				tp.Backward(tp.Neg(ll))
			}
			return -ll.Item()
		}
		if err := gradCheck(m.Params(), func() float64 { return run(true) }, func() { run(false) }); err != nil {
			t.Errorf("%v: %v", conv, err)
		}
	}
}

// TestLossAndGrad: the public training entry point (2 worker goroutines)
// returns minus the Full log-likelihood and its exact gradient.
func TestLossAndGrad(t *testing.T) {
	m := newTest(t, small(2), 3, 4)
	modeltest.Randomise(m.Params(), 5, 0.3)
	modeltest.CheckLossAndGrad(t, m, modeltest.RandomSeqs(6, 5, 6, 3), gradCheck)
}

// TestMatchesReference compares the batched likelihood (Gauss–Legendre
// compensator, padded batch) with NextAfter intensities integrated by a
// 1000-panel Simpson rule per gap, one sequence at a time.
func TestMatchesReference(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 8, NumLayers: 2, NumHeads: 2, TimeScale: 0.7, Threads: 2}, 4, 7)
	modeltest.Randomise(m.Params(), 8, 0.4)
	seqs := modeltest.RandomSeqs(9, 8, 12, 4)
	modeltest.CheckReference(t, m, seqs, 1000, 1e-7)
	// NextAfter's closed-form Compensator against Simpson on Intensities
	lam := make([]float64, 4)
	for i := 0; i <= seqs[0].Len(); i += 3 {
		nx := m.NextAfter(&seqs[0], i).(*next)
		for _, dt := range []float64{0.01, 0.7, 3, 25} {
			want := modeltest.Simpson(func(s float64) float64 {
				nx.Intensities(s, lam)
				return lam[0] + lam[1] + lam[2] + lam[3]
			}, dt, 4000)
			if got := nx.Compensator(dt); math.Abs(got-want) > 1e-10*want {
				t.Errorf("event %d dt %v: Compensator %.15g, Simpson %.15g", i, dt, got, want)
			}
		}
	}
}

func TestPaddingAndConventions(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 6, NumLayers: 2, NumHeads: 3, Threads: 1}, 3, 10)
	modeltest.Randomise(m.Params(), 11, 0.3)
	modeltest.CheckPadding(t, m, modeltest.RandomSeqs(12, 6, 14, 3))
}

// TestRescaling samples from the model and checks that the compensator
// increments of its own samples are Exp(1).
func TestRescaling(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 8, NumLayers: 1, NumHeads: 2, Threads: 1}, 3, 13)
	modeltest.Randomise(m.Params(), 14, 0.3)
	for k := range m.alpha.Value {
		m.alpha.Value[k] = 0.2 + 0.1*float64(k) // intensities grow: a proper law
	}
	n, h := 40, 25
	if testing.Short() {
		n = 20
	}
	modeltest.CheckRescaling(t, m, n, h, 15)
}

// TestTrainHawkes trains on a simulated 2-type Hawkes process and checks
// that the held-out log-likelihood per event closes most of the gap to
// the true model's. It also reports the accuracy of the default
// compensator rule and of EasyTPP's 20 equispaced points on the trained
// model.
func TestTrainHawkes(t *testing.T) {
	nTrain, epochs := 200, 30
	if testing.Short() {
		nTrain, epochs = 100, 15
	}
	trainDS, testDS, hm, err := modeltest.HawkesData(nTrain, 60, 40, 21)
	if err != nil {
		t.Fatal(err)
	}
	m := newTest(t, Config{HiddenSize: 16, NumLayers: 1, NumHeads: 2}, 2, 22)
	before, _ := m.DatasetLogLik(testDS, likelihood.Full)
	opts := train.DefaultOptions()
	opts.Epochs, opts.BatchSize, opts.LR, opts.Quiet = epochs, 16, 1e-2, true
	if _, err := train.Run(context.Background(), m, trainDS, nil, opts); err != nil {
		t.Fatal(err)
	}
	after, _ := m.DatasetLogLik(testDS, likelihood.Full)
	truth := modeltest.TrueLogLik(hm, testDS, likelihood.Full)
	pois := modeltest.PoissonLogLik(trainDS, testDS).PerEvent()
	b, a, tr := before.PerEvent(), after.PerEvent(), truth.PerEvent()
	t.Logf("Hawkes test LL/event (Full): initial %.4f, trained %.4f, true model %.4f (fitted Poisson %.4f); gap to truth %.4f → %.4f nats/event (%d train seqs, %d epochs)",
		b, a, tr, pois, tr-b, tr-a, nTrain, epochs)
	if !(tr-a < 0.3*(tr-b)) || !(a > pois) {
		t.Errorf("training closed too little of the gap: %.4f → %.4f nats/event", tr-b, tr-a)
	}
	quadratureReport(t, m, testDS)
}

// quadratureReport compares, on the same model and data, the default
// closed-form compensator, a 10-node Gauss–Legendre rule and EasyTPP's
// rule (20 equispaced points including both ends, equal weights) with a
// 128-node Gauss–Legendre reference; the event terms are the same, so the
// LL differences are the compensator errors.
func quadratureReport(t *testing.T, m *Model, ds *data.Dataset) {
	t.Helper()
	score := func(nodes, weights []float64) likelihood.Parts {
		m.nodes, m.weights = nodes, weights
		p, _ := m.DatasetLogLik(ds, likelihood.Full)
		return p
	}
	def := score(nil, nil)
	gl10 := score(engine.GaussLegendre(10))
	fine := score(engine.GaussLegendre(128))
	ez := make([]float64, 20)
	ew := make([]float64, 20)
	for i := range ez {
		ez[i], ew[i] = float64(i)/19, 1.0/20
	}
	easy := score(ez, ew)
	m.nodes, m.weights = nil, nil
	n := float64(fine.NumEvents)
	errDef, errGL, errEasy := math.Abs(def.LogLik-fine.LogLik)/n, math.Abs(gl10.LogLik-fine.LogLik)/n, math.Abs(easy.LogLik-fine.LogLik)/n
	t.Logf("compensator error per event vs 128-node Gauss–Legendre: closed form (default) %.2e nats, 10-node Gauss–Legendre %.2e, EasyTPP 20 equispaced points %.2e",
		errDef, errGL, errEasy)
	if errDef > 1e-9 {
		t.Errorf("closed-form compensator differs from the fine rule by %.3g nats/event", errDef)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		k    int
		want string
	}{
		{Config{HiddenSize: -1}, 3, "hidden_size"},
		{Config{HiddenSize: 6, NumHeads: 4}, 3, "num_heads"},
		{Config{NumLayers: -2}, 3, "num_layers"},
		{Config{TimeScale: -1}, 3, "time_scale"},
		{Config{}, 0, "event types"},
	} {
		if _, err := New(c.cfg, c.k, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v, %d): %v, want an error about %s", c.cfg, c.k, err, c.want)
		}
	}
	m := newTest(t, Config{}, 2, 1)
	if c := m.Config(); c.HiddenSize != 32 || c.NumLayers != 2 || c.NumHeads != 2 || c.FFNSize != 64 || c.TimeScale != 1 {
		t.Errorf("defaults: %+v", c)
	}
	if c, err := ConfigFromHyper(model.Hyper{Dropout: 0.1}); err != nil || c.Dropout != 0.1 {
		t.Errorf("dropout_rate 0.1: %+v, %v", c, err)
	}
	if _, err := New(Config{Dropout: 1}, 3, 1); err == nil || !strings.Contains(err.Error(), "dropout_rate") {
		t.Errorf("dropout 1: %v", err)
	}
	if _, err := ConfigFromHyper(model.Hyper{Specs: map[string]any{"time_scale": "x"}}); err == nil || !strings.Contains(err.Error(), "time_scale") {
		t.Errorf("bad time_scale: %v", err)
	}
}

// TestRegistryAndSaveLoad builds the model through the registry, saves it
// and reloads it through runs.Load; the reloaded model scores identically.
func TestRegistryAndSaveLoad(t *testing.T) {
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := spec.New(3, model.Hyper{Hidden: 8, Layers: 1, Heads: 2, Specs: map[string]any{"time_scale": 0.5}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	m := tm.(*Model)
	if m.Config().TimeScale != 0.5 || m.Config().HiddenSize != 8 {
		t.Fatalf("config from the registry: %+v", m.Config())
	}
	modeltest.Randomise(m.Params(), 4, 0.2)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: modeltest.RandomSeqs(5, 12, 10, 3)}
	want, _ := m.DatasetLogLik(ds, likelihood.Full)
	loaded, info, err := runs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Model != Name || info.NumTypes != 3 {
		t.Fatalf("run.json: %+v", info)
	}
	got, err := likelihood.Evaluate(loaded, ds, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("after loading: %+v, before %+v", got, want)
	}
	path := filepath.Join(dir, ModelFile)
	raw, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(raw), `"alpha"`, `"alfa"`, 1)), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "alfa") {
		t.Fatalf("renamed parameter: %v", err)
	}
	if _, err := m.DatasetLogLik(&data.Dataset{Name: "x", NumTypes: 5}, likelihood.Full); err == nil || !strings.Contains(err.Error(), "5 event types") {
		t.Fatalf("type-count mismatch: %v", err)
	}
}

func TestConcurrentNextAfter(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 6, NumLayers: 2, NumHeads: 2}, 3, 31)
	modeltest.CheckConcurrentNext(t, m, modeltest.RandomSeqs(32, 4, 8, 3))
}
