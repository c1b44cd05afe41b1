package nhp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/internal/reftest"
	"github.com/gotpp/gotpp/params"
)

var conventions = []likelihood.Convention{likelihood.Full, likelihood.EasyTPP}

// TestCellMatchesComposite compares the fused continuous-time LSTM cell
// with the same update written in primitive ops: values and the gradients
// of a random linear functional of all four outputs.
func TestCellMatchesComposite(t *testing.T) {
	const B, H = 5, 3
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	xp := engine.NewParam("xp", B, numGates*H)
	h := engine.NewParam("h", B, H)
	c := engine.NewParam("c", B, H)
	cb := engine.NewParam("cbar", B, H)
	wh := engine.NewParam("wh", H, numGates*H)
	ps := []*params.Param{xp, h, c, cb, wh}
	for _, p := range ps {
		copy(p.Value, mk(len(p.Value)))
	}
	weights := [4][]float64{mk(B * H), mk(B * H), mk(B * H), mk(B * H)}
	run := func(fused bool) (vals []float64, grads [][]float64) {
		params.ZeroGrad(ps)
		tp := engine.NewTape()
		var outs [4]*engine.Tensor
		if fused {
			outs[0], outs[1], outs[2], outs[3] = ctCell(tp, tp.Param(xp), tp.Param(h), tp.Param(c), tp.Param(cb), tp.Param(wh))
		} else {
			outs[0], outs[1], outs[2], outs[3] = ctCellComposite(tp, tp.Param(xp), tp.Param(h), tp.Param(c), tp.Param(cb), tp.Param(wh))
		}
		loss := tp.Scalar(0)
		for i, o := range outs {
			vals = append(vals, o.Data...)
			loss = tp.Add(loss, tp.WeightedSum(o, weights[i]))
		}
		tp.Backward(loss)
		for _, p := range ps {
			grads = append(grads, append([]float64(nil), p.Grad...))
		}
		return vals, grads
	}
	fv, fg := run(true)
	cv, cg := run(false)
	for i := range fv {
		if !relClose(fv[i], cv[i], 1e-13) {
			t.Fatalf("value %d: fused %v, composite %v", i, fv[i], cv[i])
		}
	}
	for i := range fg {
		for j := range fg[i] {
			if !relClose(fg[i][j], cg[i][j], 1e-12) {
				t.Fatalf("%s[%d]: fused gradient %v, composite %v", ps[i].Name, j, fg[i][j], cg[i][j])
			}
		}
	}
}

// TestGradients checks the gradient of the loss with respect to every
// coordinate of every parameter against central finite differences, under
// both conventions.
func TestGradients(t *testing.T) {
	seqs := randomSeqs(3, 5, 7, 3)
	b := batch.PackSeqs(seqs, 3)
	for _, conv := range conventions {
		m := newTest(t, Config{HiddenSize: 4, QuadNodes: 4, Threads: 1}, 3)
		randomise(m, 4, 0.6)
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
			t.Errorf("%v: %v", conv, err)
		}
	}
}

// TestLossAndGrad checks the training entry point: its loss is minus the
// log-likelihood under the configured convention, its count the scored
// events, and its gradient (three workers) matches finite differences.
func TestLossAndGrad(t *testing.T) {
	seqs := randomSeqs(5, 7, 9, 3)
	b := batch.PackSeqs(seqs, 3)
	for _, conv := range conventions {
		m := newTest(t, Config{HiddenSize: 3, QuadNodes: 3, Threads: 3, Convention: conv.String()}, 3)
		randomise(m, 6, 0.5)
		params.ZeroGrad(m.Params())
		loss, n := m.LossAndGrad(b)
		want := m.BatchLogLik(b, conv)
		if !relClose(loss, -want.LogLik, 1e-12) || n != want.NumEvents || n != b.NumScored(conv) {
			t.Fatalf("%v: LossAndGrad = %v, %d; want %v, %d", conv, loss, n, -want.LogLik, want.NumEvents)
		}
		err := engine.CheckGradients(m.Params(),
			func() float64 { return -m.BatchLogLik(b, conv).LogLik },
			func() { m.LossAndGrad(b) },
			engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8, MaxPerParam: 30, Seed: 1})
		if err != nil {
			t.Fatalf("%v: %v", conv, err)
		}
	}
}

