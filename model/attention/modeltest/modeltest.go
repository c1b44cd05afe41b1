// Package modeltest holds checks shared by the tests of the attention
// models (model/thp, model/sahp, model/attnhp). It is imported only from
// _test files. Every check compares a model with a computation that does
// not go through the model's batched training path:
//
//   - RefLogLik scores one sequence from the model's NextAfter intensities
//     alone, with a composite Simpson rule on every gap (not the model's
//     Gauss–Legendre compensator, not its padded batches);
//   - CheckRescaling samples sequences from the model (predict.Generate on
//     NextAfter) and tests the gaps' compensators, computed by the batched
//     training path, against Exp(1), with a control that the test rejects
//     a mis-scaled compensator;
//   - HawkesData simulates a multivariate Hawkes process (package sampler)
//     whose exact log-likelihood is the target of the training tests.
package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/sampler"
	"github.com/gotpp/gotpp/train"
)

// Model is what the checks need from a model.
type Model interface {
	train.Model
	predict.Model
	BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts
}

// RandomSeqs draws n sequences over k types with lengths 0..maxLen (the
// first has maxLen events, the second none), a few tied times, and windows
// that start before the first event and end after the last.
func RandomSeqs(seed uint64, n, maxLen, k int) []data.Sequence {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]data.Sequence, n)
	for i := range out {
		m := rng.IntN(maxLen + 1)
		switch i {
		case 0:
			m = maxLen
		case 1:
			m = 0
		}
		start := rng.Float64() * 2
		s := data.Sequence{ID: fmt.Sprintf("s%d", i), Start: start}
		t := start
		for j := 0; j < m; j++ {
			if j == 0 || rng.IntN(6) > 0 {
				t += rng.ExpFloat64() * 0.8
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, rng.IntN(k))
		}
		s.End = t + rng.Float64()*1.5
		out[i] = s
	}
	return out
}

// Randomise adds U(−a, a) noise to every parameter.
func Randomise(ps []*params.Param, seed uint64, a float64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] += (2*rng.Float64() - 1) * a
		}
	}
}

// Simpson integrates f over [0, d] with the composite Simpson rule on n
// (even) panels.
func Simpson(f func(float64) float64, d float64, n int) float64 {
	if d == 0 {
		return 0
	}
	h := d / float64(n)
	s := f(0) + f(d)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(float64(i)*h)
	}
	return s * h / 3
}

