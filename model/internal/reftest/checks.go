package reftest

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/sampler"
	"github.com/gotpp/gotpp/train"
)

// BatchModel is the batch interface of the engine-based neural models.
type BatchModel interface {
	train.Model
	NumTypes() int
	BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts
	DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error)
}

// Randomise sets every parameter value to a U(−a, a) draw.
func Randomise(ps []*params.Param, seed uint64, a float64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] = (rng.Float64()*2 - 1) * a
		}
	}
}

// GradsOf copies the parameters' gradients.
func GradsOf(ps []*params.Param) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = append([]float64(nil), p.Grad...)
	}
	return out
}

// CheckDatasetLogLik checks, on a model of 3 event types, that
// likelihood.Evaluate agrees with one batch of 70 random sequences under
// each convention, and that a type-count mismatch and decreasing times
// give errors naming the problem.
func CheckDatasetLogLik(t *testing.T, m BatchModel, conventions []likelihood.Convention) {
	t.Helper()
	ds := &data.Dataset{Name: "rand", NumTypes: 3, Seqs: RandomSeqs(13, 70, 20, 3)}
	for _, conv := range conventions {
		got, err := likelihood.Evaluate(m, ds, conv)
		if err != nil {
			t.Fatal(err)
		}
		want := m.BatchLogLik(batch.PackSeqs(ds.Seqs, 3), conv)
		if !RelClose(got.LogLik, want.LogLik, 1e-10) || got.NumEvents != want.NumEvents || got.NumSeqs != 70 {
			t.Fatalf("%v: %+v, one batch %+v", conv, got, want)
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

// CheckChunking checks that processing a batch in column chunks (bounded
// memory) gives the same loss and gradient as one pass. build returns a
// model of 3 event types with the given chunk_tokens and 2 threads, with
// the same parameters whatever the chunk size, and its column chunks of a
// batch.
func CheckChunking(t *testing.T, build func(chunk int) (BatchModel, func(*batch.Batch) []*batch.Batch)) {
	t.Helper()
	b := batch.PackSeqs(RandomSeqs(17, 9, 12, 3), 3)
	var ref [][]float64
	var refLoss float64
	for _, chunk := range []int{1 << 20, 30, 1} {
		m, chunks := build(chunk)
		if n := len(chunks(b)); (chunk == 1) != (n == b.B) || (chunk == 1<<20) != (n == 1) {
			t.Fatalf("chunk_tokens %d: %d chunks of a %d×%d batch", chunk, n, b.B, b.L)
		}
		params.ZeroGrad(m.Params())
		l, _ := m.LossAndGrad(b)
		g := GradsOf(m.Params())
		if ref == nil {
			ref, refLoss = g, l
			continue
		}
		if !RelClose(l, refLoss, 1e-12) {
			t.Fatalf("chunk_tokens %d: loss %v, unchunked %v", chunk, l, refLoss)
		}
		for i := range g {
			for j := range g[i] {
				if !RelClose(g[i][j], ref[i][j], 1e-10) {
					t.Fatalf("chunk_tokens %d: gradient %s[%d] %v, unchunked %v", chunk, m.Params()[i].Name, j, g[i][j], ref[i][j])
				}
			}
		}
	}
}

// SaveLoad describes a model for CheckSaveLoad.
type SaveLoad struct {
	// Model has 4 event types and random parameters; Save writes it to a
	// run directory.
	Model interface {
		BatchModel
		Save(dir string) error
	}
	Name, File string                 // model name and model file
	Load       func(dir string) error // the package's Load
	// SameConfig reports whether a loaded model has Model's configuration.
	SameConfig func(loaded any) bool
	// Rename replaces the parameter name Rename[0] in the file with
	// Rename[1]; loading must then fail with an error containing
	// RenameErr.
	Rename    [2]string
	RenameErr string
	// Spoil sets a parameter of Model to a non-finite value, which Save
	// must refuse.
	Spoil func()
}

// CheckSaveLoad checks that a saved model loads through runs.Load and
// scores a data set exactly as before, that Save keeps an existing
// run.json, and that a renamed parameter, a truncated file and a
// non-finite parameter are refused.
func CheckSaveLoad(t *testing.T, c SaveLoad) {
	t.Helper()
	m := c.Model
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	ds := &data.Dataset{Name: "r", NumTypes: 4, Seqs: RandomSeqs(16, 20, 10, 4)}
	want, _ := m.DatasetLogLik(ds, likelihood.Full)
	loaded, info, err := runs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Model != c.Name || info.NumTypes != 4 {
		t.Fatalf("run.json: %+v", info)
	}
	got, err := likelihood.Evaluate(loaded, ds, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("after loading: %+v, before %+v", got, want)
	}
	if !c.SameConfig(loaded) {
		t.Fatalf("config of the loaded model %+v differs", loaded)
	}
	if err := runs.WriteInfo(dir, &runs.Info{Model: c.Name, NumTypes: 4, Data: "keep"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if info, _ := runs.ReadInfo(dir); info.Data != "keep" {
		t.Fatal("Save overwrote an existing run.json")
	}
	path := filepath.Join(dir, c.File)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), c.Rename[0], c.Rename[1], 1)), 0o644)
	if err := c.Load(dir); err == nil || !strings.Contains(err.Error(), c.RenameErr) {
		t.Fatalf("renamed parameter: %v", err)
	}
	os.WriteFile(path, b[:len(b)/2], 0o644)
	if err := c.Load(dir); err == nil || !strings.Contains(err.Error(), c.File) {
		t.Fatalf("truncated file: %v", err)
	}
	c.Spoil()
	if err := m.Save(t.TempDir()); err == nil {
		t.Fatal("saved a non-finite parameter")
	}
}

// HawkesData simulates a small 2-type Hawkes data set on [0, T] and returns
// the train and test splits with the test set's true log-likelihood (Full
// convention) under the generating parameters.
func HawkesData(t *testing.T, nTrain, nTest int, T float64) (tr, te *data.Dataset, truth likelihood.Parts) {
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

// CheckTrainHawkes trains m (2 event types) with train.Run on HawkesData
// (64 training sequences for 12 epochs, 48 for 8 with -short) and checks
// that the held-out log-likelihood per event moves most of the way (60%,
// 40% with -short) from its initial value to the true model's. It returns
// the test split.
func CheckTrainHawkes(t *testing.T, m BatchModel) *data.Dataset {
	t.Helper()
	nTrain, epochs := 64, 12
	if testing.Short() {
		nTrain, epochs = 48, 8
	}
	tr, te, truth := HawkesData(t, nTrain, 40, 40)
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
	return te
}

// CompensatorRules integrates the total intensity of m over every Full
// interval of ds three ways: the Gauss–Legendre rule of nodes and weights
// on [0, 1], EasyTPP's rule (Δ times the mean of 20 equispaced points
// including both ends) and a 1000-panel Simpson reference.
func CompensatorRules(m predict.Model, nodes, weights []float64, ds *data.Dataset) (gl, easy, ref float64) {
	lam := make([]float64, m.NumTypes())
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
			for g, x := range nodes {
				gl += d * weights[g] * f(d*x)
			}
			e := 0.0
			for g := 0; g < 20; g++ {
				e += f(d * float64(g) / 19)
			}
			easy += d * e / 20
			ref += Simpson(f, 0, d, 1000)
		}
	}
	return gl, easy, ref
}

