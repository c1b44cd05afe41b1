package odetpp

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

// TestRK4MatchesComposite compares the fused RK4 step with the same step
// written in primitive ops: all four outputs and the gradients of a random
// linear functional of them, with step sizes that differ per row (one 0).
func TestRK4MatchesComposite(t *testing.T) {
	const B, H = 4, 3
	rng := rand.New(rand.NewPCG(3, 4))
	h := engine.NewParam("h", B, H)
	w1, b1 := engine.NewParam("w1", H, H), engine.NewParam("b1", H)
	w2, b2 := engine.NewParam("w2", H, H), engine.NewParam("b2", H)
	rho := engine.NewParam("rho", H)
	ps := []*params.Param{h, w1, b1, w2, b2, rho}
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] = rng.NormFloat64()
		}
	}
	s := []float64{0.3, 1.7, 0, 0.05}
	var weights [4][]float64
	for i := range weights {
		weights[i] = make([]float64, B*H)
		for j := range weights[i] {
			weights[i][j] = rng.NormFloat64()
		}
	}
	run := func(fused bool) (vals []float64, grads [][]float64) {
		params.ZeroGrad(ps)
		tp := engine.NewTape()
		f := field{w1: tp.Param(w1), b1: tp.Param(b1), w2: tp.Param(w2), b2: tp.Param(b2), rho: tp.Param(rho)}
		var outs [4]*engine.Tensor
		if fused {
			outs[0], outs[1], outs[2], outs[3] = rk4Step(tp, tp.Param(h), s, f)
		} else {
			outs[0], outs[1], outs[2], outs[3] = rk4StepComposite(tp, tp.Param(h), s, f)
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

func checkGrads(t *testing.T, m *Model, b *batch.Batch, conv likelihood.Convention, opt engine.GradCheck) error {
	t.Helper()
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
	return engine.CheckGradients(m.Params(), loss, grad, opt)
}

// TestGradients checks the gradient of the loss with respect to every
// coordinate of every parameter against central finite differences, under
// both conventions and with 1 and 3 RK4 steps per interval.
func TestGradients(t *testing.T) {
	b := batch.PackSeqs(randomSeqs(3, 5, 7, 3), 3)
	for _, steps := range []int{1, 3} {
		for _, conv := range conventions {
			m := newTest(t, Config{HiddenSize: 4, Steps: steps, Threads: 1}, 3)
			randomise(m, 4, 0.6)
			if err := checkGrads(t, m, b, conv, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
				t.Errorf("%d steps, %v: %v", steps, conv, err)
			}
		}
	}
}

// TestGradientsUnequalGaps: the solver's step size is per sequence, so the
// gradients stay exact when the gaps in one batch differ by orders of
// magnitude (EasyTPP's adjoint averages Δt over the batch here).
func TestGradientsUnequalGaps(t *testing.T) {
	seqs := randomSeqs(5, 4, 6, 3)
	for i, scale := range []float64{0.01, 10, 0.3, 3} {
		s := &seqs[i]
		for j := range s.Times {
			s.Times[j] = s.Start + (s.Times[j]-s.Start)*scale
		}
		s.End = s.Start + (s.End-s.Start)*scale
	}
	b := batch.PackSeqs(seqs, 3)
	for _, maxStep := range []float64{1e9, 0.5} { // fixed 2 steps per interval; 2 or more
		m := newTest(t, Config{HiddenSize: 4, Steps: 2, MaxStep: maxStep, Threads: 1}, 3)
		randomise(m, 6, 0.5)
		if err := checkGrads(t, m, b, likelihood.Full, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
			t.Fatalf("max step %v: %v", maxStep, err)
		}
	}
}

// TestLossAndGrad checks the training entry point with three workers.
func TestLossAndGrad(t *testing.T) {
	b := batch.PackSeqs(randomSeqs(5, 7, 9, 3), 3)
	for _, conv := range conventions {
		m := newTest(t, Config{HiddenSize: 3, Threads: 3, Convention: conv.String()}, 3)
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
			engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8, MaxPerParam: 20, Seed: 1})
		if err != nil {
			t.Fatalf("%v: %v", conv, err)
		}
	}
}

