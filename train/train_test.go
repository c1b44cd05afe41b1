package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
)

// refAdam is an independent Adam written from the paper's bias-corrected
// form: m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), θ ← θ − lr·m̂/(√v̂ + ε).
func refAdam(theta, grads []float64, lr, wd float64, decoupled bool) []float64 {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	var m, v float64
	th := theta[0]
	out := make([]float64, len(grads))
	for t := 1; t <= len(grads); t++ {
		g := grads[t-1]
		if wd != 0 && !decoupled {
			g += wd * th
		}
		if wd != 0 && decoupled {
			th -= lr * wd * th
		}
		m = b1*m + (1-b1)*g
		v = b2*v + (1-b2)*g*g
		mh := m / (1 - math.Pow(b1, float64(t)))
		vh := v / (1 - math.Pow(b2, float64(t)))
		th -= lr * mh / (math.Sqrt(vh) + eps)
		out[t-1] = th
	}
	return out
}

func TestAdamMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	grads := make([]float64, 50)
	for i := range grads {
		grads[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3))
	}
	for _, tc := range []struct {
		wd        float64
		decoupled bool
	}{{0, false}, {0.1, false}, {0.1, true}} {
		p := &params.Param{Name: "x", Shape: []int{1}, Value: []float64{0.7}, Grad: []float64{0}}
		a := NewAdam([]*params.Param{p}, 0.01)
		a.WeightDecay, a.Decoupled = tc.wd, tc.decoupled
		want := refAdam([]float64{0.7}, grads, 0.01, tc.wd, tc.decoupled)
		for i, g := range grads {
			p.Grad[0] = g
			a.Step([]*params.Param{p})
			if d := math.Abs(p.Value[0] - want[i]); d > 1e-13*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("wd=%v decoupled=%v step %d: %v, reference %v", tc.wd, tc.decoupled, i+1, p.Value[0], want[i])
			}
		}
	}
	// The first step moves every coordinate by lr·sign(g) (|g| ≫ ε).
	p := &params.Param{Name: "y", Shape: []int{3}, Value: []float64{1, 2, 3}, Grad: []float64{5, -0.01, 300}}
	a := NewAdam([]*params.Param{p}, 0.1)
	a.Step([]*params.Param{p})
	for j, w := range []float64{0.9, 2.1, 2.9} {
		if math.Abs(p.Value[j]-w) > 1e-6 {
			t.Errorf("first step: value[%d] = %v, want %v", j, p.Value[j], w)
		}
	}
}

func TestAdamState(t *testing.T) {
	mk := func() []*params.Param {
		return []*params.Param{{Name: "a", Shape: []int{2}, Value: []float64{1, 2}, Grad: []float64{0.3, -0.2}}}
	}
	p1, p2 := mk(), mk()
	a1 := NewAdam(p1, 0.05)
	for i := 0; i < 3; i++ {
		a1.Step(p1)
	}
	a2 := NewAdam(p2, 0.05)
	copy(p2[0].Value, p1[0].Value)
	if err := a2.SetState(a1.State(), p2); err != nil {
		t.Fatal(err)
	}
	a1.Step(p1)
	a2.Step(p2)
	if math.Float64bits(p1[0].Value[0]) != math.Float64bits(p2[0].Value[0]) || a2.Steps() != 4 {
		t.Fatal("restored Adam does not continue identically")
	}
	if err := a2.SetState(AdamState{M: [][]float64{{1}}, V: [][]float64{{1}}}, p2); err == nil {
		t.Fatal("SetState accepted a mis-shaped state")
	}
}