// CheckNextAfterCache is the shared body of the recurrent models'
// TestNextAfter: NextAfter(seq, i) (through the model's prefix cache) gives
// the intensities of fresh(seq, i, dt), an encoding of the prefix from
// scratch, to 1e-13 whatever the order of calls; editing events i, i+1, …
// does not change the law of event i; an in-place edit of an earlier event
// and a parameter change (perturb) are noticed by the cache; and the
// intensity at event i equals the batched path's: with the window cut at
// t_i, the prefix with event i and the one without it share the
// compensator, so their Full scores (fullLL) differ by log λ_{k_i}(t_i).
// s needs at least 9 events over 3 types.
func CheckNextAfterCache(t *testing.T, m predict.Model, s data.Sequence, fresh func(seq *data.Sequence, i int, dt float64) []float64, perturb func(), fullLL func(data.Sequence) float64) {
	t.Helper()
	lam := make([]float64, m.NumTypes())
	check := func(seq *data.Sequence, i int) {
		t.Helper()
		for _, dt := range []float64{0, 0.3, 2.5} {
			m.NextAfter(seq, i).Intensities(dt, lam)
			want := fresh(seq, i, dt)
			for k := range lam {
				if !RelClose(lam[k], want[k], 1e-13) {
					t.Fatalf("NextAfter(%d) at dt=%v: %v, fresh encoding %v", i, dt, lam, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, i := range rng.Perm(len(s.Times) + 1) {
		check(&s, i)
	}
	// editing events at and after i does not change the law of event i
	i := 6
	m.NextAfter(&s, i).Intensities(0.7, lam)
	before := append([]float64(nil), lam...)
	edited := s
	edited.Times = append([]float64(nil), s.Times...)
	edited.Types = append([]int(nil), s.Types...)
	for j := i; j < len(edited.Times); j++ {
		edited.Times[j] += 5
		edited.Types[j] = (edited.Types[j] + 1) % 3
	}
	m.NextAfter(&edited, i).Intensities(0.7, lam)
	for k := range lam {
		if lam[k] != before[k] {
			t.Fatalf("law of event %d changed when later events changed: %v vs %v", i, lam, before)
		}
	}
	// in-place edits of an earlier event are noticed by the cache
	s.Types[2] = (s.Types[2] + 1) % 3
	check(&s, 8)
	// and so are parameter changes
	perturb()
	check(&s, 8)
	pre := data.Sequence{Times: s.Times[:i+1], Types: s.Types[:i+1], Start: s.Start, End: s.Times[i]}
	cut := data.Sequence{Times: s.Times[:i], Types: s.Types[:i], Start: s.Start, End: s.Times[i]}
	diff := fullLL(pre) - fullLL(cut)
	m.NextAfter(&s, i).Intensities(s.Times[i]-s.Times[i-1], lam)
	if !RelClose(diff, math.Log(lam[s.Types[i]]), 1e-11) {
		t.Fatalf("event %d: batched log λ %v, NextAfter %v", i, diff, math.Log(lam[s.Types[i]]))
	}
}
