package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/evaluation"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

// Num is a float64 that is written to JSON in Go's shortest round-trip
// decimal form, with NaN and ±Inf written as null (and null read back as
// NaN), so that results files are valid JSON and deterministic.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// Cell is the record of one model × data set × seed.
type Cell struct {
	Data      string       `json:"data"`
	DataHash  string       `json:"data_hash"` // FNV-1a 64 of the data set's splits (see hashData)
	Model     string       `json:"model"`
	Kind      string       `json:"kind"` // classical or neural
	SeedIndex int          `json:"seed_index"`
	Seed      int64        `json:"seed"`
	NumParams int          `json:"num_params"`
	Hyper     *model.Hyper `json:"hyper,omitempty"`
	Train     TrainSummary `json:"train"`
	// Metrics holds the test-split metrics (see MetricKeys).
	Metrics map[string]Num `json:"metrics"`
	Notes   []string       `json:"notes,omitempty"`
	// Error is set when the cell failed; Metrics then holds what was
	// computed before the failure.
	Error string `json:"error,omitempty"`
	// QQ is the QQ plot of the test split's rescaled gaps against Exp(1)
	// (at most 200 points); kept in the cell file for the figures, left out
	// of results.json.
	QQ     []metrics.QQPoint `json:"qq,omitempty"`
	Timing Timing            `json:"timing"`
}

// TrainSummary describes the training of a cell.
type TrainSummary struct {
	// Neural: epochs completed, the epoch whose parameters were evaluated
	// and its dev log-likelihood per event (full convention).
	Epochs       int    `json:"epochs,omitempty"`
	BestEpoch    int    `json:"best_epoch,omitempty"`
	BestDev      Num    `json:"best_dev_loglik_per_event"`
	StoppedEarly bool   `json:"stopped_early,omitempty"`
	BatchSize    int    `json:"batch_size,omitempty"`
	LR           Num    `json:"lr,omitempty"`
	ConfigBlock  string `json:"config_block,omitempty"`
	// TrainEvents is the number of events scored per epoch (classical: by
	// the fit); TrainLoss the last epoch's negative log-likelihood per event
	// (classical: of the fit).
	TrainEvents int `json:"train_events"`
	TrainLoss   Num `json:"train_loss"`
	// Classical fits: L-BFGS iterations and status (hawkes).
	Iterations int    `json:"iterations,omitempty"`
	Status     string `json:"status,omitempty"`
}

// Timing holds a cell's machine-dependent numbers.
type Timing struct {
	// TrainSeconds is the time spent training: neural, the sum over epochs
	// of the whole epoch (dev evaluation included); classical, the fit.
	TrainSeconds float64 `json:"train_seconds"`
	// SecondsPerEpoch is the mean time of an epoch's training batches
	// (neural) or the fit time (classical: one "epoch").
	SecondsPerEpoch float64 `json:"train_seconds_per_epoch"`
	// TrainEventsPerSecond is training throughput: events of the training
	// batches over their time (classical: train events over the fit time).
	TrainEventsPerSecond float64 `json:"train_events_per_second"`
	// PredictSeconds is the one-step prediction of the whole test split;
	// PredictEventsPerSecond the predictions made per second.
	PredictSeconds         float64 `json:"predict_seconds"`
	PredictEventsPerSecond float64 `json:"predict_events_per_second"`
	// EvalSeconds is the wall time of each evaluation part.
	EvalSeconds map[string]float64 `json:"eval_seconds"`
	// CellSeconds is the wall time of the cell in the run that computed it
	// (a resumed neural cell counts only the resumed part).
	CellSeconds float64 `json:"cell_seconds"`
	// Peak memory, process-wide (see the package documentation).
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
	PeakRSSReset bool   `json:"peak_rss_reset"`
	PeakGoBytes  uint64 `json:"peak_go_bytes"`
	// ResumedAtEpoch is the number of epochs a resumed neural cell found
	// already done.
	ResumedAtEpoch int `json:"resumed_at_epoch,omitempty"`
}

// MetricKeys lists the metric keys a cell can hold, in table order:
// loglik_per_event, time_ and mark_loglik_per_event, loglik and num_events
// under the full convention, the same with an _easytpp suffix, then the
// prediction (easytpp convention), calibration and horizon keys of package
// evaluation.
var MetricKeys = []string{
	"loglik_per_event", "time_loglik_per_event", "mark_loglik_per_event", "loglik", "num_events",
	"loglik_per_event_easytpp", "time_loglik_per_event_easytpp", "mark_loglik_per_event_easytpp", "loglik_easytpp", "num_events_easytpp",
	"rmse", "mae", "rmse_median", "mae_median", "accuracy", "error_rate", "macro_f1", "topk_accuracy", "num_predictions", "defective",
	"ks_statistic", "ks_pvalue",
	"otd", "tmap", "tmap_weighted", "num_horizon_cases",
}