func TestClip(t *testing.T) {
	ps := []*params.Param{
		{Name: "a", Value: make([]float64, 3), Grad: []float64{3, 0, -4}},
		{Name: "b", Value: make([]float64, 2), Grad: []float64{12, 0}},
	}
	// ‖(3, 0, −4, 12, 0)‖ = 13.
	norm, clipped := ClipGlobalNorm(ps, 26)
	if norm != 13 || clipped || ps[1].Grad[0] != 12 {
		t.Fatalf("below the threshold: norm %v clipped %v", norm, clipped)
	}
	norm, clipped = ClipGlobalNorm(ps, 6.5)
	if norm != 13 || !clipped {
		t.Fatalf("norm %v clipped %v", norm, clipped)
	}
	want := []float64{1.5, 0, -2, 6, 0}
	got := append(append([]float64(nil), ps[0].Grad...), ps[1].Grad...)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-14 {
			t.Fatalf("clipped gradient %v, want %v", got, want)
		}
	}
	if n := GlobalNorm(ps); math.Abs(n-6.5) > 1e-14 {
		t.Fatalf("norm after clipping %v", n)
	}
}

// TestPoissonGradient checks the test model's gradient by central differences,
// so that the training tests rest on a correct model.
func TestPoissonGradient(t *testing.T) {
	ds := simulatePoisson(11, 20, []float64{0.5, 1, 2})
	m := newPoisson(3, 0)
	m.theta.Value = []float64{-0.3, 0.1, 0.4}
	idx := []int{0, 3, 5, 7, 19}
	b := batch.Pack(ds, idx)
	params.ZeroGrad(m.Params())
	m.LossAndGrad(b)
	g := append([]float64(nil), m.theta.Grad...)
	const h = 1e-6
	for k := range g {
		old := m.theta.Value[k]
		m.theta.Value[k] = old + h
		lp, _ := m.LossAndGrad(b)
		m.theta.Value[k] = old - h
		lm, _ := m.LossAndGrad(b)
		m.theta.Value[k] = old
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-g[k]) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("grad[%d] = %v, finite difference %v", k, g[k], fd)
		}
	}
	// The batch loss equals minus the data-set log-likelihood of the same sequences.
	sub := *ds
	sub.Seqs = nil
	for _, i := range idx {
		sub.Seqs = append(sub.Seqs, ds.Seqs[i])
	}
	parts, _ := m.DatasetLogLik(&sub, likelihood.Full)
	loss, _ := m.LossAndGrad(b)
	if math.Abs(loss+parts.LogLik) > 1e-9*math.Abs(loss) {
		t.Errorf("batch loss %v, data-set log-likelihood %v", loss, parts.LogLik)
	}
}

func quiet(o Options) Options {
	o.Quiet = true
	return o
}

func TestConvergesToMLE(t *testing.T) {
	ds := simulatePoisson(1, 100, []float64{0.5, 1, 2})
	dev := simulatePoisson(2, 30, []float64{0.5, 1, 2})
	mle := poissonMLE(ds)
	for _, bs := range []int{1000, 16} {
		m := newPoisson(3, -1)
		opts := quiet(Options{Epochs: 600, BatchSize: bs, LR: 0.02, Seed: 5})
		if bs < 100 {
			opts.Epochs = 100
			opts.LR = 0.01
		}
		res, err := Run(context.Background(), m, ds, dev, opts)
		if err != nil {
			t.Fatal(err)
		}
		tol := 1e-4
		if bs < 100 {
			tol = 0.02 // mini-batch noise around the optimum
		}
		for k, want := range mle {
			got := math.Exp(m.theta.Value[k])
			if math.Abs(got-want) > tol*want {
				t.Errorf("batch %d: rate[%d] = %.6f, MLE %.6f", bs, k, got, want)
			}
		}
		// The reported final training loss is the NLL per event at (close to) the MLE.
		if bs > 100 {
			best := newPoisson(3, 0)
			for k := range mle {
				best.theta.Value[k] = math.Log(mle[k])
			}
			p, _ := best.DatasetLogLik(ds, likelihood.Full)
			if d := res.TrainLoss + p.PerEvent(); math.Abs(d) > 1e-6 {
				t.Errorf("final train loss %v, NLL/event at the MLE %v", res.TrainLoss, -p.PerEvent())
			}
		}
		if res.Epochs != opts.Epochs || len(res.History) != opts.Epochs {
			t.Errorf("ran %d epochs (%d records), want %d", res.Epochs, len(res.History), opts.Epochs)
		}
	}
}

