package hawkes

import (
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/predict"
)

// next is the law of the next event after a history: λ_k and the total
// compensator in closed form from the history's recursion state.
type next struct{ st *State }

func (n next) NumTypes() int                         { return n.st.m.k }
func (n next) Intensities(dt float64, out []float64) { n.st.IntensityAfter(dt, out) }
func (n next) Compensator(dt float64) float64        { return n.st.TotalCompensatorAfter(dt) }

// NextAfter implements predict.Model: the next-event law given events
// 0..i-1 of seq (the empty history from seq.Start when i == 0).
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	return next{st: m.HistoryState(seq, i)}
}

var _ predict.Model = (*Model)(nil)
