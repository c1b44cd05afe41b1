package predict

import (
	"iter"
	"math"

	"github.com/gotpp/gotpp/data"
)

// Next is the conditional law of the next event given a history that ends at
// t_last (the last observed event, or the window start when there is none).
// It is what a model hands to this package for one prefix.
//
// Intensities(dt, out) writes λ_k(t_last + dt) for k = 0..NumTypes()-1 into
// out (len(out) == NumTypes()), for dt >= 0, assuming no event happens in
// (t_last, t_last + dt). The value at dt = 0 is the right limit λ(t_last+).
// Values must be finite and >= 0. Intensities is called many times per
// prediction and must not allocate if speed matters; it is only called from
// one goroutine at a time for a given Next.
//
// A Next may also implement Compensated when it knows the integrated
// intensity in closed form; otherwise this package integrates Σ_k λ_k
// numerically (see Options.Tol). A mark-first or density model (the time
// density and the mark distribution given directly, as IntensityFree does)
// implements Density instead and wraps it with FromDensity.
type Next interface {
	NumTypes() int
	Intensities(dt float64, out []float64)
}

// Compensated is implemented by a Next that knows its compensator:
// Compensator(dt) = ∫_0^dt Σ_k λ_k(t_last + s) ds, exactly.
type Compensated interface {
	Compensator(dt float64) float64
}

// Density is the law of the next event given directly, for mark-first models:
// TimeDensity(dt) = f(dt), the density of the waiting time; Survival(dt) =
// S(dt) = P(Δt > dt) = 1 - ∫_0^dt f; MarkProbs(out) writes the mark
// distribution, which does not depend on the time. A defective law (S(∞) > 0)
// is allowed.
type Density interface {
	NumTypes() int
	TimeDensity(dt float64) float64
	Survival(dt float64) float64
	MarkProbs(out []float64)
}

// Model is what the batch helpers (Sequence, Dataset, RescaledGaps) need: for
// event index i of seq, NextAfter returns the law of that event conditioned
// on events 0..i-1 only (history strictly before event i, so event i is the
// target; for i == 0 the history is empty and starts at seq.Start). The
// returned Next must treat dt as the time since seq.Times[i-1] (or seq.Start
// when i == 0). NextAfter is called from several goroutines at once (see
// Options.Workers) and must be safe for that; each returned Next is used by
// one goroutine only.
type Model interface {
	NumTypes() int
	NextAfter(seq *data.Sequence, i int) Next
}

// SequenceModel is a Model that gives the laws of all the events of a
// sequence from one pass over it (a recurrent encoder stepped once per
// event, a causal attention encoder run once), without the per-call
// bookkeeping of NextAfter. Laws(seq) yields (i, NextAfter(seq, i)) for
// i = 0, 1, …, seq.Len() in order, the same laws NextAfter returns
// (model/internal/reftest checks it for every model); a consumer may stop
// early. Each yielded Next stays valid after the iteration moves on. The
// batch helpers (Sequence, Dataset) use it when a model has it.
type SequenceModel interface {
	Model
	Laws(seq *data.Sequence) iter.Seq2[int, Next]
}

// StepLaws is Laws for a recurrent model: initial is the state before
// event 0 (at seq.Start), advance(s, k, dt) the state after an event of
// type k that came dt after the previous one (or after seq.Start), and
// law(s) the next-event law after state s. advance may reuse s only if law
// copied what it needs from it.
func StepLaws[S any](seq *data.Sequence, initial S, advance func(s S, k int, dt float64) S, law func(s S) Next) iter.Seq2[int, Next] {
	return func(yield func(int, Next) bool) {
		s := initial
		prev := seq.Start
		for i := 0; ; i++ {
			if !yield(i, law(s)) || i == seq.Len() {
				return
			}
			s = advance(s, seq.Types[i], seq.Times[i]-prev)
			prev = seq.Times[i]
		}
	}
}

// StateLaws is Laws for a model whose states at all the events of a
// sequence come from one pass: states[i] drives event i (len(states) =
// seq.Len()+1) and law(states[i]) is its law.
func StateLaws[S any](states []S, law func(s S) Next) iter.Seq2[int, Next] {
	return func(yield func(int, Next) bool) {
		for i, s := range states {
			if !yield(i, law(s)) {
				return
			}
		}
	}
}

