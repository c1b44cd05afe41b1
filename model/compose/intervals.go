package compose

import (
	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/likelihood"
)

// Intervals lists the pieces of a batch's log-likelihood under one
// convention, one entry per scored interval. For column col with n events
// interval p (0 ≤ p ≤ n) runs from event p−1 (the window start for p = 0)
// to event p (the window end for p = n); its history state is row
// p·B + col of the encoder's output.
//
//   - Type[i] ≥ 0: the interval ends with a scored event of that type; the
//     entry contributes the event term and the compensator over the
//     interval (for a density decoder: log f(Δ) + log p(k)).
//   - Type[i] < 0: the survival term after the last event up to the window
//     end (Full convention only): minus the compensator, log S(Δ). Tails of
//     length 0 contribute exactly 0 and are left out.
//
// Under Full every event is scored and the tail included; under EasyTPP
// intervals 1..n−1 are scored (the first event is history) and there is no
// tail.
type Intervals struct {
	Rows      []int     // state row of each entry
	Delta     []float64 // interval length
	Type      []int     // scored event type, −1 for a survival-only entry
	Events    []int     // indices of the entries with Type ≥ 0
	Tails     []int     // indices of the entries with Type < 0
	NumEvents int
	NumSeqs   int
}

// NewIntervals lists the scored intervals of b under convention c.
func NewIntervals(b *batch.Batch, c likelihood.Convention) *Intervals {
	iv := &Intervals{NumSeqs: b.B}
	B := b.B
	total := 0
	for col := 0; col < B; col++ {
		total += b.Lens[col] + 1
	}
	iv.Rows, iv.Delta, iv.Type = make([]int, 0, total), make([]float64, 0, total), make([]int, 0, total)
	iv.Events, iv.Tails = make([]int, 0, total), make([]int, 0, B)
	for col := 0; col < B; col++ {
		n := b.Lens[col]
		lo, hi := 0, n // intervals lo..hi
		if c == likelihood.EasyTPP {
			lo, hi = 1, n-1
		}
		for p := lo; p <= hi; p++ {
			r := p*B + col
			if p < n {
				iv.Events = append(iv.Events, len(iv.Rows))
				iv.Rows = append(iv.Rows, r)
				iv.Delta = append(iv.Delta, b.Dt[r])
				iv.Type = append(iv.Type, b.Types[r])
				continue
			}
			if c == likelihood.EasyTPP || b.Tail[col] == 0 {
				continue
			}
			iv.Tails = append(iv.Tails, len(iv.Rows))
			iv.Rows = append(iv.Rows, r)
			iv.Delta = append(iv.Delta, b.Tail[col])
			iv.Type = append(iv.Type, -1)
		}
	}
	iv.NumEvents = len(iv.Events)
	return iv
}

// Len is the number of entries.
func (iv *Intervals) Len() int { return len(iv.Rows) }

// EventTypes returns the types of the event entries, in Events order.
func (iv *Intervals) EventTypes() []int {
	out := make([]int, len(iv.Events))
	for j, i := range iv.Events {
		out[j] = iv.Type[i]
	}
	return out
}