// dataSet is a loaded benchmark data set.
type dataSet struct {
	name, dir, abs   string
	hash             string
	train, dev, test *data.Dataset
	origin           data.Origin // recorded in the cells' run.json (tpp eval --run follows it)
}

func loadData(dir string, origin data.Origin) (*dataSet, error) {
	splits, err := data.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bench: data set %s: %w", dir, err)
	}
	for _, d := range splits {
		d.ApplyOrigin(origin)
	}
	if origin == "" {
		origin = data.OriginZero
	}
	ds := &dataSet{dir: dir, train: splits["train"], dev: splits["dev"], test: splits["test"], origin: origin}
	ds.abs, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ds.name = filepath.Base(ds.abs)
	if ds.train == nil || ds.test == nil {
		return nil, fmt.Errorf("bench: data set %s: needs a train and a test split (has %v)", dir, data.SortedSplits(splits))
	}
	for _, split := range data.Splits {
		d := splits[split]
		if d == nil {
			continue
		}
		for i := range d.Seqs {
			if err := d.Seqs[i].Validate(d.NumTypes); err != nil {
				return nil, fmt.Errorf("bench: data set %s, split %s, sequence %d (id %q): %w", dir, split, i, d.Seqs[i].ID, err)
			}
		}
	}
	ds.hash = hashData(splits)
	return ds, nil
}

