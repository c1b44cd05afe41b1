package metrics

import (
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Input carries everything a registered metric may read. Each metric reads
// only the fields it needs and returns an error naming the missing field when
// they are empty.
type Input struct {
	// Next-event time predictions and truths (same length).
	PredDt, TrueDt []float64
	// Next-event mark predictions and truths (same length).
	PredMark, TrueMark []int
	// MarkProbs[i] is the predicted probability (or any score) of every mark
	// for event i; used by top-k accuracy together with TrueMark.
	MarkProbs [][]float64

	// Horizons are long-horizon prediction cases (used by OTD and T-mAP).
	Horizons []HorizonCase
	// OTDCosts are the deletion/insertion costs OTD is averaged over
	// (nil: DefaultOTDCosts).
	OTDCosts []float64
	// TMAP configures T-mAP.
	TMAP TMAPConfig

	// RescaledGaps are compensator increments Λ(t_{i-1}, t_i] of the observed
	// events under a model; they are Exp(1) when the model is right.
	RescaledGaps []float64
}

// ErrMissing is wrapped by the errors metrics return when an Input field they
// need is empty.
var ErrMissing = errors.New("missing input")

func missing(field string) error { return fmt.Errorf("%w: field %s is empty", ErrMissing, field) }

// Metric is one named number computed from an Input.
type Metric interface {
	Compute(in *Input) (float64, error)
	// HigherIsBetter tells how to rank models by this metric.
	HigherIsBetter() bool
}

// Func adapts a function to the Metric interface.
type Func struct {
	F func(in *Input) (float64, error)
	// Higher is true when larger values are better.
	Higher bool
	// Doc is a one-line description.
	Doc string
}

// Compute calls f.F.
func (f Func) Compute(in *Input) (float64, error) { return f.F(in) }

// HigherIsBetter returns f.Higher.
func (f Func) HigherIsBetter() bool { return f.Higher }

// Describe returns f.Doc.
func (f Func) Describe() string { return f.Doc }

var (
	regMu    sync.RWMutex
	registry = map[string]Metric{}
)

// Register adds a metric under name. Like database/sql.Register it panics
// when name is empty, m is nil or the name is taken: these are programming
// errors found at start-up.
func Register(name string, m Metric) {
	if name == "" {
		panic("metrics: Register with an empty name")
	}
	if m == nil {
		panic("metrics: Register " + name + " with a nil metric")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("metrics: Register called twice for " + name)
	}
	registry[name] = m
}

// Get returns the metric registered under name.
func Get(name string) (Metric, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	m, ok := registry[name]
	return m, ok
}

// Names lists the registered metric names in sorted order.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Result is one computed metric.
type Result struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Evaluate computes the named metrics (all registered ones when names is
// empty) in the given order. It stops at the first error, which names the
// metric.
func Evaluate(in *Input, names ...string) ([]Result, error) {
	if len(names) == 0 {
		names = Names()
	}
	out := make([]Result, 0, len(names))
	for _, n := range names {
		m, ok := Get(n)
		if !ok {
			return nil, fmt.Errorf("metrics: unknown metric %q (known: %v)", n, Names())
		}
		v, err := m.Compute(in)
		if err != nil {
			return nil, fmt.Errorf("metrics: %s: %w", n, err)
		}
		out = append(out, Result{Name: n, Value: v})
	}
	return out, nil
}

func init() {
	Register("rmse", Func{Doc: "root mean squared error of next inter-event times", F: func(in *Input) (float64, error) {
		if len(in.TrueDt) == 0 {
			return 0, missing("TrueDt")
		}
		return RMSE(in.PredDt, in.TrueDt)
	}})
	Register("mae", Func{Doc: "mean absolute error of next inter-event times", F: func(in *Input) (float64, error) {
		if len(in.TrueDt) == 0 {
			return 0, missing("TrueDt")
		}
		return MAE(in.PredDt, in.TrueDt)
	}})
	Register("accuracy", Func{Higher: true, Doc: "fraction of next marks predicted right", F: func(in *Input) (float64, error) {
		if len(in.TrueMark) == 0 {
			return 0, missing("TrueMark")
		}
		return Accuracy(in.PredMark, in.TrueMark)
	}})
	Register("error_rate", Func{Doc: "1 - accuracy", F: func(in *Input) (float64, error) {
		if len(in.TrueMark) == 0 {
			return 0, missing("TrueMark")
		}
		return ErrorRate(in.PredMark, in.TrueMark)
	}})
	Register("macro_f1", Func{Higher: true, Doc: "F1 averaged over the classes present in truth or predictions", F: func(in *Input) (float64, error) {
		if len(in.TrueMark) == 0 {
			return 0, missing("TrueMark")
		}
		return MacroF1(in.PredMark, in.TrueMark)
	}})
	for _, k := range []int{1, 3, 5} {
		Register(fmt.Sprintf("top%d_accuracy", k), Func{Higher: true, Doc: fmt.Sprintf("fraction of events whose true mark is among the %d most probable", k), F: func(in *Input) (float64, error) {
			if len(in.MarkProbs) == 0 {
				return 0, missing("MarkProbs")
			}
			return TopKAccuracy(in.MarkProbs, in.TrueMark, k)
		}})
	}
	Register("otd", Func{Doc: "optimal-transport distance of horizon predictions, averaged over OTDCosts and cases", F: func(in *Input) (float64, error) {
		if len(in.Horizons) == 0 {
			return 0, missing("Horizons")
		}
		return MeanOTD(in.Horizons, in.OTDCosts)
	}})
	Register("tmap", Func{Higher: true, Doc: "HoTPP T-mAP of horizon predictions", F: func(in *Input) (float64, error) {
		if len(in.Horizons) == 0 {
			return 0, missing("Horizons")
		}
		r, err := TMAP(in.Horizons, in.TMAP)
		return r.TMAP, err
	}})
	Register("ks", Func{Doc: "Kolmogorov-Smirnov distance of rescaled gaps to Exp(1)", F: func(in *Input) (float64, error) {
		if len(in.RescaledGaps) == 0 {
			return 0, missing("RescaledGaps")
		}
		r, err := KSExp1(in.RescaledGaps)
		return r.D, err
	}})
	Register("ks_pvalue", Func{Higher: true, Doc: "asymptotic p-value of the KS test of rescaled gaps against Exp(1)", F: func(in *Input) (float64, error) {
		if len(in.RescaledGaps) == 0 {
			return 0, missing("RescaledGaps")
		}
		r, err := KSExp1(in.RescaledGaps)
		return r.PValue, err
	}})
}
