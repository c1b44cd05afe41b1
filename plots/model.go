package plots

import (
	"fmt"
	"math"
	"sort"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/predict"
)

// ModelIntensity evaluates any fitted model's marked intensities along one
// sequence: out[k][j] = λ_k(grid[j]) given the events of seq strictly before
// grid[j]. It asks the model for the law of the next event after each prefix
// (predict.Model.NextAfter) and evaluates that law's intensities at the time
// since the prefix's last event, so it works for every model the predictor
// works for, classical or neural. At an event time t the value is the left
// limit (the event itself is not yet history); plots.EventGrid adds the
// point just after each event for the right limit.
//
// grid must be sorted and start at or after seq.Start. Non-finite or
// negative intensities are an error naming the grid point and type.
func ModelIntensity(m predict.Model, seq *data.Sequence, grid []float64) ([][]float64, error) {
	k := m.NumTypes()
	if k < 1 {
		return nil, fmt.Errorf("plots: model has %d event types", k)
	}
	for _, c := range seq.Types {
		if c < 0 || c >= k {
			return nil, fmt.Errorf("plots: sequence %q has event type %d, model has %d types", seq.ID, c, k)
		}
	}
	if !sort.Float64sAreSorted(grid) {
		return nil, fmt.Errorf("plots: intensity grid is not sorted")
	}
	if len(grid) > 0 && grid[0] < seq.Start {
		return nil, fmt.Errorf("plots: grid starts at %v, before the window start %v", grid[0], seq.Start)
	}
	out := make([][]float64, k)
	for c := range out {
		out[c] = make([]float64, len(grid))
	}
	buf := make([]float64, k)
	var next predict.Next
	prefix := -1 // number of events the current next conditions on
	for j, t := range grid {
		// Events strictly before t are history.
		i := sort.SearchFloat64s(seq.Times, t)
		if i != prefix {
			next, prefix = m.NextAfter(seq, i), i
		}
		last := seq.Start
		if i > 0 {
			last = seq.Times[i-1]
		}
		next.Intensities(t-last, buf)
		for c, v := range buf {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("plots: intensity of type %d at t=%v (after %d events) is %v", c, t, i, v)
			}
			out[c][j] = v
		}
	}
	return out, nil
}

// TotalSeries sums per-type curves (as from ModelIntensity) into one curve.
func TotalSeries(label string, grid []float64, lam [][]float64) Series {
	y := make([]float64, len(grid))
	for _, row := range lam {
		for j, v := range row {
			y[j] += v
		}
	}
	return Series{Label: label, X: grid, Y: y}
}

// StackedSeries turns per-type curves into stacked ones: curve k is
// λ_0 + … + λ_k, so the last curve is the total intensity and the band
// between curves k−1 and k is type k's share. name labels type k (nil:
// "type k"); curves after the first are labelled "+ name".
func StackedSeries(grid []float64, lam [][]float64, name func(k int) string) []Series {
	out := make([]Series, len(lam))
	acc := make([]float64, len(grid))
	for k, row := range lam {
		y := make([]float64, len(grid))
		for j := range grid {
			acc[j] += row[j]
			y[j] = acc[j]
		}
		label := fmt.Sprintf("type %d", k)
		if name != nil {
			label = name(k)
		}
		if k > 0 {
			label = "+ " + label
		}
		out[k] = Series{Label: label, X: grid, Y: y}
	}
	return out
}
