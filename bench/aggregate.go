package bench

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gotpp/gotpp/report"
)

// Stat is the mean and sample standard deviation of a value over seeds.
type Stat struct {
	Mean Num `json:"mean"`
	// Std is the sample standard deviation (denominator n−1); null when
	// fewer than two values are finite.
	Std Num `json:"std"`
	N   int `json:"n"` // finite values aggregated (NaN = missing, skipped)
}

// Aggregate computes the mean and sample standard deviation of the finite
// values of xs (two passes, for accuracy). With no finite value the mean is
// NaN; with one the standard deviation is NaN.
func Aggregate(xs []float64) Stat {
	n, sum := 0, 0.0
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			n++
			sum += x
		}
	}
	if n == 0 {
		return Stat{Mean: Num(math.NaN()), Std: Num(math.NaN())}
	}
	mean := sum / float64(n)
	if n == 1 {
		return Stat{Mean: Num(mean), Std: Num(math.NaN()), N: 1}
	}
	ss := 0.0
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			ss += (x - mean) * (x - mean)
		}
	}
	return Stat{Mean: Num(mean), Std: Num(math.Sqrt(ss / float64(n-1))), N: n}
}

// Direction says which way a column improves.
type Direction int

const (
	Neutral      Direction = iota // not compared
	HigherBetter                  // e.g. log-likelihood, accuracy, throughput
	LowerBetter                   // e.g. RMSE, KS statistic, seconds, memory
)

// MarkBest marks, in each column of vals (vals[row][col]), the rows holding
// the best value in the column's direction; ties are all marked, NaN is
// never best, Neutral columns are not marked.
func MarkBest(vals [][]float64, dirs []Direction) [][]bool {
	out := make([][]bool, len(vals))
	for i, row := range vals {
		out[i] = make([]bool, len(row))
	}
	for c, d := range dirs {
		if d == Neutral {
			continue
		}
		best, found := 0.0, false
		for _, row := range vals {
			if c >= len(row) || math.IsNaN(row[c]) {
				continue
			}
			v := row[c]
			if !found || (d == HigherBetter && v > best) || (d == LowerBetter && v < best) {
				best, found = v, true
			}
		}
		if !found {
			continue
		}
		for i, row := range vals {
			if c < len(row) && row[c] == best {
				out[i][c] = true
			}
		}
	}
	return out
}

// ModelSummary aggregates the cells of one data set × model over seeds.
type ModelSummary struct {
	Data      string          `json:"data"`
	Model     string          `json:"model"`
	Kind      string          `json:"kind"`
	Seeds     int             `json:"seeds"`            // cells
	Failed    int             `json:"failed,omitempty"` // cells with an error
	NumParams int             `json:"num_params"`
	Metrics   map[string]Stat `json:"metrics"`
	// Timing aggregates the cells' timing numbers (memory in MiB).
	Timing map[string]Stat `json:"timing"`
}

// timingValues are the timing numbers that are aggregated.
func timingValues(t Timing) map[string]float64 {
	const mib = 1 << 20
	return map[string]float64{
		"train_seconds":             t.TrainSeconds,
		"train_seconds_per_epoch":   t.SecondsPerEpoch,
		"train_events_per_second":   t.TrainEventsPerSecond,
		"predict_seconds":           zeroNaN(t.PredictSeconds),
		"predict_events_per_second": zeroNaN(t.PredictEventsPerSecond),
		"peak_rss_mib":              zeroNaN(float64(t.PeakRSSBytes) / mib),
		"peak_go_mib":               zeroNaN(float64(t.PeakGoBytes) / mib),
		"cell_seconds":              t.CellSeconds,
	}
}

// zeroNaN marks a value that was not measured (0) as missing.
func zeroNaN(x float64) float64 {
	if x == 0 {
		return math.NaN()
	}
	return x
}