// bits flattens parameter values to their bit patterns.
func bits(ps []*params.Param) []uint64 {
	var out []uint64
	for _, p := range ps {
		for _, v := range p.Value {
			out = append(out, math.Float64bits(v))
		}
	}
	return out
}

func equalBits(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stripTimes removes the wall-clock fields of epoch records.
func stripTimes(rs []EpochRecord) []EpochRecord {
	out := append([]EpochRecord(nil), rs...)
	for i := range out {
		out[i].Seconds, out[i].TrainSeconds, out[i].EventsPerSecond = 0, 0, 0
	}
	return out
}

func TestResumeBitExact(t *testing.T) {
	ds := simulatePoisson(3, 120, []float64{0.3, 1.5, 0.7})
	dev := simulatePoisson(4, 30, []float64{0.3, 1.5, 0.7})
	base := quiet(Options{BatchSize: 16, MaxTokens: 300, LR: 0.05, Clip: 2, Seed: 42, Workers: 2, WeightDecay: 1e-3})

	straight := newPoisson(3, -2)
	o := base
	straightDir := t.TempDir()
	o.Epochs, o.OutDir = 4, straightDir
	r1, err := Run(context.Background(), straight, ds, dev, o)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Workers != 2 {
		t.Fatalf("used %d workers", r1.Workers)
	}

	dir := t.TempDir()
	first := newPoisson(3, -2)
	o = base
	o.Epochs, o.OutDir = 2, dir
	if _, err := Run(context.Background(), first, ds, dev, o); err != nil {
		t.Fatal(err)
	}
	resumed := newPoisson(3, 123) // a fresh model: everything must come from the checkpoint
	o.Epochs, o.Resume = 4, true
	r2, err := Run(context.Background(), resumed, ds, dev, o)
	if err != nil {
		t.Fatal(err)
	}
	if r2.StartEpoch != 2 || r2.Epochs != 4 {
		t.Fatalf("resumed run: start %d, end %d", r2.StartEpoch, r2.Epochs)
	}
	if !equalBits(bits(straight.Params()), bits(resumed.Params())) {
		t.Fatalf("params differ: straight %v, resumed %v", straight.theta.Value, resumed.theta.Value)
	}
	a, _ := json.Marshal(stripTimes(r1.History))
	b, _ := json.Marshal(stripTimes(r2.History))
	if !bytes.Equal(a, b) {
		t.Fatalf("epoch histories differ:\n%s\n%s", a, b)
	}
	// The last checkpoints agree too (Adam moments and random state included).
	ck1, err := loadCheckpoint(filepath.Join(straightDir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	ck2, err := loadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	ck1.Log, ck2.Log = nil, nil
	if !reflect.DeepEqual(ck1, ck2) {
		t.Fatal("final checkpoints differ")
	}
	b1, _ := os.ReadFile(filepath.Join(straightDir, BestFile))
	b2, _ := os.ReadFile(filepath.Join(dir, BestFile))
	if len(b1) == 0 || !bytes.Equal(b1, b2) {
		t.Fatal("best.params differ")
	}
	// Resuming a finished run trains nothing more.
	o.Epochs = 4
	again := newPoisson(3, 0)
	r3, err := Run(context.Background(), again, ds, dev, o)
	if err != nil || r3.StartEpoch != 4 || !equalBits(bits(again.Params()), bits(resumed.Params())) {
		t.Fatalf("resuming a finished run: %v, start %d", err, r3.StartEpoch)
	}
}

func TestWorkers(t *testing.T) {
	ds := simulatePoisson(5, 90, []float64{1, 2})
	run := func(workers int) []*params.Param {
		m := newPoisson(2, -1)
		o := quiet(Options{Epochs: 3, BatchSize: 20, LR: 0.05, Seed: 9, Workers: workers})
		res, err := Run(context.Background(), m, ds, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Workers != workers {
			t.Fatalf("asked for %d workers, used %d", workers, res.Workers)
		}
		return m.Params()
	}
	one, two, twoAgain, three := run(1), run(2), run(2), run(3)
	if !equalBits(bits(two), bits(twoAgain)) {
		t.Fatal("two workers: not deterministic")
	}
	for _, other := range [][]*params.Param{two, three} {
		for j, v := range one[0].Value {
			if math.Abs(other[0].Value[j]-v) > 1e-12 {
				t.Fatalf("worker counts disagree: %v vs %v", one[0].Value, other[0].Value)
			}
		}
	}
	// A model that cannot be cloned falls back to one worker.
	f := newFaulty(2, -1, "")
	noClone := struct{ Model }{f}
	var log bytes.Buffer
	res, err := Run(context.Background(), noClone, ds, nil, Options{Epochs: 1, BatchSize: 20, LR: 0.01, Workers: 4, Log: &log})
	if err != nil || res.Workers != 1 || !strings.Contains(log.String(), "using 1 worker") {
		t.Fatalf("fallback: err %v, workers %d, log %q", err, res.Workers, log.String())
	}
}

// badClone shares nothing with its model.
type badClone struct{ *poisson }

func (b badClone) Clone() Model { return newPoisson(len(b.theta.Value), 0) }

func TestCloneChecked(t *testing.T) {
	ds := simulatePoisson(5, 10, []float64{1})
	_, err := Run(context.Background(), badClone{newPoisson(1, 0)}, ds, nil, quiet(Options{Epochs: 1, BatchSize: 4, LR: 0.01, Workers: 2}))
	if err == nil || !strings.Contains(err.Error(), "does not share its values") {
		t.Fatalf("err = %v", err)
	}
}

func TestNonFiniteStops(t *testing.T) {
	ds := simulatePoisson(6, 40, []float64{1, 2})
	nb := len(mustPlan(t, ds, 8))
	for _, mode := range []string{"grad", "loss"} {
		dir := t.TempDir()
		m := newFaulty(2, nb+3, mode) // epoch 2, batch 3
		var log bytes.Buffer
		_, err := Run(context.Background(), m, ds, ds, Options{Epochs: 5, BatchSize: 8, LR: 0.01, Seed: 1, OutDir: dir, Log: &log})
		var nf *NonFiniteError
		if !errors.As(err, &nf) {
			t.Fatalf("%s: err = %v, want a NonFiniteError", mode, err)
		}
		if nf.Epoch != 2 || nf.Batch != 3 || len(nf.Seqs) == 0 {
			t.Fatalf("%s: error at epoch %d batch %d", mode, nf.Epoch, nf.Batch)
		}
		msg := err.Error()
		if !strings.Contains(msg, "epoch 2") || !strings.Contains(msg, "batch 3") {
			t.Fatalf("%s: message %q", mode, msg)
		}
		if mode == "grad" && (nf.Param != "unused_bias" || nf.Index != 1 || !strings.Contains(msg, "unused_bias[1]") || !math.IsNaN(nf.Value)) {
			t.Fatalf("grad: message %q", msg)
		}
		if mode == "loss" && (nf.What != "loss" || !math.IsInf(nf.Value, 1)) {
			t.Fatalf("loss: %+v", nf)
		}
		// The checkpoint holds epoch 1 with finite parameters, and the log one line.
		ck, err := loadCheckpoint(filepath.Join(dir, CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		if ck.Epoch != 1 {
			t.Fatalf("%s: checkpoint at epoch %d", mode, ck.Epoch)
		}
		for _, p := range ck.Params {
			for _, v := range p.Value {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: poisoned checkpoint", mode)
				}
			}
		}
		if n := len(readEpochs(t, dir)); n != 1 {
			t.Fatalf("%s: %d epoch records", mode, n)
		}
		// The parameters in memory were not touched by the bad step either.
		if _, _, _, bad := firstNonFinite(m.Params(), false); bad {
			t.Fatalf("%s: parameters poisoned in memory", mode)
		}
	}
}

func mustPlan(t *testing.T, ds *data.Dataset, bs int) [][]int {
	t.Helper()
	k, err := batch.NewBucketer(ds, batch.Options{BatchSize: bs})
	if err != nil {
		t.Fatal(err)
	}
	return k.Plan(nil)
}

func readEpochs(t *testing.T, dir string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, EpochsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("epochs.jsonl: %v", err)
		}
		out = append(out, m)
	}
	return out
}

// failAfter lets n bytes through, then fails.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("simulated disk failure")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestCheckpointAtomic(t *testing.T) {
	ds := simulatePoisson(7, 30, []float64{1, 2})
	dir := t.TempDir()
	o := quiet(Options{Epochs: 1, BatchSize: 8, LR: 0.01, Seed: 3, OutDir: dir})
	if _, err := Run(context.Background(), newPoisson(2, 0), ds, nil, o); err != nil {
		t.Fatal(err)
	}
	ckPath := filepath.Join(dir, CheckpointFile)
	before, _ := os.ReadFile(ckPath)

	// The next checkpoint write dies after 40 bytes.
	writeWrap = func(path string, w io.Writer) io.Writer {
		if filepath.Base(path) == CheckpointFile {
			return &failAfter{w: w, n: 40}
		}
		return w
	}
	defer func() { writeWrap = nil }()
	o.Epochs, o.Resume = 2, true
	_, err := Run(context.Background(), newPoisson(2, 0), ds, nil, o)
	if err == nil || !strings.Contains(err.Error(), "simulated disk failure") {
		t.Fatalf("err = %v", err)
	}
	writeWrap = nil
	after, _ := os.ReadFile(ckPath)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed write changed the checkpoint")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("left a partial file %s", e.Name())
		}
	}
	ck, err := loadCheckpoint(ckPath)
	if err != nil || ck.Epoch != 1 {
		t.Fatalf("checkpoint after failure: %v (epoch %v)", err, ck)
	}
	if n := len(readEpochs(t, dir)); n != 1 {
		t.Fatalf("epochs.jsonl has %d records after the failed epoch, want 1", n)
	}
	// The run resumes from it.
	if _, err := Run(context.Background(), newPoisson(2, 0), ds, nil, o); err != nil {
		t.Fatal(err)
	}

	// A corrupted checkpoint is refused, naming the file.
	b, _ := os.ReadFile(ckPath)
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(ckPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Epochs = 3
	_, err = Run(context.Background(), newPoisson(2, 0), ds, nil, o)
	if err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), ckPath) {
		t.Fatalf("corrupt checkpoint: err = %v", err)
	}
	if err := os.WriteFile(ckPath, b[:len(b)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), newPoisson(2, 0), ds, nil, o)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated checkpoint: err = %v", err)
	}
}

