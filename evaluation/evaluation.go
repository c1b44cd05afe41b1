// Package evaluation is gotpp's evaluation program: given any fitted model
// and a data split it computes every metric asked for — log-likelihood (both
// conventions, time and mark parts), one-step prediction metrics from the
// quadrature predictor (RMSE, MAE, accuracy, error rate, macro-F1, top-k, and
// EasyTPP's single-draw variants), long-horizon metrics from exact sampled
// continuations (OTD, T-mAP) and calibration (KS statistic of time-rescaled
// gaps) — under documented keys. The CLI's `tpp eval` and the benchmark
// runner both call Run.
package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/predict"
)

// Metric groups and the keys each one produces.
var groups = map[string][]string{
	"loglik":  {"loglik", "loglik_per_event", "time_loglik", "mark_loglik", "num_events", "num_sequences"},
	"onestep": {"rmse", "mae", "rmse_median", "mae_median", "accuracy", "error_rate", "macro_f1", "topk_accuracy", "num_predictions", "defective"},
	"draw":    {"rmse_draw", "accuracy_draw"},
	"ks":      {"ks_statistic", "ks_pvalue"},
	"horizon": {"otd", "tmap", "tmap_weighted", "num_horizon_cases"},
}

// AllMetrics lists every key Run can produce, sorted.
func AllMetrics() []string {
	var out []string
	for _, ks := range groups {
		out = append(out, ks...)
	}
	sort.Strings(out)
	return out
}

// Options control Run. The zero value computes the log-likelihood only.
type Options struct {
	// Metrics names metric keys or groups (loglik, onestep, draw, ks,
	// horizon, all). Empty means loglik.
	Metrics    []string
	Convention likelihood.Convention
	// Horizon is the number of events of a long-horizon forecast (default 20,
	// as HYPRO/EasyTPP); each sequence longer than Horizon contributes one
	// case: its last Horizon events forecast from the rest.
	Horizon int
	// Samples is the number of sampled continuations per case (default 1);
	// OTD is averaged over them, T-mAP uses them all as predictions.
	Samples int
	// MaxCases caps the number of long-horizon cases (0 = every sequence);
	// the first MaxCases eligible sequences are used.
	MaxCases int
	// OTDCosts are the deletion costs OTD is averaged over (nil: HYPRO's).
	OTDCosts []float64
	// TMAPDeltas are T-mAP's time tolerances, TMAPHorizon its window length
	// (zero: 2× and Horizon× the split's mean gap; see the package doc).
	TMAPDeltas  []float64
	TMAPHorizon float64
	// TopK for top-k accuracy (default 3).
	TopK    int
	Seed    uint64
	Workers int // goroutines (default 2)
	// Predict passes tolerances to the quadrature predictor.
	Predict predict.Options
}

// Result holds the metric values and the per-event artefacts behind them.
type Result struct {
	Values  map[string]float64
	Rows    []predict.Row // one-step predictions (onestep/draw)
	Gaps    []float64     // time-rescaled gaps (ks)
	Cases   []metrics.HorizonCase
	Seconds map[string]float64 // wall time per group
}