// summarize aggregates cells per data set × model, in the order of the
// data and model lists. Failed cells count in Failed and are left out of
// the statistics.
func summarize(cells []Cell, dataOrder, modelOrder []string) []ModelSummary {
	var out []ModelSummary
	for _, d := range dataOrder {
		for _, m := range modelOrder {
			s := ModelSummary{Data: d, Model: m, Metrics: map[string]Stat{}, Timing: map[string]Stat{}}
			mv := map[string][]float64{}
			tv := map[string][]float64{}
			for i := range cells {
				c := &cells[i]
				if c.Data != d || c.Model != m {
					continue
				}
				s.Seeds++
				s.Kind, s.NumParams = c.Kind, c.NumParams
				if c.Error != "" {
					s.Failed++
					continue
				}
				for k, v := range c.Metrics {
					mv[k] = append(mv[k], float64(v))
				}
				for k, v := range timingValues(c.Timing) {
					tv[k] = append(tv[k], v)
				}
			}
			if s.Seeds == 0 {
				continue
			}
			for k, xs := range mv {
				s.Metrics[k] = Aggregate(xs)
			}
			for k, xs := range tv {
				s.Timing[k] = Aggregate(xs)
			}
			out = append(out, s)
		}
	}
	return out
}

// column is one column of the results tables.
type column struct {
	header string
	key    string
	timing bool
	dir    Direction
	prec   int // digits after the point ('f') or significant digits ('g') when negative
}

var tableColumns = []column{
	{"LL/event (full)", "loglik_per_event", false, HigherBetter, 4},
	{"LL/event (easytpp)", "loglik_per_event_easytpp", false, HigherBetter, 4},
	{"RMSE", "rmse", false, LowerBetter, -4},
	{"MAE", "mae", false, LowerBetter, -4},
	{"accuracy", "accuracy", false, HigherBetter, 4},
	{"macro-F1", "macro_f1", false, HigherBetter, 4},
	{"OTD", "otd", false, LowerBetter, -4},
	{"KS statistic", "ks_statistic", false, LowerBetter, 4},
	{"train s/epoch", "train_seconds_per_epoch", true, LowerBetter, -3},
	{"predict s", "predict_seconds", true, LowerBetter, -3},
	{"peak RSS MiB", "peak_rss_mib", true, LowerBetter, -3},
}

func formatNum(x float64, prec int) string {
	if prec >= 0 {
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	return strconv.FormatFloat(x, 'g', -prec, 64)
}

// formatStat renders "mean ± std" ("mean" alone for one value, "–" for
// none).
func formatStat(s Stat, prec int) string {
	if s.N == 0 || math.IsNaN(float64(s.Mean)) {
		return "–"
	}
	txt := formatNum(float64(s.Mean), prec)
	if s.N > 1 && !math.IsNaN(float64(s.Std)) {
		sp := prec
		if sp < 0 {
			sp = -2 // two significant digits are enough for a spread
		}
		txt += " ± " + formatNum(float64(s.Std), sp)
	}
	return txt
}

// dataTable is the results table of one data set: a row per model, the
// best mean per column (as displayed) in bold.
func dataTable(sums []ModelSummary, data string) report.Table {
	t := report.Table{Header: []string{"model", "parameters"}}
	dirs := []Direction{Neutral, Neutral}
	for _, c := range tableColumns {
		t.Header = append(t.Header, c.header)
		dirs = append(dirs, c.dir)
	}
	var vals [][]float64
	seeds := 0
	for _, s := range sums {
		if s.Data != data {
			continue
		}
		seeds = max(seeds, s.Seeds)
		name := s.Model
		if s.Failed > 0 {
			name += fmt.Sprintf(" (%d/%d failed)", s.Failed, s.Seeds)
		}
		row := []string{name, strconv.Itoa(s.NumParams)}
		v := []float64{math.NaN(), math.NaN()}
		for _, c := range tableColumns {
			st, ok := s.Metrics[c.key]
			if c.timing {
				st, ok = s.Timing[c.key]
			}
			if !ok {
				st = Stat{Mean: Num(math.NaN()), Std: Num(math.NaN())}
			}
			row = append(row, formatStat(st, c.prec))
			if st.N > 0 && !math.IsNaN(float64(st.Mean)) {
				// Compare the means as displayed, so that equal-looking
				// values are marked alike.
				shown, _ := strconv.ParseFloat(formatNum(float64(st.Mean), c.prec), 64)
				v = append(v, shown)
			} else {
				v = append(v, math.NaN())
			}
		}
		t.Rows = append(t.Rows, row)
		vals = append(vals, v)
	}
	t.Bold = MarkBest(vals, dirs)
	t.Caption = fmt.Sprintf("%s: test split, mean ± sample std over %d seed(s); best mean per column in bold", data, seeds)
	return t
}
