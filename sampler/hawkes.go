package sampler

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/hawkes"
)

// HawkesProcess is a Process for an exponential-kernel Hawkes model. Its
// bound is exact: between events every kernel only decays, so the total
// intensity just after the current time, λ(t+), bounds λ(s) for every later
// s until the next accepted event (until = +Inf).
type HawkesProcess struct {
	m     *hawkes.Model
	state *hawkes.State
	empty bool
	lam   []float64
}

// NewHawkesProcess starts a Hawkes process with an empty history at start.
func NewHawkesProcess(m *hawkes.Model, start float64) *HawkesProcess {
	return &HawkesProcess{m: m, state: m.NewState(start), empty: true, lam: make([]float64, m.NumTypes())}
}

// NumTypes is K.
func (h *HawkesProcess) NumTypes() int { return h.m.NumTypes() }

// Intensity writes λ_k(t) given the accepted events (all before t).
func (h *HawkesProcess) Intensity(t float64, out []float64) {
	h.state.IntensityAfter(t-h.state.Time(), out)
}

// Bound returns λ(t+) summed over types, valid until the next event.
func (h *HawkesProcess) Bound(t float64) (float64, float64) {
	h.state.IntensityAfter(t-h.state.Time(), h.lam)
	s := 0.0
	for _, v := range h.lam {
		s += v
	}
	return s, inf
}

// Accept records an event of type k at time t.
func (h *HawkesProcess) Accept(t float64, k int) {
	h.state.Advance(t)
	h.state.Add(k)
}

// Hawkes draws one sequence of m on [start, end] from an empty history.
func Hawkes(m *hawkes.Model, start, end float64, rng *rand.Rand, maxEvents int) (data.Sequence, error) {
	return Simulate(NewHawkesProcess(m, start), start, end, rng, maxEvents)
}

// HawkesSequences draws n independent sequences of m on [start, end];
// sequence i uses NewRand(seed, i), so the result depends only on the
// arguments (not on scheduling). The work is spread over GOMAXPROCS
// goroutines. IDs are the sequence indices.
func HawkesSequences(m *hawkes.Model, n int, start, end float64, seed uint64, maxEvents int) ([]data.Sequence, error) {
	return parallelSequences(n, func(i int) (data.Sequence, error) {
		return Hawkes(m, start, end, NewRand(seed, uint64(i)), maxEvents)
	})
}

// PoissonSequences draws n independent homogeneous Poisson sequences with
// the given rates on [start, end]; sequence i uses NewRand(seed, i).
func PoissonSequences(rates []float64, n int, start, end float64, seed uint64) ([]data.Sequence, error) {
	return parallelSequences(n, func(i int) (data.Sequence, error) {
		return Poisson(rates, start, end, NewRand(seed, uint64(i)))
	})
}

func parallelSequences(n int, draw func(i int) (data.Sequence, error)) ([]data.Sequence, error) {
	if n < 0 {
		return nil, fmt.Errorf("sampler: negative number of sequences %d", n)
	}
	out := make([]data.Sequence, n)
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				out[i], errs[i] = draw(i)
				out[i].ID = fmt.Sprint(i)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("sequence %d: %w", i, err)
		}
	}
	return out, nil
}