// exactODE is an independent scalar evaluation of the model's continuous-
// time law (the ODE solved finely, not the Steps-step discretisation): its
// own field, jump and head code over the model's parameter values.
type exactODE struct{ m *Model }

func (e exactODE) field(h []float64) []float64 {
	H := e.m.cfg.HiddenSize
	a := make([]float64, H)
	out := make([]float64, H)
	for j := 0; j < H; j++ {
		z := e.m.b1.Value[j]
		for d := 0; d < H; d++ {
			z += h[d] * e.m.w1.Value[d*H+j]
		}
		a[j] = math.Tanh(z)
	}
	for j := 0; j < H; j++ {
		z := e.m.b2.Value[j]
		for d := 0; d < H; d++ {
			z += a[d] * e.m.w2.Value[d*H+j]
		}
		rho := 1 + math.Log1p(math.Exp(e.m.relax.Value[j]))
		out[j] = math.Tanh(z) - rho*math.Tanh(h[j])
	}
	return out
}

// step is one RK4 step of size s.
func (e exactODE) step(h []float64, s float64) []float64 {
	axpy := func(x []float64, a float64, y []float64) []float64 {
		out := make([]float64, len(x))
		for i := range x {
			out[i] = x[i] + a*y[i]
		}
		return out
	}
	k1 := e.field(h)
	k2 := e.field(axpy(h, s/2, k1))
	k3 := e.field(axpy(h, s/2, k2))
	k4 := e.field(axpy(h, s, k3))
	out := make([]float64, len(h))
	for i := range h {
		out[i] = h[i] + s/6*(k1[i]+2*k2[i]+2*k3[i]+k4[i])
	}
	return out
}

func (e exactODE) intensities(h []float64) []float64 {
	K, H := e.m.k, e.m.cfg.HiddenSize
	out := make([]float64, K)
	for k := 0; k < K; k++ {
		z := e.m.bout.Value[k]
		for d := 0; d < H; d++ {
			z += h[d] * e.m.wout.Value[d*K+k]
		}
		beta := math.Exp(e.m.logBeta.Value[k])
		out[k] = math.Log1p(math.Exp(beta*z)) / beta
	}
	return out
}

// interval solves over [0, d] with 2000 fine steps and returns the state at
// d and the Simpson integral of the total intensity on that grid.
func (e exactODE) interval(h []float64, d float64) ([]float64, float64) {
	const n = 2000
	s := d / n
	integral := 0.0
	for i := 0; i <= n; i++ {
		tot := 0.0
		for _, v := range e.intensities(h) {
			tot += v
		}
		w := 2.0
		switch {
		case i == 0 || i == n:
			w = 1
		case i%2 == 1:
			w = 4
		}
		integral += w * tot * s / 3
		if i < n {
			h = e.step(h, s)
		}
	}
	return h, integral
}

