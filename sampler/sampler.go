// Package sampler holds exact simulation of temporal point processes:
// generic Ogata thinning for any multivariate intensity with a valid upper
// bound, Hawkes simulation with the exact bound of exponential kernels, and
// direct simulation of homogeneous Poisson processes. Every function takes
// its randomness from a caller-supplied *rand.Rand (math/rand/v2); NewRand
// builds the PCG stream used everywhere, so the same seed gives the same
// sequences.
package sampler

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/data"
)

// Process is what Ogata thinning needs from a multivariate point process
// whose future depends on the accepted events.
type Process interface {
	// NumTypes is the number of event types K.
	NumTypes() int
	// Intensity writes λ_k(t) for every type into out (len K) given the
	// events accepted so far, all at times < t.
	Intensity(t float64, out []float64)
	// Bound returns m and until such that, if no further event is accepted,
	// Σ_k λ_k(s) ≤ m for every s in (t, until]. until must be > t (it may be
	// +Inf). m must be finite and ≥ 0. A bound that is too low makes the
	// sampler wrong; Simulate checks every proposal and reports a violation
	// as an error.
	Bound(t float64) (m, until float64)
	// Accept records an event of type k at time t (t ≥ every earlier event).
	Accept(t float64, k int)
}

// ErrTooManyEvents is returned (wrapped) when a simulation reaches its event
// cap, which usually means an explosive (non-stationary) process.
var ErrTooManyEvents = errors.New("sampler: event cap reached")

// DefaultMaxEvents is the event cap used when maxEvents ≤ 0.
const DefaultMaxEvents = 10_000_000

var inf = math.Inf(1)

// NewRand returns a PCG-backed generator for (seed, stream). Use a distinct
// stream per sequence to make sequence i independent of how many sequences
// are drawn or in which order.
func NewRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// Simulate draws one sequence of p on the window [start, end] by Ogata's
// thinning: from the current time t, propose t + Exp(m) with (m, until) =
// p.Bound(t); a proposal past until restarts from until with a new bound;
// a proposal is accepted with probability Σλ(t)/m and given type k with
// probability λ_k/Σλ. The result has Start = start, End = end.
func Simulate(p Process, start, end float64, rng *rand.Rand, maxEvents int) (data.Sequence, error) {
	if !(end >= start) || math.IsInf(start, 0) || math.IsInf(end, 0) {
		return data.Sequence{}, fmt.Errorf("sampler: invalid window [%v, %v]", start, end)
	}
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	k := p.NumTypes()
	if k <= 0 {
		return data.Sequence{}, fmt.Errorf("sampler: process has %d types", k)
	}
	seq := data.Sequence{Start: start, End: end, Times: []float64{}, Types: []int{}}
	lam := make([]float64, k)
	t := start
	for t < end {
		m, until := p.Bound(t)
		if math.IsNaN(m) || m < 0 || math.IsInf(m, 0) {
			return seq, fmt.Errorf("sampler: invalid intensity bound %v at t=%v", m, t)
		}
		if !(until > t) {
			return seq, fmt.Errorf("sampler: bound horizon %v not after t=%v", until, t)
		}
		limit := math.Min(until, end)
		if m == 0 {
			t = limit
			continue
		}
		next := t + rng.ExpFloat64()/m
		if next >= limit {
			t = limit
			continue
		}
		if next == t { // the gap underflowed at this time scale; nothing moves
			return seq, fmt.Errorf("sampler: proposal gap below float64 resolution at t=%v (bound %v)", t, m)
		}
		t = next
		p.Intensity(t, lam)
		tot := 0.0
		for _, v := range lam {
			if v < 0 || math.IsNaN(v) {
				return seq, fmt.Errorf("sampler: intensity %v at t=%v is negative or NaN", v, t)
			}
			tot += v
		}
		if tot > m*(1+1e-9) {
			return seq, fmt.Errorf("sampler: intensity %v at t=%v exceeds its bound %v", tot, t, m)
		}
		u := rng.Float64() * m
		if u >= tot {
			continue
		}
		// u is uniform on [0, tot): it also picks the type.
		typ := pick(lam, u)
		p.Accept(t, typ)
		seq.Times = append(seq.Times, t)
		seq.Types = append(seq.Types, typ)
		if len(seq.Times) >= maxEvents {
			return seq, fmt.Errorf("%w: %d events by t=%v in [%v, %v]", ErrTooManyEvents, len(seq.Times), t, start, end)
		}
	}
	return seq, nil
}

// IntensityFunc writes λ_k(t) for every type into out given the history
// (times, types) of accepted events, all before t.
type IntensityFunc func(t float64, times []float64, types []int, out []float64)

// BoundFunc returns (m, until) with Σ_k λ_k(s) ≤ m for every s in
// (t, until] when no event is accepted in between (see Process.Bound).
type BoundFunc func(t float64, times []float64, types []int) (m, until float64)

// funcProcess adapts an IntensityFunc and a BoundFunc to Process.
type funcProcess struct {
	k         int
	intensity IntensityFunc
	bound     BoundFunc
	times     []float64
	types     []int
}

func (f *funcProcess) NumTypes() int { return f.k }
func (f *funcProcess) Intensity(t float64, out []float64) {
	f.intensity(t, f.times, f.types, out)
}
func (f *funcProcess) Bound(t float64) (float64, float64) { return f.bound(t, f.times, f.types) }
func (f *funcProcess) Accept(t float64, k int) {
	f.times = append(f.times, t)
	f.types = append(f.types, k)
}

// Thinning simulates a K-type process given by an intensity function and a
// valid upper-bound function on [start, end] (see Simulate).
func Thinning(k int, intensity IntensityFunc, bound BoundFunc, start, end float64, rng *rand.Rand, maxEvents int) (data.Sequence, error) {
	return Simulate(&funcProcess{k: k, intensity: intensity, bound: bound}, start, end, rng, maxEvents)
}

// Poisson draws a homogeneous K-type Poisson process with the given rates on
// [start, end] directly: exponential gaps at the total rate, and types drawn
// in proportion to the rates.
func Poisson(rates []float64, start, end float64, rng *rand.Rand) (data.Sequence, error) {
	total := 0.0
	for i, r := range rates {
		if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
			return data.Sequence{}, fmt.Errorf("sampler: rate[%d] = %v: must be finite and ≥ 0", i, r)
		}
		total += r
	}
	if len(rates) == 0 {
		return data.Sequence{}, errors.New("sampler: no rates")
	}
	if !(end >= start) || math.IsInf(start, 0) || math.IsInf(end, 0) {
		return data.Sequence{}, fmt.Errorf("sampler: invalid window [%v, %v]", start, end)
	}
	seq := data.Sequence{Start: start, End: end, Times: []float64{}, Types: []int{}}
	if total == 0 {
		return seq, nil
	}
	t := start
	for {
		t += rng.ExpFloat64() / total
		if t >= end {
			return seq, nil
		}
		typ := pick(rates, rng.Float64()*total)
		seq.Times = append(seq.Times, t)
		seq.Types = append(seq.Types, typ)
	}
}

// pick returns the index i with Σ_{j<i} w_j ≤ u < Σ_{j≤i} w_j, falling back
// to the last positive weight when rounding leaves u at the top.
func pick(w []float64, u float64) int {
	acc := 0.0
	last := 0
	for i, v := range w {
		if v > 0 {
			last = i
		}
		acc += v
		if u < acc {
			return i
		}
	}
	return last
}