// RefLogLik scores seq under convention c from NextAfter alone: the event
// terms from Intensities at each event, the compensator by a composite
// Simpson rule with the given number of panels per gap.
func RefLogLik(m predict.Model, seq *data.Sequence, c likelihood.Convention, panels int) likelihood.Parts {
	k := m.NumTypes()
	lam := make([]float64, k)
	first, _, _ := likelihood.Scope(seq, c)
	var p likelihood.Parts
	p.NumSeqs = 1
	total := func(nx predict.Next) func(float64) float64 {
		return func(s float64) float64 {
			nx.Intensities(s, lam)
			v := 0.0
			for _, x := range lam {
				v += x
			}
			return v
		}
	}
	n := seq.Len()
	for i := first; i < n; i++ {
		prev := seq.Start
		if i > 0 {
			prev = seq.Times[i-1]
		}
		dt := seq.Times[i] - prev
		nx := m.NextAfter(seq, i)
		comp := Simpson(total(nx), dt, panels)
		nx.Intensities(dt, lam)
		tot := 0.0
		for _, x := range lam {
			tot += x
		}
		p.TimeLL += math.Log(tot) - comp
		p.MarkLL += math.Log(lam[seq.Types[i]] / tot)
		p.NumEvents++
	}
	if c == likelihood.Full {
		last := seq.Start
		if n > 0 {
			last = seq.Times[n-1]
		}
		p.TimeLL -= Simpson(total(m.NextAfter(seq, n)), seq.End-last, panels)
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

func relClose(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// CheckReference compares BatchLogLik on one padded batch of seqs with the
// sum of RefLogLik over the sequences, under both conventions, to relative
// tolerance tol (TimeLL, MarkLL and LogLik separately).
func CheckReference(t *testing.T, m Model, seqs []data.Sequence, panels int, tol float64) {
	t.Helper()
	b := batch.PackSeqs(seqs, m.NumTypes())
	for _, c := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		got := m.BatchLogLik(b, c)
		var want likelihood.Parts
		for i := range seqs {
			want.Add(RefLogLik(m, &seqs[i], c, panels))
		}
		t.Logf("%v: batched LL %.10g (time %.10g, mark %.10g), NextAfter+Simpson %.10g (time %.10g, mark %.10g)",
			c, got.LogLik, got.TimeLL, got.MarkLL, want.LogLik, want.TimeLL, want.MarkLL)
		if !relClose(got.TimeLL, want.TimeLL, tol) || !relClose(got.MarkLL, want.MarkLL, tol) || !relClose(got.LogLik, want.LogLik, tol) ||
			got.NumEvents != want.NumEvents || got.NumSeqs != want.NumSeqs {
			t.Errorf("%v: batched %+v, reference %+v", c, got, want)
		}
	}
}

// CheckLossAndGrad checks LossAndGrad against BatchLogLik (value and event
// count under Full) and finite differences of BatchLogLik over every
// parameter coordinate.
func CheckLossAndGrad(t *testing.T, m Model, seqs []data.Sequence, check func(ps []*params.Param, loss func() float64, grad func()) error) {
	t.Helper()
	b := batch.PackSeqs(seqs, m.NumTypes())
	params.ZeroGrad(m.Params())
	loss, n := m.LossAndGrad(b)
	want := m.BatchLogLik(b, likelihood.Full)
	if !relClose(loss, -want.LogLik, 1e-12) || n != want.NumEvents || n != b.NumEvents() {
		t.Fatalf("LossAndGrad = %v, %d; want %v, %d", loss, n, -want.LogLik, want.NumEvents)
	}
	if err := check(m.Params(), func() float64 { return -m.BatchLogLik(b, likelihood.Full).LogLik }, func() { m.LossAndGrad(b) }); err != nil {
		t.Fatal(err)
	}
}

func grads(ps []*params.Param) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = append([]float64(nil), p.Grad...)
	}
	return out
}