func (e exactODE) seqLogLik(sq *data.Sequence, c likelihood.Convention) likelihood.Parts {
	H := e.m.cfg.HiddenSize
	h := append([]float64(nil), e.m.h0.Value...)
	first, _, _ := likelihood.Scope(sq, c)
	p := likelihood.Parts{NumSeqs: 1}
	prev := sq.Start
	for i, ti := range sq.Times {
		hm, integral := e.interval(h, ti-prev)
		if i >= first {
			lam := e.intensities(hm)
			tot := 0.0
			for _, v := range lam {
				tot += v
			}
			p.TimeLL += math.Log(tot) - integral
			p.MarkLL += math.Log(lam[sq.Types[i]] / tot)
			p.NumEvents++
		}
		k := sq.Types[i]
		h = make([]float64, H)
		for j := 0; j < H; j++ {
			z := e.m.emb.Value[k*H+j]
			for d := 0; d < H; d++ {
				z += hm[d] * e.m.wg.Value[d*H+j]
			}
			h[j] = hm[j] + math.Tanh(z)
		}
		prev = ti
	}
	if c == likelihood.Full {
		_, integral := e.interval(h, sq.End-prev)
		p.TimeLL -= integral
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// TestMatchesReference compares the batched log-likelihood with an
// independent evaluation of the continuous-time model (the ODE solved with
// 2000 RK4 steps per interval, its own field/jump/head code, compensator by
// Simpson on that grid). With 16 steps per interval the discretised
// likelihood agrees to 1e-6 relative, with the default 2 steps to 5e-3.
func TestMatchesReference(t *testing.T) {
	seqs := randomSeqs(9, 8, 12, 4)
	for _, steps := range []int{16, 2} {
		m := newTest(t, Config{HiddenSize: 6, Steps: steps, Threads: 2}, 4)
		randomise(m, 2, 0.8)
		for _, conv := range conventions {
			var want likelihood.Parts
			for i := range seqs {
				want.Add(exactODE{m}.seqLogLik(&seqs[i], conv))
			}
			got := m.BatchLogLik(batch.PackSeqs(seqs, 4), conv)
			rel := math.Abs(got.LogLik-want.LogLik) / math.Abs(want.LogLik)
			t.Logf("%d RK4 steps, %v: LL %.8f, continuous-time reference %.8f (rel. diff %.2e)", steps, conv, got.LogLik, want.LogLik, rel)
			tol := 1e-6
			if steps == 2 {
				tol = 5e-3
			}
			if !relClose(got.TimeLL, want.TimeLL, tol) || !relClose(got.MarkLL, want.MarkLL, tol) ||
				!relClose(got.LogLik, want.LogLik, tol) || got.NumEvents != want.NumEvents {
				t.Errorf("%d steps, %v: got %+v, reference %+v", steps, conv, got, want)
			}
		}
	}
}

// TestDiscretisedReference: the batched likelihood equals the discretised
// law NextAfter gives (its intensity at the events exactly, its integral by
// Simpson with 400 panels, ample for this smooth integrand) up to the RK4
// error of integrating Λ as an ODE state:
// 5e-3 relative with the default 2 steps, 1e-6 with 32 (4th-order
// convergence).
func TestDiscretisedReference(t *testing.T) {
	seqs := randomSeqs(10, 8, 12, 4)
	for _, tc := range []struct {
		steps int
		tol   float64
	}{{2, 5e-3}, {32, 1e-6}} {
		m := newTest(t, Config{HiddenSize: 6, Steps: tc.steps, Threads: 2}, 4)
		randomise(m, 3, 0.8)
		for _, conv := range conventions {
			var want likelihood.Parts
			for i := range seqs {
				want.Add(refLogLikN(m, &seqs[i], conv, 400))
			}
			got := m.BatchLogLik(batch.PackSeqs(seqs, 4), conv)
			if !relClose(got.LogLik, want.LogLik, tc.tol) || !relClose(got.MarkLL, want.MarkLL, 1e-12) || got.NumEvents != want.NumEvents {
				t.Errorf("%d steps, %v: got %+v, reference %+v", tc.steps, conv, got, want)
			}
		}
	}
}

// TestPaddingInvariance: a sequence's loss and gradient do not depend on
// its batch companions.
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

// TestConventionConsistency: EasyTPP score + Full score of the first event
// alone = Full score with the window cut at the last event.
func TestConventionConsistency(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 5}, 3)
	randomise(m, 10, 0.7)
	for _, s := range randomSeqs(11, 10, 12, 3) {
		n := len(s.Times)
		if n < 2 {
			if e := seqLogLik(m, s, likelihood.EasyTPP); e.LogLik != 0 || e.NumEvents != 0 {
				t.Fatalf("EasyTPP score of a %d-event sequence: %+v", n, e)
			}
			continue
		}
		cut := s
		cut.End = s.Times[n-1]
		first := data.Sequence{Times: s.Times[:1], Types: s.Types[:1], Start: s.Start, End: s.Times[0]}
		full := seqLogLik(m, cut, likelihood.Full)
		easy := seqLogLik(m, s, likelihood.EasyTPP)
		head := seqLogLik(m, first, likelihood.Full)
		if !relClose(easy.LogLik+head.LogLik, full.LogLik, 1e-11) || easy.NumEvents != n-1 {
			t.Fatalf("%s: EasyTPP %v + first event %v ≠ Full %v", s.ID, easy.LogLik, head.LogLik, full.LogLik)
		}
	}
}

// TestThreads: results agree across worker counts and repeat exactly.
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