// hashData fingerprints the splits a benchmark uses: FNV-1a 64 over, for
// each of train/dev/test present, its name, the number of types, and every
// sequence's window, event times (IEEE bits) and types.
func hashData(splits map[string]*data.Dataset) string {
	h := fnv.New64a()
	var buf [8]byte
	put := func(u uint64) {
		for i := range buf {
			buf[i] = byte(u >> (8 * i))
		}
		h.Write(buf[:])
	}
	for _, split := range data.Splits {
		d := splits[split]
		if d == nil {
			continue
		}
		h.Write([]byte(split))
		put(uint64(d.NumTypes))
		put(uint64(len(d.Seqs)))
		for i := range d.Seqs {
			s := &d.Seqs[i]
			put(math.Float64bits(s.Start))
			put(math.Float64bits(s.End))
			put(uint64(len(s.Times)))
			for j, t := range s.Times {
				put(math.Float64bits(t))
				put(uint64(s.Types[j]))
			}
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// cellJob is one cell to compute.
type cellJob struct {
	ds        *dataSet
	model     string
	seedIndex int
	seed      int64
	runDir    string
	neural    *neuralSetup // nil for classical models
}

func (j *cellJob) key() string { return fmt.Sprintf("%s/%s seed%d", j.ds.name, j.model, j.seedIndex) }

// errAborted wraps a cancellation: the cell is not recorded.
type errAborted struct{ err error }

func (e errAborted) Error() string { return e.err.Error() }
func (e errAborted) Unwrap() error { return e.err }

// runCell trains and evaluates one cell. A returned error means the run was
// cancelled (nothing is recorded); failures of the cell itself are recorded
// in Cell.Error.
func (r *runner) runCell(ctx context.Context, j *cellJob) (*Cell, error) {
	t0 := time.Now()
	mw := startMemWatch()
	c := &Cell{Data: j.ds.name, DataHash: j.ds.hash, Model: j.model, SeedIndex: j.seedIndex, Seed: j.seed,
		Metrics: map[string]Num{}, Timing: Timing{EvalSeconds: map[string]float64{}}}
	c.Train.BestDev, c.Train.TrainLoss = Num(math.NaN()), Num(math.NaN())
	m, err := r.trainCell(ctx, j, c)
	if err == nil {
		err = r.evaluateCell(ctx, j, m, c)
	}
	rss, reset, goBytes := mw.done()
	c.Timing.PeakRSSBytes, c.Timing.PeakRSSReset, c.Timing.PeakGoBytes = rss, reset, goBytes
	c.Timing.CellSeconds = time.Since(t0).Seconds()
	if err != nil {
		if ctx.Err() != nil || errors.As(err, new(errAborted)) {
			return nil, err
		}
		c.Error = err.Error()
	}
	return c, nil
}

func (r *runner) trainCell(ctx context.Context, j *cellJob, c *Cell) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, errAborted{err}
	}
	if j.neural == nil {
		c.Kind = "classical"
		return r.fitClassical(j, c)
	}
	c.Kind = "neural"
	return r.trainNeural(ctx, j, c)
}

func (r *runner) fitClassical(j *cellJob, c *Cell) (any, error) {
	tr := j.ds.train
	conv := likelihood.Full
	var (
		m     interface{ SaveParams(string) error }
		score likelihood.SequenceScorer
	)
	t0 := time.Now()
	results := map[string]any{}
	switch j.model {
	case poisson.Name:
		pm, err := poisson.Fit(tr, conv)
		if err != nil {
			return nil, err
		}
		c.Timing.TrainSeconds = time.Since(t0).Seconds()
		c.NumParams = len(pm.Rate)
		m, score = pm, pm
	case hawkes.Name:
		hm, res, err := hawkes.Fit(tr, hawkes.FitOptions{ScalarBeta: true, Convention: conv, Workers: r.o.Workers})
		if err != nil {
			return nil, err
		}
		c.Timing.TrainSeconds = res.Seconds
		k := hm.NumTypes()
		c.NumParams = k + k*k + 1
		c.Train.Iterations, c.Train.Status = res.Iterations, res.Status
		c.Notes = append(c.Notes, res.Warnings...)
		results["iterations"], results["status"], results["spectral_radius"] = res.Iterations, res.Status, res.SpectralRadius
		m, score = hm, hm
	default:
		return nil, fmt.Errorf("bench: %s is not a classical model", j.model)
	}
	p, err := likelihood.Evaluate(score, tr, conv)
	if err != nil {
		return nil, err
	}
	c.Train.TrainEvents, c.Train.TrainLoss = p.NumEvents, Num(-p.PerEvent())
	c.Timing.SecondsPerEpoch = c.Timing.TrainSeconds
	if c.Timing.TrainSeconds > 0 {
		c.Timing.TrainEventsPerSecond = float64(p.NumEvents) / c.Timing.TrainSeconds
	}
	// A run directory, as `tpp train` writes, so that the fit can be
	// reloaded (figures, tpp eval --run).
	if err := os.MkdirAll(j.runDir, 0o755); err != nil {
		return nil, err
	}
	if err := m.SaveParams(j.runDir); err != nil {
		return nil, err
	}
	results["train_loglik_per_event"] = p.PerEvent()
	info := &runs.Info{Model: j.model, Data: j.ds.abs, NumTypes: tr.NumTypes, Seed: j.seed,
		Created: time.Now().UTC().Format(time.RFC3339), Command: os.Args,
		Options: map[string]any{"convention": conv.String(), "origin": string(j.ds.origin), "beta": "scalar", "bench": true}, Results: results}
	if err := runs.WriteInfo(j.runDir, info); err != nil {
		return nil, err
	}
	return m, nil
}

func (r *runner) trainNeural(ctx context.Context, j *cellJob, c *Cell) (any, error) {
	su := j.neural
	h := su.hyper
	c.Hyper = &h
	c.Notes = append(c.Notes, su.notes...)
	tr := j.ds.train
	m, err := su.spec.New(tr.NumTypes, h, uint64(j.seed))
	if err != nil {
		return nil, err
	}
	c.NumParams = params.Count(m.Params())
	opts := su.opts
	opts.Seed = j.seed
	opts.OutDir = j.runDir
	opts.Convention = likelihood.Full
	if _, err := os.Stat(filepath.Join(j.runDir, train.CheckpointFile)); err == nil {
		opts.Resume = true
	}
	opts.OnEpoch = func(rec train.EpochRecord) { r.prog.epoch(rec, opts.Epochs) }
	c.Train.BatchSize, c.Train.LR, c.Train.ConfigBlock = opts.BatchSize, Num(opts.LR), su.block
	if j.ds.dev == nil {
		c.Notes = append(c.Notes, "no dev split: the last epoch's parameters are evaluated")
	}
	res, err := train.Run(ctx, m, tr, j.ds.dev, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, errAborted{err}
		}
		return nil, err
	}
	c.Timing.ResumedAtEpoch = res.StartEpoch
	c.Train.Epochs, c.Train.BestEpoch, c.Train.BestDev, c.Train.StoppedEarly = res.Epochs, res.BestEpoch, Num(res.BestDev), res.StoppedEarly
	c.Train.TrainLoss = Num(res.TrainLoss)
	var batchSecs, epochSecs float64
	var events int
	for _, e := range res.History {
		batchSecs += e.TrainSeconds
		epochSecs += e.Seconds
		events += e.TrainEvents
	}
	if n := len(res.History); n > 0 {
		c.Train.TrainEvents = res.History[n-1].TrainEvents
		c.Timing.SecondsPerEpoch = batchSecs / float64(n)
	}
	c.Timing.TrainSeconds = epochSecs
	if batchSecs > 0 {
		c.Timing.TrainEventsPerSecond = float64(events) / batchSecs
	}
	info := &runs.Info{Model: su.spec.Name, Data: j.ds.abs, NumTypes: tr.NumTypes, Seed: j.seed,
		Created: time.Now().UTC().Format(time.RFC3339), Command: os.Args,
		Options: map[string]any{"hyper": h, "epochs": opts.Epochs, "batch_size": opts.BatchSize, "lr": opts.LR,
			"patience": opts.Patience, "workers": opts.Workers, "convention": opts.Convention.String(),
			"origin": string(j.ds.origin), "config_block": su.block, "bench": true},
		Results: map[string]any{"epochs": res.Epochs, "best_epoch": res.BestEpoch, "best_dev_loglik_per_event": finiteOrNil(res.BestDev),
			"train_loss": finiteOrNil(res.TrainLoss), "num_params": c.NumParams}}
	if err := runs.WriteInfo(j.runDir, info); err != nil {
		return nil, err
	}
	return m, nil
}