// CheckPadding checks that a sequence's loss and gradient do not depend on
// its batch companions: the joint batch equals the sum of one-sequence
// batches, and a sequence next to a much longer one scores as alone, under
// both conventions. It also checks that the EasyTPP convention differs from
// the Full one exactly by what it leaves out: the first event's terms, the
// gap before it and the survival term (from RefLogLik-style bookkeeping on
// the batched path: Full minus EasyTPP equals the Full score of the same
// sequence cut to its first event plus its window-end tail).
func CheckPadding(t *testing.T, m Model, seqs []data.Sequence) {
	t.Helper()
	k := m.NumTypes()
	params.ZeroGrad(m.Params())
	joint, _ := m.LossAndGrad(batch.PackSeqs(seqs, k))
	gJoint := grads(m.Params())
	params.ZeroGrad(m.Params())
	sum := 0.0
	for i := range seqs {
		l, _ := m.LossAndGrad(batch.PackSeqs(seqs[i:i+1], k))
		sum += l
	}
	if !relClose(joint, sum, 1e-11) {
		t.Fatalf("joint batch loss %.15g, sum of single batches %.15g", joint, sum)
	}
	for i, p := range m.Params() {
		for j := range p.Grad {
			if !relClose(p.Grad[j], gJoint[i][j], 1e-9) {
				t.Fatalf("%s[%d]: joint %.15g, singles %.15g", p.Name, j, gJoint[i][j], p.Grad[j])
			}
		}
	}
	long := RandomSeqs(99, 1, 40, k)[0]
	for _, c := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		for i := range seqs[:min(3, len(seqs))] {
			alone := m.BatchLogLik(batch.PackSeqs(seqs[i:i+1], k), c)
			with := m.BatchLogLik(batch.PackSeqs([]data.Sequence{seqs[i], long}, k), c)
			other := m.BatchLogLik(batch.PackSeqs([]data.Sequence{long}, k), c)
			if !relClose(with.LogLik-other.LogLik, alone.LogLik, 1e-10) || with.NumEvents-other.NumEvents != alone.NumEvents {
				t.Fatalf("%v sequence %d: alone %.15g, next to a long companion %.15g", c, i, alone.LogLik, with.LogLik-other.LogLik)
			}
		}
	}
	// Convention consistency on a sequence with at least two events.
	for i := range seqs {
		s := seqs[i]
		if s.Len() < 2 {
			continue
		}
		full := m.BatchLogLik(batch.PackSeqs([]data.Sequence{s}, k), likelihood.Full)
		easy := m.BatchLogLik(batch.PackSeqs([]data.Sequence{s}, k), likelihood.EasyTPP)
		// Full − EasyTPP = (first event and its gap) + (survival tail)
		head := s
		head.Times, head.Types, head.End = s.Times[:1], s.Types[:1], s.Times[0]
		headLL := m.BatchLogLik(batch.PackSeqs([]data.Sequence{head}, k), likelihood.Full)
		tailOnly := s
		tailOnly.End = s.Times[s.Len()-1]
		noTail := m.BatchLogLik(batch.PackSeqs([]data.Sequence{tailOnly}, k), likelihood.Full)
		tail := full.LogLik - noTail.LogLik
		if !relClose(full.LogLik-easy.LogLik, headLL.LogLik+tail, 1e-10) || full.NumEvents-easy.NumEvents != 1 {
			t.Fatalf("sequence %d: Full %.15g − EasyTPP %.15g ≠ first event %.15g + tail %.15g", i, full.LogLik, easy.LogLik, headLL.LogLik, tail)
		}
		if !(tail < 0) {
			t.Fatalf("sequence %d: survival term %v, want < 0", i, tail)
		}
		break
	}
}

// BatchedGaps returns the compensator of every gap of seq (from the
// window start to event 0, then between consecutive events) computed by
// the model's batched training path alone: gap i is the difference of the
// Full log-likelihoods of the events before i observed up to t_{i−1} and up
// to t_i (only the survival term differs). All prefixes go into one
// padded batch.
func BatchedGaps(m Model, seq *data.Sequence) []float64 {
	n := seq.Len()
	prefixes := make([]data.Sequence, 0, 2*n)
	for i := 0; i < n; i++ {
		prev := seq.Start
		if i > 0 {
			prev = seq.Times[i-1]
		}
		p := data.Sequence{Times: seq.Times[:i], Types: seq.Types[:i], Start: seq.Start}
		p.End = prev
		prefixes = append(prefixes, p)
		p.End = seq.Times[i]
		prefixes = append(prefixes, p)
	}
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		a := m.BatchLogLik(batch.PackSeqs(prefixes[2*i:2*i+1], m.NumTypes()), likelihood.Full)
		b := m.BatchLogLik(batch.PackSeqs(prefixes[2*i+1:2*i+2], m.NumTypes()), likelihood.Full)
		out[i] = a.LogLik - b.LogLik
	}
	return out
}

