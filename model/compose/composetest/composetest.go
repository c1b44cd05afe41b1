// Package composetest holds test support shared by the composed neural
// models (model/compose, model/fullynn, model/intensityfree, examples):
// random sequences, an independent log-likelihood evaluation by composite
// Simpson quadrature of the intensities a model reports through NextAfter,
// sampling sequences from a model, and small Hawkes data sets with their
// true log-likelihood. It is imported by tests only.
package composetest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/sampler"
)

// RandomSeqs returns n sequences over k types with 0..maxLen events
// (lengths vary, so batches get padding), exponential gaps of mean 1 with
// some ties (zero gaps), a window start before the first event and a window
// end after the last. Sequence 0 is empty.
func RandomSeqs(seed uint64, n, maxLen, k int) []data.Sequence {
	rng := rand.New(rand.NewPCG(seed, 77))
	out := make([]data.Sequence, n)
	for i := range out {
		s := data.Sequence{ID: fmt.Sprint(i), Start: -rng.Float64()}
		ln := 0
		if i > 0 {
			ln = 1 + rng.IntN(maxLen)
		}
		t := 0.0
		for j := 0; j < ln; j++ {
			if j > 0 && rng.Float64() < 0.05 {
				// a tie
			} else {
				t += 0.05 + rng.ExpFloat64()
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, rng.IntN(k))
		}
		s.End = t + 2*rng.Float64()
		out[i] = s
	}
	return out
}

// Simpson integrates f over [0, b] with the composite Simpson rule on n
// (even) subintervals.
func Simpson(f func(x float64) float64, b float64, n int) float64 {
	if b == 0 {
		return 0
	}
	if n%2 == 1 {
		n++
	}
	h := b / float64(n)
	s := f(0) + f(b)
	for i := 1; i < n; i++ {
		w := 4.0
		if i%2 == 0 {
			w = 2
		}
		s += w * f(float64(i)*h)
	}
	return s * h / 3
}

// Panels is the number of geometric panels Integrate uses.
const Panels = 200

// Integrate integrates f over [0, b] on Panels geometrically shrinking
// panels [b·2^−(j+1), b·2^−j] (and [0, b·2^−Panels]), each with the
// composite Simpson rule on n subintervals. The grading resolves
// integrands that are sharply peaked or nearly singular near 0 (a
// log-normal hazard with a wide log-scale behaves like 1/τ there), which a
// uniform grid misses.
func Integrate(f func(x float64) float64, b float64, n int) float64 {
	if b == 0 {
		return 0
	}
	sum := 0.0
	hi := b
	for j := 0; j < Panels; j++ {
		lo := hi / 2
		sum += Simpson(func(x float64) float64 { return f(lo + x) }, hi-lo, n)
		hi = lo
	}
	return sum + Simpson(f, hi, n)
}