// TestMatchesReference compares the batched log-likelihood (fused ops,
// Gauss–Legendre compensator) with an independent evaluation: intensities
// from the scalar NextAfter code, compensators by 2000-panel Simpson per
// interval. With 40 nodes the two agree to rounding; with the default 10
// nodes to 1e-4 relative.
func TestMatchesReference(t *testing.T) {
	seqs := randomSeqs(9, 12, 15, 4)
	for _, tc := range []struct {
		nodes int
		tol   float64
	}{{40, 1e-9}, {0, 1e-4}} {
		m := newTest(t, Config{HiddenSize: 6, QuadNodes: tc.nodes, Threads: 2}, 4)
		randomise(m, 2, 0.8)
		for _, conv := range conventions {
			var want likelihood.Parts
			for i := range seqs {
				want.Add(refLogLik(m, &seqs[i], conv))
			}
			got := m.BatchLogLik(batch.PackSeqs(seqs, 4), conv)
			if !relClose(got.TimeLL, want.TimeLL, tc.tol) || !relClose(got.MarkLL, want.MarkLL, tc.tol) ||
				!relClose(got.LogLik, want.LogLik, tc.tol) || got.NumEvents != want.NumEvents || got.NumSeqs != want.NumSeqs {
				t.Errorf("%d nodes, %v: got %+v, reference %+v", m.cfg.QuadNodes, conv, got, want)
			}
		}
	}
}

// TestPaddingInvariance: a sequence's loss and gradient do not depend on
// its batch companions: the joint batch equals the sum of one-sequence
// batches, and a short sequence next to a much longer one scores the same.
func TestPaddingInvariance(t *testing.T) {
	seqs := randomSeqs(7, 8, 15, 3)
	m := newTest(t, Config{HiddenSize: 5, Threads: 1}, 3)
	randomise(m, 8, 0.5)
	params.ZeroGrad(m.Params())
	joint, _ := m.LossAndGrad(batch.PackSeqs(seqs, 3))
	gJoint := reftest.GradsOf(m.Params())
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
	long := randomSeqs(9, 1, 60, 3)[0]
	for _, conv := range conventions {
		alone := seqLogLik(m, seqs[2], conv)
		with := m.BatchLogLik(batch.PackSeqs([]data.Sequence{seqs[2], long}, 3), conv)
		other := seqLogLik(m, long, conv)
		if !relClose(with.LogLik-other.LogLik, alone.LogLik, 1e-10) {
			t.Fatalf("%v: alone %.15g, with a long companion %.15g", conv, alone.LogLik, with.LogLik-other.LogLik)
		}
	}
}

// TestConventionConsistency: the EasyTPP score of a sequence plus the Full
// score of its first event alone (window [Start, t_0]) equals the Full
// score of the sequence with its window cut at the last event.
func TestConventionConsistency(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 5}, 3)
	randomise(m, 10, 0.7)
	for _, s := range randomSeqs(11, 10, 12, 3) {
		if len(s.Times) < 2 {
			e := seqLogLik(m, s, likelihood.EasyTPP)
			if e.LogLik != 0 || e.NumEvents != 0 {
				t.Fatalf("EasyTPP score of a %d-event sequence: %+v", len(s.Times), e)
			}
			continue
		}
		n := len(s.Times)
		cut := s
		cut.End = s.Times[n-1]
		first := data.Sequence{Times: s.Times[:1], Types: s.Types[:1], Start: s.Start, End: s.Times[0]}
		full := seqLogLik(m, cut, likelihood.Full)
		easy := seqLogLik(m, s, likelihood.EasyTPP)
		head := seqLogLik(m, first, likelihood.Full)
		if !relClose(easy.LogLik+head.LogLik, full.LogLik, 1e-11) || easy.NumEvents != n-1 {
			t.Fatalf("%s: EasyTPP %v + first event %v ≠ Full %v (events %d)", s.ID, easy.LogLik, head.LogLik, full.LogLik, easy.NumEvents)
		}
	}
}

// TestThreads: results agree across worker counts and repeat exactly for a
// fixed count.
func TestThreads(t *testing.T) {
	b := batch.PackSeqs(randomSeqs(11, 13, 10, 4), 4)
	var ref [][]float64
	var refLoss float64
	for _, th := range []int{1, 2, 5} {
		m := newTest(t, Config{HiddenSize: 5, Threads: th}, 4)
		randomise(m, 12, 0.5)
		var first [][]float64
		for rep := 0; rep < 2; rep++ {
			params.ZeroGrad(m.Params())
			l, _ := m.LossAndGrad(b)
			g := reftest.GradsOf(m.Params())
			if ref == nil {
				ref, refLoss = g, l
			}
			if !relClose(l, refLoss, 1e-12) {
				t.Fatalf("%d threads: loss %v, 1 thread %v", th, l, refLoss)
			}
			for i := range g {
				for j := range g[i] {
					if !relClose(g[i][j], ref[i][j], 1e-10) || (first != nil && g[i][j] != first[i][j]) {
						t.Fatalf("%d threads, repeat %d: gradient %s[%d] differs", th, rep, m.ps[i].Name, j)
					}
				}
			}
			first = g
		}
	}
}