func (o *Options) groupsWanted() (map[string]bool, error) {
	want := map[string]bool{}
	names := o.Metrics
	if len(names) == 0 {
		names = []string{"loglik"}
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		if n == "all" {
			for g := range groups {
				want[g] = true
			}
			continue
		}
		if _, ok := groups[n]; ok {
			want[n] = true
			continue
		}
		found := false
		for g, keys := range groups {
			if slices.Contains(keys, n) {
				want[g], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown metric %q (known: all, %s, %s)", n, strings.Join(sortedKeys(groups), ", "), strings.Join(AllMetrics(), ", "))
		}
	}
	return want, nil
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Run evaluates model m on ds. m must implement likelihood.SequenceScorer or
// likelihood.DatasetScorer for the log-likelihood, and predict.Model for
// every other metric.
func Run(m any, ds *data.Dataset, o Options) (*Result, error) {
	want, err := o.groupsWanted()
	if err != nil {
		return nil, err
	}
	if o.Horizon <= 0 {
		o.Horizon = 20
	}
	if o.Samples <= 0 {
		o.Samples = 1
	}
	if o.TopK <= 0 {
		o.TopK = 3
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	res := &Result{Values: map[string]float64{}, Seconds: map[string]float64{}}
	v := res.Values
	if want["loglik"] {
		t0 := time.Now()
		p, err := likelihood.Evaluate(m, ds, o.Convention)
		if err != nil {
			return nil, err
		}
		v["loglik"], v["loglik_per_event"] = p.LogLik, p.PerEvent()
		v["time_loglik"], v["mark_loglik"] = p.TimeLL, p.MarkLL
		v["num_events"], v["num_sequences"] = float64(p.NumEvents), float64(p.NumSeqs)
		res.Seconds["loglik"] = time.Since(t0).Seconds()
	}
	if !(want["onestep"] || want["draw"] || want["ks"] || want["horizon"]) {
		return res, nil
	}
	pm, ok := m.(predict.Model)
	if !ok {
		return nil, fmt.Errorf("evaluation: model %T cannot predict (it does not implement predict.Model)", m)
	}
	po := o.Predict
	po.Convention, po.TopK, po.Seed, po.Workers = o.Convention, o.TopK, o.Seed, o.Workers
	if want["onestep"] || want["draw"] {
		t0 := time.Now()
		po.Draw = want["draw"]
		rows, err := predict.Dataset(pm, ds, po)
		if err != nil {
			return nil, err
		}
		s, err := predict.Summarize(rows)
		if err != nil {
			return nil, err
		}
		res.Rows = rows
		v["rmse"], v["mae"], v["rmse_median"], v["mae_median"] = s.RMSEMean, s.MAEMean, s.RMSEMedian, s.MAEMedian
		v["accuracy"], v["error_rate"], v["macro_f1"] = s.Accuracy, 1-s.Accuracy, s.MacroF1
		v["topk_accuracy"], v["num_predictions"], v["defective"] = s.TopKAccuracy, float64(s.N), float64(s.Defective)
		if s.HasDraw {
			v["rmse_draw"], v["accuracy_draw"] = s.RMSEDraw, s.AccuracyDraw
		}
		res.Seconds["predict"] = time.Since(t0).Seconds()
	}
	if want["ks"] {
		t0 := time.Now()
		gaps, err := parallelGaps(pm, ds, po, o.Workers)
		if err != nil {
			return nil, err
		}
		ks, err := metrics.KSExp1(gaps)
		if err != nil {
			return nil, err
		}
		res.Gaps = gaps
		v["ks_statistic"], v["ks_pvalue"] = ks.D, ks.PValue
		res.Seconds["ks"] = time.Since(t0).Seconds()
	}
	if want["horizon"] {
		t0 := time.Now()
		cases, err := horizonCases(pm, ds, o, po)
		if err != nil {
			return nil, err
		}
		res.Cases = cases
		v["num_horizon_cases"] = float64(len(cases))
		if len(cases) > 0 {
			// OTD: average over cases and samples (each sample is its own case).
			if v["otd"], err = metrics.MeanOTD(cases, o.OTDCosts); err != nil {
				return nil, err
			}
			cfg := metrics.TMAPConfig{NumTypes: ds.NumTypes, Deltas: o.TMAPDeltas, Horizon: o.TMAPHorizon}
			if len(cfg.Deltas) == 0 || cfg.Horizon == 0 {
				g := meanGap(ds)
				if len(cfg.Deltas) == 0 {
					cfg.Deltas = []float64{2 * g}
				}
				if cfg.Horizon == 0 {
					cfg.Horizon = float64(o.Horizon) * g
				}
			}
			tm, err := metrics.TMAP(mergeSamples(cases, o.Samples), cfg)
			if err != nil {
				return nil, err
			}
			v["tmap"], v["tmap_weighted"] = tm.TMAP, tm.Weighted
		}
		res.Seconds["horizon"] = time.Since(t0).Seconds()
	}
	return res, nil
}

// meanGap is the mean inter-event gap of ds (1 when it has none).
func meanGap(ds *data.Dataset) float64 {
	s, n := 0.0, 0
	for i := range ds.Seqs {
		q := &ds.Seqs[i]
		if q.Len() > 1 {
			s += q.Times[q.Len()-1] - q.Times[0]
			n += q.Len() - 1
		}
	}
	if n == 0 || s <= 0 {
		return 1
	}
	return s / float64(n)
}

func parallelGaps(m predict.Model, ds *data.Dataset, po predict.Options, workers int) ([]float64, error) {
	per := make([][]float64, len(ds.Seqs))
	errs := make([]error, len(ds.Seqs))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(ds.Seqs); i += workers {
				per[i], errs[i] = predict.RescaledGaps(m, &ds.Seqs[i], po)
			}
		}(w)
	}
	wg.Wait()
	var out []float64
	for i := range per {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, per[i]...)
	}
	return out, nil
}

