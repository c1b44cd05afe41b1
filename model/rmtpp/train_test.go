package rmtpp

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

// poissonData simulates n sequences of a homogeneous marked Poisson process
// with total rate r on [0, T] and mark probabilities p.
func poissonData(seed uint64, n int, r, T float64, p []float64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	ds := &data.Dataset{Name: "poisson", NumTypes: len(p)}
	for i := 0; i < n; i++ {
		s := data.Sequence{End: T}
		for t := rng.ExpFloat64() / r; t < T; t += rng.ExpFloat64() / r {
			u, k := rng.Float64(), 0
			for k < len(p)-1 && u > p[k] {
				u -= p[k]
				k++
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, k)
		}
		ds.Seqs = append(ds.Seqs, s)
	}
	return ds
}

// fit runs epochs of Adam over ds in batches of 16.
func fit(t *testing.T, m *Model, ds *data.Dataset, epochs int, lr float64) {
	t.Helper()
	bk, err := batch.NewBucketer(ds, batch.Options{BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	opt := engine.NewAdam(m.Params(), engine.AdamConfig{LR: lr})
	rng := rand.New(rand.NewPCG(1, 2))
	for e := 0; e < epochs; e++ {
		for _, idx := range bk.Plan(rng) {
			params.ZeroGrad(m.Params())
			_, n := m.LossAndGrad(batch.Pack(ds, idx))
			for _, p := range m.Params() {
				for j := range p.Grad {
					p.Grad[j] /= float64(max(n, 1))
				}
			}
			engine.ClipGradNorm(m.Params(), 5)
			opt.Step()
		}
	}
}

// TestLearnsPoisson: RMTPP contains the homogeneous marked Poisson process
// (v = 0, w = 0), so after training on Poisson data its held-out
// log-likelihood per event must approach the true one, whose closed form is
// Σ log(r·p_k) − r·T.
func TestLearnsPoisson(t *testing.T) {
	r, T, p := 3.0, 10.0, []float64{0.6, 0.3, 0.1}
	train := poissonData(1, 64, r, T, p)
	test := poissonData(2, 64, r, T, p)
	truth := 0.0
	for _, s := range test.Seqs {
		for _, k := range s.Types {
			truth += math.Log(r * p[k])
		}
		truth -= r * T
	}
	m, err := New(Config{HiddenSize: 8}, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.DatasetLogLik(test, likelihood.Full)
	fit(t, m, train, 15, 0.01)
	after, _ := m.DatasetLogLik(test, likelihood.Full)
	n := float64(after.NumEvents)
	t.Logf("test LL/event: initial %.4f, trained %.4f, truth %.4f", before.LogLik/n, after.LogLik/n, truth/n)
	if math.Abs(after.LogLik-truth)/n > 0.02 {
		t.Fatalf("trained LL/event %.4f, truth %.4f", after.LogLik/n, truth/n)
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

// TestHawkesSynth trains briefly on a slice of the shared hawkes_synth data
// and checks that the held-out log-likelihood improves.
func TestHawkesSynth(t *testing.T) {
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
	nTrain, nDev, epochs := 200, 100, 3
	if testing.Short() {
		nTrain, nDev, epochs = 64, 50, 2
	}
	train := &data.Dataset{Name: "train", NumTypes: trainAll.NumTypes, Seqs: trainAll.Seqs[:nTrain]}
	dev := &data.Dataset{Name: "dev", NumTypes: devAll.NumTypes, Seqs: devAll.Seqs[:nDev]}
	m, err := New(Config{HiddenSize: 16}, train.NumTypes, 7)
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.DatasetLogLik(dev, likelihood.EasyTPP)
	if err != nil {
		t.Fatal(err)
	}
	fit(t, m, train, epochs, 0.01)
	after, _ := m.DatasetLogLik(dev, likelihood.EasyTPP)
	t.Logf("hawkes_synth dev (first %d), EasyTPP convention, LL/event: %.4f → %.4f after %d epochs on %d sequences (truth ≈ −2.045 on the full dev split)",
		nDev, before.PerEvent(), after.PerEvent(), epochs, nTrain)
	if !(after.PerEvent() > before.PerEvent()+0.05) {
		t.Fatalf("dev LL/event did not improve: %.4f → %.4f", before.PerEvent(), after.PerEvent())
	}
}

// TestTrainRun trains through the shared trainer (two cloned workers, run
// directory) and reloads the result with runs.Load.
func TestTrainRun(t *testing.T) {
	r, p := 2.0, []float64{0.5, 0.5}
	trainDS := poissonData(3, 32, r, 8, p)
	devDS := poissonData(4, 16, r, 8, p)
	m, err := New(Config{HiddenSize: 6}, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opts := train.DefaultOptions()
	opts.Epochs, opts.BatchSize, opts.LR, opts.Workers, opts.Quiet, opts.OutDir = 4, 8, 0.02, 2, true, dir
	res, err := train.Run(context.Background(), m, trainDS, devDS, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Workers != 2 || len(res.History) != 4 {
		t.Fatalf("result %+v", res)
	}
	first := res.History[0].TrainLoss
	if !(res.TrainLoss < first) {
		t.Fatalf("train loss did not fall: %v → %v", first, res.TrainLoss)
	}
	loaded, _, err := runs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.DatasetLogLik(devDS, likelihood.Full)
	got, err := likelihood.Evaluate(loaded, devDS, likelihood.Full)
	if err != nil || got != want {
		t.Fatalf("reloaded dev LL %+v (%v), trained model %+v", got, err, want)
	}
}