// TestNextAfter: no look-ahead, a correct prefix cache, and the batched
// event term equal to NextAfter's intensity at the event.
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
		h := make([]float64, m.cfg.HiddenSize)
		m.solve(st, dt, h, m.newScratch())
		out, beta := make([]float64, m.k), make([]float64, m.k)
		for k, v := range m.logBeta.Value {
			beta[k] = math.Exp(v)
		}
		m.head(h, beta, out)
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
		{Config{Steps: -2}, 3, "ode_num_sample_per_step"},
		{Config{MaxStep: -1}, 3, "max_step"},
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
	if c := m.Config(); c.HiddenSize != 32 || c.Steps != 2 || c.MaxStep != 0.5 || c.Convention != "full" {
		t.Errorf("defaults: %+v", c)
	}
	spec, err := model.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := spec.New(3, model.Hyper{Hidden: 7, Specs: map[string]any{"ode_num_sample_per_step": 4, "max_step": 0.25, "convention": "easytpp"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c := tm.(*Model).Config(); c.HiddenSize != 7 || c.Steps != 4 || c.MaxStep != 0.25 || c.Convention != "easytpp" {
		t.Errorf("from Hyper: %+v", c)
	}
	if _, err := spec.New(3, model.Hyper{Specs: map[string]any{"ode_num_sample_per_step": 2.5}}, 2); err == nil || !strings.Contains(err.Error(), "ode_num_sample_per_step") {
		t.Errorf("bad spec: %v", err)
	}
}

func TestSaveLoad(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 3, Steps: 3, Convention: "easytpp"}, 4)
	randomise(m, 15, 0.5)
	reftest.CheckSaveLoad(t, reftest.SaveLoad{
		Model: m, Name: Name, File: ModelFile,
		Load:       func(dir string) error { _, err := Load(dir); return err },
		SameConfig: func(loaded any) bool { return loaded.(*Model).Config() == m.Config() },
		Rename:     [2]string{`"w_g"`, `"w_q"`},
		RenameErr:  "params[7].name",
		Spoil:      func() { m.wg.Value[0] = math.Inf(1) },
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

// TestNextBreakIsTheStepRuleKinks: Config.gridBreak (allBreaks) returns
// the next offset where stepSizes changes its rule or its number of full
// steps, and the intensity is continuous there; NextBreak returns one of
// those offsets, no earlier than the next one (TestNextBreakSkipsNegligibleKinks
// checks which).
func TestNextBreakIsTheStepRuleKinks(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 4, Steps: 3, MaxStep: 0.25}, 2)
	nb := m.NextAfter(&data.Sequence{}, 0).(*next)
	n := allBreaks{nb}
	for _, tc := range []struct{ dt, want float64 }{
		{0, 0.75}, {0.3, 0.75}, {0.75, 1}, {0.76, 1}, {0.999, 1}, {1, 1.25}, {2.6, 2.75},
		{maxGridSteps*0.25 - 0.1, maxGridSteps * 0.25}, {maxGridSteps * 0.25, math.Inf(1)},
	} {
		if got := n.NextBreak(tc.dt); got != tc.want {
			t.Errorf("gridBreak(%g) = %g, want %g", tc.dt, got, tc.want)
		}
		if got := nb.NextBreak(tc.dt); got < tc.want || (got != math.Inf(1) && got != math.Round(got/0.25)*0.25) {
			t.Errorf("NextBreak(%g) = %g, want a grid point >= %g", tc.dt, got, tc.want)
		}
	}
	// The number of full steps changes exactly at the breaks.
	count := func(d float64) int { return len(m.cfg.stepSizes(d, nil)) }
	for b := n.NextBreak(0); b < 3; b = n.NextBreak(b) {
		if count(b-1e-9) == count(b+1e-9) && b > 0.75 {
			t.Errorf("no change of the step rule at the break %g", b)
		}
	}
	a, c := make([]float64, 2), make([]float64, 2)
	for _, b := range []float64{0.75, 1, 1.25, 2.5} {
		n.Intensities(b-1e-9, a)
		n.Intensities(b+1e-9, c)
		for k := range a {
			if math.Abs(a[k]-c[k]) > 1e-7*a[k] {
				t.Errorf("λ_%d jumps at the break %g: %g, %g", k, b, a[k], c[k])
			}
		}
	}
}