func TestEarlyStopping(t *testing.T) {
	// Train at rate 3, dev at rate 1: from a small initial rate the fit passes
	// the dev optimum on its way to the training MLE, so the dev score rises
	// and then falls.
	ds := simulatePoisson(8, 60, []float64{3})
	dev := simulatePoisson(9, 30, []float64{1})
	dir := t.TempDir()
	m := newPoisson(1, math.Log(0.2))
	o := quiet(Options{Epochs: 200, BatchSize: 1000, LR: 0.05, Patience: 3, Seed: 1, OutDir: dir})
	res, err := Run(context.Background(), m, ds, dev, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly || res.Epochs != res.BestEpoch+3 || res.BestEpoch < 2 {
		t.Fatalf("stopped %v after %d epochs, best %d", res.StoppedEarly, res.Epochs, res.BestEpoch)
	}
	// The best epoch is the argmax of the logged dev scores.
	bestLL := math.Inf(-1)
	arg := 0
	for _, r := range res.History {
		if *r.DevLogLik > bestLL {
			bestLL, arg = *r.DevLogLik, r.Epoch
		}
	}
	if arg != res.BestEpoch || bestLL != res.BestDev {
		t.Fatalf("best epoch %d (%v), history says %d (%v)", res.BestEpoch, res.BestDev, arg, bestLL)
	}
	// The model holds the best parameters, and they score BestDev on dev.
	p, _ := m.DatasetLogLik(dev, likelihood.Full)
	if p.PerEvent() != res.BestDev {
		t.Fatalf("model scores %v on dev, best was %v", p.PerEvent(), res.BestDev)
	}
	saved := newPoisson(1, 0)
	if err := LoadParams(filepath.Join(dir, BestFile), saved.Params()); err != nil {
		t.Fatal(err)
	}
	if !equalBits(bits(saved.Params()), bits(m.Params())) {
		t.Fatal("best.params differs from the model's final parameters")
	}
	if _, err := os.Stat(filepath.Join(dir, "poisson.json")); err != nil {
		t.Fatalf("Model.Save was not called: %v", err)
	}
	// Resuming a stopped run does not train further.
	o.Resume = true
	res2, err := Run(context.Background(), newPoisson(1, 0), ds, dev, o)
	if err != nil || res2.Epochs != res.Epochs || !res2.StoppedEarly {
		t.Fatalf("resume after early stop: %v, %d epochs", err, res2.Epochs)
	}
}

func TestEpochLog(t *testing.T) {
	ds := simulatePoisson(10, 30, []float64{1, 2})
	dir := t.TempDir()
	var seen []int
	o := quiet(Options{Epochs: 3, BatchSize: 8, LR: 0.01, Clip: 1e-3, OutDir: dir, Convention: likelihood.EasyTPP,
		OnEpoch: func(r EpochRecord) { seen = append(seen, r.Epoch) }})
	if _, err := Run(context.Background(), newPoisson(2, 0), ds, ds, o); err != nil {
		t.Fatal(err)
	}
	recs := readEpochs(t, dir)
	if len(recs) != 3 || len(seen) != 3 {
		t.Fatalf("%d records, %d callbacks", len(recs), len(seen))
	}
	for i, r := range recs {
		for _, k := range []string{"epoch", "train_loss", "dev_loglik_per_event", "seconds", "events_per_second", "lr", "grad_norm", "clipped_batches"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("record %d lacks %s: %v", i, k, r)
			}
		}
		if r["epoch"].(float64) != float64(i+1) || r["lr"].(float64) != 0.01 {
			t.Fatalf("record %d: %v", i, r)
		}
		// Every batch's gradient norm is far above 1e-3, so every batch was clipped.
		if r["clipped_batches"].(float64) != r["batches"].(float64) {
			t.Fatalf("record %d: clipped %v of %v batches", i, r["clipped_batches"], r["batches"])
		}
		// Dev = train data here, scored under the EasyTPP convention.
		if r["dev_events"].(float64) != float64(ds.NumEvents()-len(ds.Seqs)) {
			t.Fatalf("record %d: %v dev events", i, r["dev_events"])
		}
	}
	// No dev set: the field is null, and best.params follows the last epoch.
	dir2 := t.TempDir()
	o.OutDir, o.OnEpoch = dir2, nil
	m := newPoisson(2, 0)
	if _, err := Run(context.Background(), m, ds, nil, o); err != nil {
		t.Fatal(err)
	}
	recs = readEpochs(t, dir2)
	if recs[0]["dev_loglik_per_event"] != nil {
		t.Fatalf("no dev set: %v", recs[0])
	}
	saved := newPoisson(2, 9)
	if err := LoadParams(filepath.Join(dir2, BestFile), saved.Params()); err != nil || !equalBits(bits(saved.Params()), bits(m.Params())) {
		t.Fatalf("best.params without dev set: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	ds := simulatePoisson(12, 20, []float64{1})
	dir := t.TempDir()
	o := quiet(Options{Epochs: 1, BatchSize: 8, LR: 0.01, OutDir: dir})
	if _, err := Run(context.Background(), newPoisson(1, 0), ds, nil, o); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), newPoisson(1, 0), ds, nil, o); err == nil || !strings.Contains(err.Error(), "already holds a checkpoint") {
		t.Errorf("existing checkpoint: err = %v", err)
	}
	o.Overwrite = true
	if _, err := Run(context.Background(), newPoisson(1, 0), ds, nil, o); err != nil {
		t.Errorf("overwrite: %v", err)
	}
	o.Overwrite, o.Resume, o.BatchSize, o.Epochs = false, true, 4, 2
	if _, err := Run(context.Background(), newPoisson(1, 0), ds, nil, o); err == nil || !strings.Contains(err.Error(), "batch size 8 (checkpoint) vs 4 (now)") {
		t.Errorf("changed batch size: err = %v", err)
	}
	o.BatchSize = 8
	if _, err := Run(context.Background(), newPoisson(2, 0), ds, nil, o); err == nil || !strings.Contains(err.Error(), "parameter count") {
		t.Errorf("different model: err = %v", err)
	}
	o.OutDir = t.TempDir()
	if _, err := Run(context.Background(), newPoisson(1, 0), ds, nil, o); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("resume without checkpoint: err = %v", err)
	}
	_, err := Run(context.Background(), newPoisson(1, 0), ds, nil, Options{Epochs: -1, LR: 0, Clip: -1})
	if err == nil || !strings.Contains(err.Error(), "batch size") || !strings.Contains(err.Error(), "learning rate") || !strings.Contains(err.Error(), "clip") {
		t.Errorf("bad options: err = %v", err)
	}
	bad := simulatePoisson(12, 20, []float64{1})
	bad.Seqs[4].Types[0] = 3
	if _, err := Run(context.Background(), newPoisson(1, 0), bad, nil, quiet(Options{Epochs: 1, BatchSize: 8, LR: 0.01})); err == nil || !strings.Contains(err.Error(), "sequence 4") {
		t.Errorf("bad data: err = %v", err)
	}
	// A parameter file of another model is refused, naming the parameter.
	p := filepath.Join(t.TempDir(), "x.params")
	if err := SaveParams(p, newPoisson(2, 0).Params()); err != nil {
		t.Fatal(err)
	}
	if err := LoadParams(p, newPoisson(3, 0).Params()); err == nil || !strings.Contains(err.Error(), "log_rate") {
		t.Errorf("shape mismatch: err = %v", err)
	}
}

func TestCancel(t *testing.T) {
	ds := simulatePoisson(13, 20, []float64{1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	res, err := Run(ctx, newPoisson(1, 0), ds, nil, quiet(Options{Epochs: 3, BatchSize: 4, LR: 0.01, OutDir: dir}))
	if !errors.Is(err, context.Canceled) || res.Epochs != 0 {
		t.Fatalf("err = %v, epochs %d", err, res.Epochs)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointFile)); !os.IsNotExist(err) {
		t.Fatal("a cancelled first epoch wrote a checkpoint")
	}
}

func BenchmarkEpochPoisson(b *testing.B) {
	ds := simulatePoisson(1, 400, []float64{0.5, 1, 2})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), newPoisson(3, 0), ds, nil, quiet(Options{Epochs: 1, BatchSize: 32, LR: 0.01})); err != nil {
			b.Fatal(err)
		}
	}
}
