package poisson

import (
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/predict"
)

type next struct{ m *Model }

func (n next) NumTypes() int                        { return len(n.m.Rate) }
func (n next) Intensities(_ float64, out []float64) { copy(out, n.m.Rate) }
func (n next) Compensator(dt float64) float64       { return n.m.TotalRate() * dt }

// NextAfter implements predict.Model: a Poisson process ignores its history.
func (m *Model) NextAfter(*data.Sequence, int) predict.Next { return next{m} }

var _ predict.Model = (*Model)(nil)