// TestNextAfter: the law of event i does not look at events i, i+1, ...;
// the prefix cache gives the same intensities as a fresh encoding whatever
// the order of calls, for edited sequences and after a parameter change;
// and the intensity at an event equals the batched path's (through the
// per-event log-likelihood of a one-event continuation).
func TestNextAfter(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 5}, 3)
	randomise(m, 13, 0.7)
	s := randomSeqs(14, 1, 12, 3)[0]
	fresh := func(seq *data.Sequence, i int, dt float64) []float64 {
		st := m.initialState()
		for j := 0; j < i; j++ {
			prev := seq.Start
			if j > 0 {
				prev = seq.Times[j-1]
			}
			st = m.advance(st, seq.Types[j], seq.Times[j]-prev)
		}
		out := make([]float64, m.k)
		c, h := make([]float64, m.cfg.HiddenSize), make([]float64, m.cfg.HiddenSize)
		m.decay(st, dt, c, h)
		m.head(h, out)
		return out
	}
	reftest.CheckNextAfterCache(t, m, s, fresh, func() { m.wout.Value[0] += 0.5 }, func(q data.Sequence) float64 {
		return seqLogLik(m, q, likelihood.Full).LogLik
	})
}

// TestDatasetLogLik: likelihood.Evaluate works on the model; bad input
// gives errors naming the problem.
func TestDatasetLogLik(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 4}, 3)
	randomise(m, 14, 0.4)
	reftest.CheckDatasetLogLik(t, m, conventions)
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		k    int
		want string
	}{
		{Config{HiddenSize: -1}, 3, "hidden_size"},
		{Config{QuadNodes: -2}, 3, "quad_nodes"},
		{Config{ChunkTokens: -2}, 3, "chunk_tokens"},
		{Config{Convention: "half"}, 3, "convention"},
		{Config{Threads: -1}, 3, "threads"},
		{Config{}, 0, "event types"},
	} {
		if _, err := New(c.cfg, c.k, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v, %d): %v, want an error about %s", c.cfg, c.k, err, c.want)
		}
	}
	m := newTest(t, Config{}, 2)
	if c := m.Config(); c.HiddenSize != 64 || c.QuadNodes != 10 || c.Convention != "full" {
		t.Errorf("defaults: %+v", c)
	}
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := spec.New(3, model.Hyper{Hidden: 7, Specs: map[string]any{"convention": "easytpp", "threads": 1}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c := tm.(*Model).Config(); c.HiddenSize != 7 || c.QuadNodes != 10 || c.Convention != "easytpp" || c.Threads != 1 {
		t.Errorf("from Hyper: %+v", c)
	}
	if _, err := spec.New(3, model.Hyper{Specs: map[string]any{"threads": "two"}}, 2); err == nil || !strings.Contains(err.Error(), "threads") {
		t.Errorf("bad spec: %v", err)
	}
	if _, err := spec.New(3, model.Hyper{Specs: map[string]any{"convention": 3}}, 2); err == nil || !strings.Contains(err.Error(), "convention") {
		t.Errorf("bad spec: %v", err)
	}
}

func TestSaveLoad(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 3, QuadNodes: 7, Convention: "easytpp"}, 4)
	randomise(m, 15, 0.5)
	reftest.CheckSaveLoad(t, reftest.SaveLoad{
		Model: m, Name: Name, File: ModelFile,
		Load:       func(dir string) error { _, err := Load(dir); return err },
		SameConfig: func(loaded any) bool { return loaded.(*Model).Config() == m.Config() },
		Rename:     [2]string{`"w_h"`, `"w_q"`},
		RenameErr:  "params[3].name",
		Spoil:      func() { m.wh.Value[0] = math.NaN() },
	})
}

// TestChunking: processing a batch in column chunks (bounded memory) gives
// the same loss and gradient as one pass.
func TestChunking(t *testing.T) {
	reftest.CheckChunking(t, func(chunk int) (reftest.BatchModel, func(*batch.Batch) []*batch.Batch) {
		m := newTest(t, Config{HiddenSize: 4, ChunkTokens: chunk, Threads: 2}, 3)
		randomise(m, 18, 0.5)
		return m, func(b *batch.Batch) []*batch.Batch { return m.run.Chunks(b, 0, 1) }
	})
}
