package compose

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/data"
)

// TieFloor is the relative floor applied to inter-event gaps before a
// logarithm: a gap τ enters log-scale features and log-normal densities as
// max(τ, TieFloor·Scale()), so that ties (τ = 0) give finite values.
const TieFloor = 1e-8

// LogGapStats standardise inter-event gaps on the log scale:
// feature(τ) = (log max(τ, floor) − Mean)/Std. They are computed from the
// training data (FitLogGaps) and stored with the model; the zero value is
// not valid, use DefaultLogGapStats (Mean 0, Std 1: no standardisation).
type LogGapStats struct {
	Mean float64 `json:"mean_log_gap"`
	Std  float64 `json:"std_log_gap"`
	// Gaps is the number of positive gaps the statistics come from and
	// ZeroGaps the number of gaps below the floor (ties) in that data.
	Gaps     int  `json:"gaps,omitempty"`
	ZeroGaps int  `json:"zero_gaps,omitempty"`
	Fitted   bool `json:"fitted"`
}

// DefaultLogGapStats is Mean 0, Std 1 (log gaps used as they are).
func DefaultLogGapStats() LogGapStats { return LogGapStats{Mean: 0, Std: 1} }

// Scale is exp(Mean), the geometric-mean gap: the time unit the blocks
// divide gaps by.
func (s LogGapStats) Scale() float64 { return math.Exp(s.Mean) }

// Floor is the smallest gap used inside a logarithm, TieFloor·Scale().
func (s LogGapStats) Floor() float64 { return TieFloor * s.Scale() }

// Standardize returns (log max(τ, Floor()) − Mean)/Std.
func (s LogGapStats) Standardize(tau float64) float64 {
	return (math.Log(max(tau, s.Floor())) - s.Mean) / s.Std
}

// gapScaler is LogGapStats with Scale and Floor computed once, for loops
// over many gaps (each call of Standardize computes exp(Mean)); its
// results are bit for bit those of the LogGapStats methods.
type gapScaler struct{ floor, mean, std, scale float64 }

func (s LogGapStats) scaler() gapScaler {
	sc := s.Scale()
	return gapScaler{floor: TieFloor * sc, mean: s.Mean, std: s.Std, scale: sc}
}

// logGap is log max(τ, Floor()).
func (g gapScaler) logGap(tau float64) float64 { return math.Log(max(tau, g.floor)) }

// standardize is Standardize.
func (g gapScaler) standardize(tau float64) float64 { return (g.logGap(tau) - g.mean) / g.std }

// Check reports statistics that cannot be used.
func (s LogGapStats) Check() error {
	if math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) {
		return fmt.Errorf("field mean_log_gap: %v, want a finite number", s.Mean)
	}
	if !(s.Std > 0) || math.IsInf(s.Std, 0) {
		return fmt.Errorf("field std_log_gap: %v, want a finite number > 0", s.Std)
	}
	return nil
}

// FitLogGaps computes the mean and standard deviation of log τ over the
// positive gaps τ = t_i − t_{i−1} between consecutive events (i ≥ 1) of
// every sequence of ds, and counts the gaps that fall below the resulting
// floor (ties). The gap from the window start to the first event is not
// used: it is not an inter-event time. With a single distinct value the
// standard deviation is set to 1.
func FitLogGaps(ds *data.Dataset) (LogGapStats, error) {
	var n int
	var mean, m2 float64
	for si := range ds.Seqs {
		ts := ds.Seqs[si].Times
		for i := 1; i < len(ts); i++ {
			d := ts[i] - ts[i-1]
			if d < 0 || math.IsNaN(d) {
				return LogGapStats{}, fmt.Errorf("data set %q: sequence %d (id %q): times[%d] = %v before times[%d] = %v", ds.Name, si, ds.Seqs[si].ID, i, ts[i], i-1, ts[i-1])
			}
			if d > 0 {
				// Welford's update
				n++
				x := math.Log(d)
				dx := x - mean
				mean += dx / float64(n)
				m2 += dx * (x - mean)
			}
		}
	}
	if n == 0 {
		return LogGapStats{}, fmt.Errorf("data set %q: no positive inter-event gaps to standardise", ds.Name)
	}
	s := LogGapStats{Mean: mean, Std: 1, Gaps: n, Fitted: true}
	if n > 1 {
		if sd := math.Sqrt(m2 / float64(n-1)); sd > 0 {
			s.Std = sd
		}
	}
	floor := s.Floor()
	for si := range ds.Seqs {
		ts := ds.Seqs[si].Times
		for i := 1; i < len(ts); i++ {
			if ts[i]-ts[i-1] < floor {
				s.ZeroGaps++
			}
		}
	}
	return s, nil
}
