package s2p2

import (
	"math"
	"math/cmplx"
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

// TestOps checks the three custom ops against finite differences (all
// inputs, with and without the optional ones and a row mask) and the fused
// mix against the same computation in primitive ops.
func TestOps(t *testing.T) {
	const R, G, P, H = 4, 3, 2, 5
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(p *params.Param, lo, hi float64) {
		for i := range p.Value {
			p.Value[i] = lo + (hi-lo)*rng.Float64()
		}
	}
	x0, dl, v := engine.NewParam("x0", R, 2*P), engine.NewParam("delta", R, P), engine.NewParam("v", R*G, 2*P)
	a, w := engine.NewParam("a", P), engine.NewParam("w", P)
	fill(x0, -1, 1)
	fill(dl, 0.2, 1.5)
	fill(v, -1, 1)
	fill(a, -1, 0.5)
	fill(w, -4, 4)
	dt := make([]float64, R*G)
	for i := range dt {
		dt[i] = 2 * rng.Float64()
	}
	weights := make([]float64, R*G*2*P)
	for i := range weights {
		weights[i] = rng.NormFloat64()
	}
	tp := engine.NewTape()
	for _, withV := range []bool{true, false} {
		for _, mask := range [][]float64{nil, {1, 0, 1, 1}} {
			ps := []*params.Param{x0, dl, a, w}
			if withV {
				ps = append(ps, v)
			}
			run := func(rec bool) float64 {
				tp.Reset()
				tp.SetNoGrad(!rec)
				var vt *engine.Tensor
				if withV {
					vt = tp.Param(v)
				}
				out := evolve(tp, tp.Param(x0), tp.Param(dl), vt, dt, tp.Param(a), tp.Param(w), mask)
				l := tp.WeightedSum(out, weights)
				if rec {
					tp.Backward(l)
				}
				return l.Item()
			}
			if err := engine.CheckGradients(ps, func() float64 { return run(false) }, func() { run(true) }, engine.GradCheck{RelTol: 1e-7}); err != nil {
				t.Errorf("evolve (v %v, mask %v): %v", withV, mask, err)
			}
		}
	}
	// evolve at offset 0 is the identity; its value elsewhere is the
	// complex formula
	tp.Reset()
	out := evolve(tp, tp.Param(x0), tp.Param(dl), tp.Param(v), make([]float64, R*G), tp.Param(a), tp.Param(w), nil)
	for r := 0; r < R; r++ {
		for g := 0; g < G; g++ {
			for j := 0; j < 2*P; j++ {
				if got := out.Data[(r*G+g)*2*P+j]; math.Abs(got-x0.Value[r*2*P+j]) > 1e-15 {
					t.Fatalf("evolve at offset 0: %v, want %v", got, x0.Value[r*2*P+j])
				}
			}
		}
	}
	tp.Reset()
	out = evolve(tp, tp.Param(x0), tp.Param(dl), tp.Param(v), dt, tp.Param(a), tp.Param(w), nil)
	for r := 0; r < R; r++ {
		for g := 0; g < G; g++ {
			k := r*G + g
			for p := 0; p < P; p++ {
				lam := complex(-math.Exp(a.Value[p]), w.Value[p])
				e := cmplx.Exp(lam * complex(dl.Value[r*P+p]*dt[k], 0))
				vv := complex(v.Value[k*2*P+p], v.Value[k*2*P+P+p])
				want := e*(complex(x0.Value[r*2*P+p], x0.Value[r*2*P+P+p])+vv) - vv
				got := complex(out.Data[k*2*P+p], out.Data[k*2*P+P+p])
				if cmplx.Abs(got-want) > 1e-13 {
					t.Fatalf("evolve row %d node %d: %v, want %v", r, g, got, want)
				}
			}
		}
	}

	// mix: fused vs composite (values and gradients), and finite differences
	x := engine.NewParam("x", R, 2*P)
	c := engine.NewParam("c", 2*P, H)
	u := engine.NewParam("u", R, H)
	d := engine.NewParam("d", H)
	gain, bias := engine.NewParam("gain", H), engine.NewParam("bias", H)
	for _, p := range []*params.Param{x, c, u, d, gain, bias} {
		fill(p, -1.5, 1.5)
	}
	wm := make([]float64, R*H)
	for i := range wm {
		wm[i] = rng.NormFloat64()
	}
	for _, withU := range []bool{true, false} {
		ps := []*params.Param{x, c, gain, bias}
		if withU {
			ps = append(ps, u, d)
		}
		run := func(fused, rec bool) (float64, [][]float64) {
			params.ZeroGrad(ps)
			tp.Reset()
			tp.SetNoGrad(!rec)
			var ut, dt *engine.Tensor
			if withU {
				ut, dt = tp.Param(u), tp.Param(d)
			}
			var o *engine.Tensor
			if fused {
				o = mix(tp, tp.Param(x), tp.Param(c), ut, dt, tp.Param(gain), tp.Param(bias))
			} else {
				o = mixComposite(tp, tp.Param(x), tp.Param(c), ut, dt, tp.Param(gain), tp.Param(bias))
			}
			l := tp.WeightedSum(o, wm)
			var gs [][]float64
			if rec {
				tp.Backward(l)
				for _, p := range ps {
					gs = append(gs, append([]float64(nil), p.Grad...))
				}
			}
			return l.Item(), gs
		}
		fv, fg := run(true, true)
		cv, cg := run(false, true)
		if !relClose(fv, cv, 1e-13) {
			t.Fatalf("mix (u %v): fused %v, composite %v", withU, fv, cv)
		}
		for i := range fg {
			for j := range fg[i] {
				if !relClose(fg[i][j], cg[i][j], 1e-11) {
					t.Fatalf("mix (u %v) %s[%d]: fused gradient %v, composite %v", withU, ps[i].Name, j, fg[i][j], cg[i][j])
				}
			}
		}
		loss := func() float64 { v, _ := run(true, false); return v }
		grad := func() { run(true, true) }
		if err := engine.CheckGradients(ps, loss, grad, engine.GradCheck{RelTol: 1e-6}); err != nil {
			t.Errorf("mix (u %v): %v", withU, err)
		}
	}
	// gelu against its definition x·Φ(x) by finite differences of the
	// scalar, and its known values
	for _, xv := range []float64{-3, -0.5, 0, 0.7, 2.5} {
		num := (geluScalar(xv+1e-6) - geluScalar(xv-1e-6)) / 2e-6
		if math.Abs(num-geluGrad(xv)) > 1e-8 {
			t.Fatalf("gelu'(%v) = %v, finite difference %v", xv, geluGrad(xv), num)
		}
	}
	if math.Abs(geluScalar(1)-0.8413447460685429) > 1e-15 || geluScalar(0) != 0 {
		t.Fatalf("gelu(1) = %v", geluScalar(1))
	}
}

// TestGradients checks the gradient of the loss with respect to every
// coordinate of every parameter against central finite differences, under
// both conventions.
func TestGradients(t *testing.T) {
	seqs := randomSeqs(3, 5, 7, 3)
	b := batch.PackSeqs(seqs, 3)
	for _, conv := range conventions {
		m := newTest(t, Config{HiddenSize: 4, StateSize: 2, Layers: 2, QuadNodes: 3, Threads: 1}, 3)
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
		m := newTest(t, Config{HiddenSize: 3, StateSize: 2, Layers: 3, QuadNodes: 3, Threads: 3, Convention: conv.String()}, 3)
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
		m := newTest(t, Config{HiddenSize: 6, StateSize: 3, Layers: 3, QuadNodes: tc.nodes, Threads: 2}, 4)
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
	m := newTest(t, Config{HiddenSize: 5, StateSize: 3, Layers: 2, Threads: 1}, 3)
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
	m := newTest(t, Config{HiddenSize: 5, StateSize: 3, Layers: 2}, 3)
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
		m := newTest(t, Config{HiddenSize: 5, StateSize: 2, Layers: 2, Threads: th}, 4)
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
	m := newTest(t, Config{HiddenSize: 5, StateSize: 3, Layers: 2}, 3)
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
		H, P := m.cfg.HiddenSize, m.cfg.StateSize
		nx := &next{m: m, s: st, u: make([]float64, H), u2: make([]float64, H), v: make([]float64, 2*P), x: make([]float64, 2*P)}
		nx.Intensities(dt, out)
		return out
	}
	reftest.CheckNextAfterCache(t, m, s, fresh, func() { m.layers[1].c.Value[0] += 0.5 }, func(q data.Sequence) float64 {
		return seqLogLik(m, q, likelihood.Full).LogLik
	})
}

// TestDatasetLogLik: likelihood.Evaluate works on the model; bad input
// gives errors naming the problem.
func TestDatasetLogLik(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 4, StateSize: 2, Layers: 2}, 3)
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
		{Config{StateSize: -1}, 3, "P"},
		{Config{Layers: -1}, 3, "num_layers"},
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
	if c := m.Config(); c.HiddenSize != 128 || c.StateSize != 16 || c.Layers != 4 || c.QuadNodes != 10 || c.Convention != "full" {
		t.Errorf("defaults: %+v", c)
	}
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	// EasyTPP's S2P2_train model_specs are accepted as they are
	easy := map[string]any{"P": 4, "dropout_rate": 0.1, "act_func": "gelu", "for_loop": true, "pre_norm": false,
		"post_norm": true, "int_forward_variant": false, "int_backward_variant": true, "relative_time": true}
	tm, err := spec.New(3, model.Hyper{Hidden: 7, Layers: 2, Specs: easy}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c := tm.(*Model).Config(); c.HiddenSize != 7 || c.StateSize != 4 || c.Layers != 2 || c.QuadNodes != 10 {
		t.Errorf("from Hyper: %+v", c)
	}
	for _, bad := range []map[string]any{{"P": "x"}, {"act_func": "full_glu"}, {"relative_time": false}, {"pre_norm": true}, {"convention": 1}} {
		if _, err := spec.New(3, model.Hyper{Specs: bad}, 2); err == nil {
			t.Errorf("model_specs %v accepted", bad)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 3, StateSize: 2, Layers: 2, QuadNodes: 7, Convention: "easytpp"}, 4)
	randomise(m, 15, 0.5)
	reftest.CheckSaveLoad(t, reftest.SaveLoad{
		Model: m, Name: Name, File: ModelFile,
		Load:       func(dir string) error { _, err := Load(dir); return err },
		SameConfig: func(loaded any) bool { return loaded.(*Model).Config() == m.Config() },
		Rename:     [2]string{`"layer0.imag"`, `"layer0.imaginary"`},
		RenameErr:  "params[1].name",
		Spoil:      func() { m.layers[0].c.Value[0] = math.NaN() },
	})
}

// TestChunking: processing a batch in column chunks (bounded memory) gives
// the same loss and gradient as one pass.
func TestChunking(t *testing.T) {
	reftest.CheckChunking(t, func(chunk int) (reftest.BatchModel, func(*batch.Batch) []*batch.Batch) {
		m := newTest(t, Config{HiddenSize: 4, StateSize: 2, Layers: 2, ChunkTokens: chunk, Threads: 2}, 3)
		randomise(m, 18, 0.5)
		return m, func(b *batch.Batch) []*batch.Batch { return m.run.Chunks(b, 0, 1) }
	})
}