func finiteOrNil(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// evaluateCell scores the test split. The log-likelihood under either
// convention must succeed; a failing prediction group is noted and the
// others still run.
func (r *runner) evaluateCell(ctx context.Context, j *cellJob, m any, c *Cell) error {
	test := j.ds.test
	base := evaluation.Options{Workers: r.o.Workers, Horizon: r.o.Horizon, MaxCases: max(r.o.MaxCases, 0), Seed: uint64(j.seed)}
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		o := base
		o.Metrics, o.Convention = []string{"loglik"}, conv
		res, err := evaluation.Run(m, test, o)
		if err != nil {
			return fmt.Errorf("test log-likelihood (%s): %w", conv, err)
		}
		suffix := ""
		if conv == likelihood.EasyTPP {
			suffix = "_easytpp"
		}
		v := res.Values
		n := v["num_events"]
		c.Metrics["loglik"+suffix], c.Metrics["num_events"+suffix] = Num(v["loglik"]), Num(n)
		c.Metrics["loglik_per_event"+suffix] = Num(v["loglik_per_event"])
		c.Metrics["time_loglik_per_event"+suffix] = Num(v["time_loglik"] / n)
		c.Metrics["mark_loglik_per_event"+suffix] = Num(v["mark_loglik"] / n)
		c.Timing.EvalSeconds["loglik"+suffix] = res.Seconds["loglik"]
	}
	if _, ok := m.(predict.Model); !ok {
		c.Notes = append(c.Notes, fmt.Sprintf("%s does not implement predict.Model: no prediction, KS or horizon metrics", j.model))
		return nil
	}
	for _, g := range []string{"onestep", "ks", "horizon"} {
		if err := ctx.Err(); err != nil {
			return errAborted{err}
		}
		r.prog.status(g)
		o := base
		o.Metrics, o.Convention = []string{g}, likelihood.EasyTPP
		split := test
		if n := r.o.MaxPredictSeqs; n > 0 && n < len(test.Seqs) && g != "horizon" {
			split = &data.Dataset{Name: test.Name, NumTypes: test.NumTypes, TypeNames: test.TypeNames, Seqs: test.Seqs[:n]}
		}
		res, err := evaluation.Run(m, split, o)
		if err != nil {
			c.Notes = append(c.Notes, fmt.Sprintf("%s metrics failed: %v", g, err))
			continue
		}
		for k, v := range res.Values {
			c.Metrics[k] = Num(v)
		}
		for k, s := range res.Seconds {
			c.Timing.EvalSeconds[k] = s
		}
		switch g {
		case "onestep":
			s := res.Seconds["predict"]
			c.Timing.PredictSeconds = s
			if s > 0 {
				c.Timing.PredictEventsPerSecond = res.Values["num_predictions"] / s
			}
		case "ks":
			if len(res.Gaps) > 0 {
				if c.QQ, err = metrics.QQExp1(res.Gaps, 200); err != nil {
					c.Notes = append(c.Notes, "QQ plot: "+err.Error())
				}
			}
		}
	}
	return nil
}