// RefLogLik is an independent evaluation of the log-likelihood of seq under
// convention c: for each scored interval it asks m for the law of the
// event (NextAfter), takes log λ_k at the event from Intensities and
// integrates Σ_k λ_k over the interval with Integrate (graded panels of
// n Simpson subintervals each; never the model's own compensator). Gaps below floor
// are evaluated at floor (the models' tie convention; 0 for none).
func RefLogLik(m predict.Model, seq *data.Sequence, c likelihood.Convention, n int, floor float64) likelihood.Parts {
	K := m.NumTypes()
	lam := make([]float64, K)
	first, _, _ := likelihood.Scope(seq, c)
	N := len(seq.Times)
	p := likelihood.Parts{NumSeqs: 1}
	total := func(nx predict.Next) func(x float64) float64 {
		return func(x float64) float64 {
			nx.Intensities(x, lam)
			s := 0.0
			for _, v := range lam {
				s += v
			}
			return s
		}
	}
	prev := seq.Start
	for i := 0; i < N; i++ {
		dt := seq.Times[i] - prev
		prev = seq.Times[i]
		if i < first || (c == likelihood.EasyTPP && i == 0) {
			continue
		}
		nx := m.NextAfter(seq, i)
		comp := Integrate(total(nx), dt, n)
		nx.Intensities(max(dt, floor), lam)
		tot := 0.0
		for _, v := range lam {
			tot += v
		}
		ev := math.Log(lam[seq.Types[i]])
		p.TimeLL += math.Log(tot) - comp
		p.MarkLL += ev - math.Log(tot)
		p.NumEvents++
	}
	if c == likelihood.Full {
		p.TimeLL -= Integrate(total(m.NextAfter(seq, N)), seq.End-prev, n)
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// RefDensityLogLik is RefLogLik for mark-first models given as a
// predict.Density per prefix: log f(Δ) + log p(k) at events and log S at
// the tail, with f and S taken from the density (exact, no quadrature).
func RefDensityLogLik(next func(seq *data.Sequence, i int) predict.Density, seq *data.Sequence, c likelihood.Convention, floor float64) likelihood.Parts {
	first, _, _ := likelihood.Scope(seq, c)
	N := len(seq.Times)
	p := likelihood.Parts{NumSeqs: 1}
	prev := seq.Start
	for i := 0; i < N; i++ {
		dt := seq.Times[i] - prev
		prev = seq.Times[i]
		if i < first {
			continue
		}
		d := next(seq, i)
		pk := make([]float64, d.NumTypes())
		d.MarkProbs(pk)
		p.TimeLL += math.Log(d.TimeDensity(max(dt, floor)))
		p.MarkLL += math.Log(pk[seq.Types[i]])
		p.NumEvents++
	}
	if c == likelihood.Full && seq.End > prev {
		p.TimeLL += math.Log(next(seq, N).Survival(seq.End - prev))
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// Sample draws n sequences of up to maxEvents events from m (no window:
// each sequence starts at 0 and stops after maxEvents events or when the
// law of the next event is defective and no event comes). Each event is
// drawn exactly with predict.Sample from NextAfter of the prefix. It
// returns the sequences and how many stopped early.
func Sample(m predict.Model, n, maxEvents int, rng *rand.Rand) ([]data.Sequence, int, error) {
	out := make([]data.Sequence, n)
	stopped := 0
	for s := range out {
		seq := data.Sequence{ID: fmt.Sprint(s)}
		t := 0.0
		for len(seq.Times) < maxEvents {
			i := len(seq.Times)
			// placeholder event, as predict.Generate does
			seq.Times = append(seq.Times, t)
			seq.Types = append(seq.Types, 0)
			dt, k, err := predict.Sample(m.NextAfter(&seq, i), rng, predict.Options{})
			if err != nil {
				return nil, 0, err
			}
			if math.IsInf(dt, 1) {
				seq.Times, seq.Types = seq.Times[:i], seq.Types[:i]
				stopped++
				break
			}
			t += dt
			seq.Times[i], seq.Types[i] = t, k
		}
		seq.End = t
		out[s] = seq
	}
	return out, stopped, nil
}

// RescaledGaps returns Λ_i = ∫ Σ_k λ_k over the gap before every event of
// seq (event 0 from seq.Start), integrated with Integrate (n Simpson
// subintervals per panel) from the intensities m reports (not its
// compensator).
func RescaledGaps(m predict.Model, seq *data.Sequence, n int) []float64 {
	lam := make([]float64, m.NumTypes())
	out := make([]float64, len(seq.Times))
	prev := seq.Start
	for i, t := range seq.Times {
		nx := m.NextAfter(seq, i)
		out[i] = Integrate(func(x float64) float64 {
			nx.Intensities(x, lam)
			s := 0.0
			for _, v := range lam {
				s += v
			}
			return s
		}, t-prev, n)
		prev = t
	}
	return out
}

// Hawkes is a small simulated Hawkes data set and the process it came from.
type Hawkes struct {
	Train, Test *data.Dataset
	Model       *hawkes.Model
}

// NewHawkes simulates a 2-type exponential-kernel Hawkes process
// (μ = (0.4, 0.25), α = [[0.4, 0.2], [0.1, 0.5]], β = 1.5) on [0, T]:
// nTrain training and nTest test sequences.
func NewHawkes(nTrain, nTest int, T float64, seed uint64) (*Hawkes, error) {
	p := hawkes.NewScalarParams([]float64{0.4, 0.25}, [][]float64{{0.4, 0.2}, {0.1, 0.5}}, 1.5)
	hm, err := hawkes.New(p)
	if err != nil {
		return nil, err
	}
	tr, err := sampler.HawkesSequences(hm, nTrain, 0, T, seed, 0)
	if err != nil {
		return nil, err
	}
	te, err := sampler.HawkesSequences(hm, nTest, 0, T, seed+1, 0)
	if err != nil {
		return nil, err
	}
	return &Hawkes{Model: hm,
		Train: &data.Dataset{Name: "hawkes-train", NumTypes: 2, Seqs: tr},
		Test:  &data.Dataset{Name: "hawkes-test", NumTypes: 2, Seqs: te}}, nil
}

// TrueLogLik is the test set's log-likelihood under the true process.
func (h *Hawkes) TrueLogLik(c likelihood.Convention) (likelihood.Parts, error) {
	return likelihood.Evaluate(h.Model, h.Test, c)
}

// CompensatorTotals sums, over the intervals a convention scores in ds,
// the compensator of m by three rules: Fine (Integrate with n Simpson
// steps per panel, the reference), EasyTPP (its loss rule: Δ times the
// mean of Σ_k λ_k at 20 equispaced points of [0, Δ], both ends included)
// and Exact (the Next's own closed form, when it is predict.Compensated;
// HasExact reports whether all were). LogLam is Σ log Σ_k λ_k(Δ) over the
// scored events, so that a model's own compensator can be recovered from
// its TimeLL as LogLam − TimeLL.
type CompensatorTotals struct {
	Fine, EasyTPP, Exact, LogLam float64
	HasExact                     bool
	Intervals                    int
}

// Compensators computes CompensatorTotals for m on ds under convention c.
func Compensators(m predict.Model, ds *data.Dataset, c likelihood.Convention, n int) CompensatorTotals {
	lam := make([]float64, m.NumTypes())
	total := func(nx predict.Next, x float64) float64 {
		nx.Intensities(x, lam)
		s := 0.0
		for _, v := range lam {
			s += v
		}
		return s
	}
	r := CompensatorTotals{HasExact: true}
	add := func(nx predict.Next, dt float64) {
		r.Intervals++
		r.Fine += Integrate(func(x float64) float64 { return total(nx, x) }, dt, n)
		e := 0.0
		for g := 0; g < 20; g++ {
			e += total(nx, dt*float64(g)/19)
		}
		r.EasyTPP += dt * e / 20
		if cp, ok := nx.(predict.Compensated); ok {
			r.Exact += cp.Compensator(dt)
		} else {
			r.HasExact = false
		}
	}
	for si := range ds.Seqs {
		s := &ds.Seqs[si]
		first, _, _ := likelihood.Scope(s, c)
		prev := s.Start
		for i, t := range s.Times {
			if i >= first {
				nx := m.NextAfter(s, i)
				add(nx, t-prev)
				r.LogLam += math.Log(total(nx, t-prev))
			}
			prev = t
		}
		if c == likelihood.Full && s.End > prev {
			add(m.NextAfter(s, len(s.Times)), s.End-prev)
		}
	}
	return r
}