// lawsOf is m.Laws(seq) when m is a SequenceModel, else NextAfter(seq, i)
// for each i.
func lawsOf(m Model, seq *data.Sequence) iter.Seq2[int, Next] {
	if sm, ok := m.(SequenceModel); ok {
		return sm.Laws(seq)
	}
	return func(yield func(int, Next) bool) {
		for i := 0; i <= seq.Len(); i++ {
			if !yield(i, m.NextAfter(seq, i)) {
				return
			}
		}
	}
}

// MeanDensity is a Density that knows its mean waiting time in closed form
// and is proper (S(∞) = 0): Analyze then takes the mean from Mean, finds the
// median as the root of S(t) = 1/2 in log-time, and skips the quadrature
// walk (a log-normal mixture's mean is Σ_c w_c exp(μ_c + σ_c²/2)). A Mean
// that is not finite falls back to the quadrature.
type MeanDensity interface {
	Density
	Mean() float64
}

// Breakpointed is implemented by a Next whose intensity is smooth except
// at known offsets, such as the grid of an ODE solver whose step sizes
// change there (kinks) or a piecewise-defined intensity (jumps):
// NextBreak(dt) returns the smallest breakpoint strictly greater than dt
// (+Inf when there is none). The quadrature ends its panels at the
// breakpoints, so that no panel straddles one; an integrand that is smooth
// on each panel needs far fewer panels than one whose kinks the error
// control has to resolve by halving.
type Breakpointed interface {
	NextBreak(dt float64) float64
}

// BatchIntensities is implemented by a Next that evaluates its intensities
// at several offsets in one call (vectorised over offsets and types):
// IntensitiesAt(dts, out) writes λ_k(t_last + dts[j]) into out[j·K + k]
// (K = NumTypes()), the same values Intensities gives at each offset. The
// quadrature then evaluates each panel's 15 nodes in one call.
type BatchIntensities interface {
	IntensitiesAt(dts []float64, out []float64)
}

// ClosedForm is implemented by a Next whose one-step summary is known in
// closed form (RMTPP's exponential intensity with time-independent marks,
// for instance): Analyze then takes the prediction from Closed instead of
// integrating. Closed returns ok = false when it cannot (a parameter range
// its formulas do not cover); Analyze then integrates as usual.
type ClosedForm interface {
	Closed() (law ClosedLaw, ok bool)
}

// ClosedLaw is the closed-form summary of a next-event law.
type ClosedLaw struct {
	// TailMass is P(no next event) = S(∞), in [0, 1).
	TailMass float64
	// MeanGivenEvent and MedianGivenEvent are the mean and median of Δt
	// given that an event happens (the unconditional ones when TailMass is
	// 0).
	MeanGivenEvent, MedianGivenEvent float64
	// Median solves S(t) = 1/2 (+Inf when TailMass >= 1/2).
	Median float64
	// MarkProbs[k] = P(next mark = k); they sum to 1 - TailMass.
	MarkProbs []float64
}

// FromDensity turns a Density into a Next. The result's Intensities are the
// hazard f(dt)/S(dt) split by the mark probabilities, its Compensator is
// -ln S(dt), and the predictors in this package recognise it and work from f,
// S and the mark probabilities directly (no division by a vanishing S).
func FromDensity(d Density) Next {
	k := d.NumTypes()
	p := make([]float64, k)
	d.MarkProbs(p)
	return &densityNext{d: d, p: p}
}

type densityNext struct {
	d Density
	p []float64
}

func (n *densityNext) NumTypes() int { return len(n.p) }

func (n *densityNext) Intensities(dt float64, out []float64) {
	f, s := n.d.TimeDensity(dt), n.d.Survival(dt)
	for k, pk := range n.p {
		switch {
		case pk == 0 || f == 0:
			out[k] = 0
		case s <= 0:
			out[k] = math.Inf(1)
		default:
			out[k] = pk * f / s
		}
	}
}

func (n *densityNext) Compensator(dt float64) float64 { return -math.Log(n.d.Survival(dt)) }