// CheckRescaling samples nSeqs sequences of up to horizon events from m
// (from an empty history at time 0: predict.Generate, exact inversion of
// the compensator of NextAfter's intensities) and computes their gaps'
// compensators with the batched training path (BatchedGaps). Under the
// model these are i.i.d. Exp(1): a KS test must accept them, and must
// reject them scaled by 1.25 (the control that the test has power at this
// sample size). Each gap must also agree with predict.RescaledGaps on
// NextAfter to 1e-6 relative. It returns the two KS results.
func CheckRescaling(t *testing.T, m Model, nSeqs, horizon int, seed uint64) (ok, control metrics.KSResult) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	var gaps, gapsScaled []float64
	worst := 0.0
	for s := 0; s < nSeqs; s++ {
		gen, err := predict.Generate(m, &data.Sequence{}, 0, horizon, 1, rng, predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seq := data.Sequence{Times: gen[0].Times, Types: gen[0].Types}
		if seq.Len() > 0 {
			seq.End = seq.Times[seq.Len()-1]
		}
		g := BatchedGaps(m, &seq)
		viaNext, err := predict.RescaledGaps(m, &seq, predict.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range g {
			worst = max(worst, math.Abs(v-viaNext[i])/math.Max(1, v))
			gaps = append(gaps, v)
			gapsScaled = append(gapsScaled, 1.25*v)
		}
	}
	var err error
	if ok, err = metrics.KSExp1(gaps); err != nil {
		t.Fatal(err)
	}
	if control, err = metrics.KSExp1(gapsScaled); err != nil {
		t.Fatal(err)
	}
	t.Logf("time rescaling of %d sampled gaps (batched compensator): KS D = %.4f, p = %.3g; scaled ×1.25: D = %.4f, p = %.3g; max |batched − NextAfter| = %.2g",
		ok.N, ok.D, ok.PValue, control.D, control.PValue, worst)
	if ok.PValue < 0.01 {
		t.Errorf("rescaled gaps of the model's own samples are not Exp(1): KS p = %.3g", ok.PValue)
	}
	if control.PValue > 0.01 {
		t.Errorf("control: the KS test did not reject gaps scaled by 1.25 (p = %.3g)", control.PValue)
	}
	if worst > 1e-6 {
		t.Errorf("batched and NextAfter compensators of a gap differ by %.3g (relative)", worst)
	}
	return ok, control
}

// HawkesParams is the 2-type Hawkes process of the training tests:
// μ = (0.4, 0.25), branching matrix [[0.35, 0.2], [0.15, 0.45]], decay 1.5.
func HawkesParams() hawkes.Params {
	return hawkes.NewScalarParams([]float64{0.4, 0.25}, [][]float64{{0.35, 0.2}, {0.15, 0.45}}, 1.5)
}

// HawkesData simulates nTrain and nTest sequences of HawkesParams on
// [0, T] (the test set depends only on nTest and seed) and returns them
// with the true model.
func HawkesData(nTrain, nTest int, T float64, seed uint64) (trainDS, testDS *data.Dataset, truth *hawkes.Model, err error) {
	hm, err := hawkes.New(HawkesParams())
	if err != nil {
		return nil, nil, nil, err
	}
	tr, err := sampler.HawkesSequences(hm, nTrain, 0, T, seed, 100000)
	if err != nil {
		return nil, nil, nil, err
	}
	te, err := sampler.HawkesSequences(hm, nTest, 0, T, seed+1, 100000)
	if err != nil {
		return nil, nil, nil, err
	}
	trainDS = &data.Dataset{Name: "hawkes-train", NumTypes: 2, Seqs: tr}
	testDS = &data.Dataset{Name: "hawkes-test", NumTypes: 2, Seqs: te}
	return trainDS, testDS, hm, nil
}

// TrueLogLik is the exact log-likelihood of ds under the Hawkes model.
func TrueLogLik(hm *hawkes.Model, ds *data.Dataset, c likelihood.Convention) likelihood.Parts {
	var p likelihood.Parts
	for i := range ds.Seqs {
		p.Add(hm.SequenceLogLik(&ds.Seqs[i], c))
	}
	return p
}

// PoissonLogLik fits a homogeneous marked Poisson process to trainDS
// (rate_k = events of type k / total window length) and returns its Full
// log-likelihood on testDS: the no-history baseline a history-dependent
// model must beat.
func PoissonLogLik(trainDS, testDS *data.Dataset) likelihood.Parts {
	k := trainDS.NumTypes
	rate := make([]float64, k)
	span := 0.0
	for _, s := range trainDS.Seqs {
		span += s.End - s.Start
		for _, x := range s.Types {
			rate[x]++
		}
	}
	tot := 0.0
	for i := range rate {
		rate[i] /= span
		tot += rate[i]
	}
	var p likelihood.Parts
	for _, s := range testDS.Seqs {
		for _, x := range s.Types {
			p.TimeLL += math.Log(tot)
			p.MarkLL += math.Log(rate[x] / tot)
			p.NumEvents++
		}
		p.TimeLL -= tot * (s.End - s.Start)
		p.NumSeqs++
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// BenchBatch is B random sequences of exactly L events over K types with
// unit-rate exponential gaps (the benchmark batch of the model packages).
func BenchBatch(B, L, K int) *batch.Batch {
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

// BenchStep runs one training step (zero gradients, LossAndGrad, Adam) per
// iteration and reports events/s and ms/step.
func BenchStep(b *testing.B, m train.Model, bt *batch.Batch) {
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
}

// CheckConcurrentNext calls NextAfter and Intensities for every prefix of
// seqs from four goroutines at once and checks that the values equal a
// sequential pass (NextAfter must be safe for concurrent use; run the
// tests with -race to check for data races).
func CheckConcurrentNext(t *testing.T, m predict.Model, seqs []data.Sequence) {
	t.Helper()
	k := m.NumTypes()
	eval := func(s *data.Sequence, i int) []float64 {
		out := make([]float64, k)
		m.NextAfter(s, i).Intensities(0.37, out)
		return out
	}
	var want [][]float64
	for si := range seqs {
		for i := 0; i <= seqs[si].Len(); i++ {
			want = append(want, eval(&seqs[si], i))
		}
	}
	errs := make(chan string, 4)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			j := 0
			for si := range seqs {
				for i := 0; i <= seqs[si].Len(); i++ {
					got := eval(&seqs[si], i)
					for x := range got {
						if got[x] != want[j][x] {
							errs <- fmt.Sprintf("sequence %d prefix %d type %d: %v concurrently, %v sequentially", si, i, x, got[x], want[j][x])
							return
						}
					}
					j++
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// CheckDropout compares a model built with dropout (drop) and the same
// model without it (plain), both holding the same parameter values: scoring
// (evaluation) must agree exactly, prediction too, while the training loss
// of drop must differ from plain's (dropout is active), repeat exactly for
// the same parameters, and change after a parameter step (new masks).
func CheckDropout(t *testing.T, drop, plain Model, seqs []data.Sequence) {
	t.Helper()
	for i, p := range drop.Params() {
		copy(plain.Params()[i].Value, p.Value)
	}
	b := batch.PackSeqs(seqs, drop.NumTypes())
	if a, c := drop.BatchLogLik(b, likelihood.Full), plain.BatchLogLik(b, likelihood.Full); a != c {
		t.Fatalf("evaluation with dropout configured %+v, without %+v", a, c)
	}
	s := &seqs[0]
	k := make([]float64, drop.NumTypes())
	k2 := make([]float64, drop.NumTypes())
	drop.NextAfter(s, s.Len()/2).Intensities(0.3, k)
	plain.NextAfter(s, s.Len()/2).Intensities(0.3, k2)
	for i := range k {
		if k[i] != k2[i] {
			t.Fatalf("prediction with dropout configured λ_%d = %v, without %v", i, k[i], k2[i])
		}
	}
	l1, _ := drop.LossAndGrad(b)
	l2, _ := drop.LossAndGrad(b)
	l0, _ := plain.LossAndGrad(b)
	if l1 != l2 {
		t.Errorf("training loss with dropout not repeatable for the same parameters: %v, %v", l1, l2)
	}
	if l1 == l0 {
		t.Errorf("training loss with dropout equals the loss without (%v): dropout inactive", l1)
	}
	p := drop.Params()[0]
	p.Value[0] += 1e-3
	l3, _ := drop.LossAndGrad(b)
	p.Value[0] -= 1e-3
	if math.Abs(l3-l1) < 1e-9*math.Abs(l1) || math.IsNaN(l3) {
		t.Errorf("loss after a parameter change %v vs %v", l3, l1)
	}
}