// horizonCases forecasts the last Horizon events of every long enough
// sequence from the events before them, Samples times each; case
// index c*Samples+s is sample s of sequence case c. Sequence i's draws use
// the PCG stream (Seed, i), so results do not depend on Workers.
func horizonCases(m predict.Model, ds *data.Dataset, o Options, po predict.Options) ([]metrics.HorizonCase, error) {
	var idx []int
	for i := range ds.Seqs {
		if ds.Seqs[i].Len() > o.Horizon {
			idx = append(idx, i)
			if o.MaxCases > 0 && len(idx) == o.MaxCases {
				break
			}
		}
	}
	out := make([]metrics.HorizonCase, len(idx)*o.Samples)
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for c := w; c < len(idx); c += o.Workers {
				seq := &ds.Seqs[idx[c]]
				prefix := seq.Len() - o.Horizon
				rng := rand.New(rand.NewPCG(o.Seed, uint64(idx[c])))
				gens, err := predict.Generate(m, seq, prefix, o.Horizon, o.Samples, rng, po)
				if err != nil {
					errs[c] = err
					return
				}
				truth := make([]metrics.Event, o.Horizon)
				for j := range truth {
					truth[j] = metrics.Event{Time: seq.Times[prefix+j], Type: seq.Types[prefix+j]}
				}
				start := seq.Start
				if prefix > 0 {
					start = seq.Times[prefix-1]
				}
				for s, g := range gens {
					hc := metrics.HorizonCase{Start: start, True: truth}
					for j := range g.Times {
						hc.Pred = append(hc.Pred, metrics.Event{Time: g.Times[j], Type: g.Types[j]})
						sc := make([]float64, len(g.MarkProbs[j]))
						for k, p := range g.MarkProbs[j] {
							sc[k] = math.Log(p)
						}
						hc.PredScores = append(hc.PredScores, sc)
					}
					out[c*o.Samples+s] = hc
				}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mergeSamples pools the samples of each case into one case for T-mAP (all
// sampled events are predictions, ranked by their scores).
func mergeSamples(cases []metrics.HorizonCase, samples int) []metrics.HorizonCase {
	if samples <= 1 {
		return cases
	}
	var out []metrics.HorizonCase
	for c := 0; c+samples <= len(cases); c += samples {
		m := metrics.HorizonCase{Start: cases[c].Start, True: cases[c].True}
		for s := 0; s < samples; s++ {
			m.Pred = append(m.Pred, cases[c+s].Pred...)
			m.PredScores = append(m.PredScores, cases[c+s].PredScores...)
		}
		out = append(out, m)
	}
	return out
}
