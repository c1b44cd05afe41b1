package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/report"
	"github.com/gotpp/gotpp/sampler"
	"github.com/gotpp/gotpp/train"
)

// SpeedOptions configure Speed.
type SpeedOptions struct {
	Models []string // as Options.Models
	// Data is a data-set directory (its train and test splits are used); ""
	// generates a 3-type Hawkes data set (SpeedData).
	Data string
	// Steps is the number of training batches timed per neural model
	// (default 20), after one untimed warm-up batch.
	Steps     int
	BatchSize int // default 64
	Workers   int // default 2
	// PredictEvents is the number of test events predicted (default 1000).
	PredictEvents int
	Seed          int64
	Progress      io.Writer // one line per model (nil = none)
}

// SpeedRow is one model's throughput.
type SpeedRow struct {
	Model     string `json:"model"`
	Kind      string `json:"kind"`
	NumParams int    `json:"num_params"`
	// Training: neural models run Steps batches of BatchSize sequences
	// (Batches says how many the length bucketing made); classical models
	// one whole fit of the train split.
	Batches              int     `json:"batches,omitempty"`
	TrainEvents          int     `json:"train_events"`
	TrainSeconds         float64 `json:"train_seconds"`
	TrainEventsPerSecond float64 `json:"train_events_per_second"`
	// Prediction: one-step quadrature prediction (easytpp convention) of
	// the first test sequences, PredictEvents events at least.
	PredictEvents          int     `json:"predict_events"`
	PredictSeconds         float64 `json:"predict_seconds"`
	PredictEventsPerSecond float64 `json:"predict_events_per_second"`
	PeakRSSBytes           uint64  `json:"peak_rss_bytes"`
	PeakGoBytes            uint64  `json:"peak_go_bytes"`
	Note                   string  `json:"note,omitempty"`
}

// Machine describes where Speed ran.
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPU        string `json:"cpu,omitempty"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
}

// SpeedResult is the outcome of Speed.
type SpeedResult struct {
	Machine   Machine    `json:"machine"`
	Data      string     `json:"data"`
	Steps     int        `json:"steps"`
	BatchSize int        `json:"batch_size"`
	Workers   int        `json:"workers"`
	Rows      []SpeedRow `json:"rows"`
}

// SpeedData is Speed's default data set: 400 sequences of the 3-type Hawkes
// process of `tpp demo` on [0, 100] (about 40 events each), 70/10/20 split.
func SpeedData(seed uint64) (map[string]*data.Dataset, error) {
	m := hawkes.MustNew(hawkes.NewScalarParams(
		[]float64{0.2, 0.1, 0.15},
		[][]float64{{0.3, 0.1, 0}, {0.2, 0.2, 0.1}, {0, 0.2, 0.3}},
		1.5))
	return sampler.HawkesDataset(m, sampler.DatasetOptions{Name: "hawkes-speed", Sequences: 400, Start: 0, End: 100, Seed: seed})
}

func machine() Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return m
}

// Speed measures training and prediction throughput and peak memory per
// model, for comparing machines and versions.
func Speed(ctx context.Context, o SpeedOptions) (*SpeedResult, error) {
	if o.Steps == 0 {
		o.Steps = 20
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.PredictEvents == 0 {
		o.PredictEvents = 1000
	}
	if o.Steps < 0 || o.BatchSize < 0 || o.Workers < 0 || o.PredictEvents < 0 {
		return nil, errors.New("bench: speed: steps, batch size, workers and predict events must be > 0")
	}
	models, err := expandModels(o.Models)
	if err != nil {
		return nil, err
	}
	var trainDS, testDS *data.Dataset
	name := "generated Hawkes (3 types, 400 sequences on [0, 100])"
	if o.Data != "" {
		ds, err := loadData(o.Data, data.OriginZero)
		if err != nil {
			return nil, err
		}
		trainDS, testDS, name = ds.train, ds.test, ds.name
	} else {
		splits, err := SpeedData(uint64(o.Seed))
		if err != nil {
			return nil, err
		}
		trainDS, testDS = splits["train"], splits["test"]
	}
	res := &SpeedResult{Machine: machine(), Data: name, Steps: o.Steps, BatchSize: o.BatchSize, Workers: o.Workers}
	// The prediction subset: leading test sequences up to PredictEvents
	// scored events.
	pred := &data.Dataset{Name: testDS.Name, NumTypes: testDS.NumTypes}
	for i, n := 0, 0; i < len(testDS.Seqs) && n < o.PredictEvents; i++ {
		pred.Seqs = append(pred.Seqs, testDS.Seqs[i])
		n += max(testDS.Seqs[i].Len()-1, 0)
	}
	for _, m := range models {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		row, err := speedModel(ctx, m, trainDS, pred, o)
		if err != nil {
			return res, fmt.Errorf("bench: speed: %s: %w", m, err)
		}
		res.Rows = append(res.Rows, row)
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s: train %.0f events/s, predict %.0f events/s\n", m, row.TrainEventsPerSecond, row.PredictEventsPerSecond)
		}
	}
	return res, nil
}

func speedModel(ctx context.Context, name string, trainDS, pred *data.Dataset, o SpeedOptions) (SpeedRow, error) {
	row := SpeedRow{Model: name}
	mw := startMemWatch()
	var m any
	if isClassical(name) {
		row.Kind = "classical"
		t0 := time.Now()
		switch name {
		case poisson.Name:
			pm, err := poisson.Fit(trainDS, likelihood.Full)
			if err != nil {
				return row, err
			}
			m, row.NumParams = pm, len(pm.Rate)
		case hawkes.Name:
			hm, _, err := hawkes.Fit(trainDS, hawkes.FitOptions{ScalarBeta: true, Convention: likelihood.Full, Workers: o.Workers})
			if err != nil {
				return row, err
			}
			k := hm.NumTypes()
			m, row.NumParams = hm, k+k*k+1
		}
		row.TrainSeconds = time.Since(t0).Seconds()
		row.TrainEvents = trainDS.NumEvents()
		row.Note = "training = one whole fit of the train split"
	} else {
		row.Kind = "neural"
		su, err := (&Options{Workers: o.Workers}).setupNeural(name, nil)
		if err != nil {
			return row, err
		}
		nm, err := su.spec.New(trainDS.NumTypes, su.hyper, uint64(o.Seed))
		if err != nil {
			return row, err
		}
		row.NumParams = params.Count(nm.Params())
		opts := su.opts
		opts.BatchSize, opts.Seed, opts.Epochs = o.BatchSize, o.Seed, 1
		// Warm-up: one batch, untimed.
		if _, err := train.Run(ctx, nm, subset(trainDS, o.BatchSize, 0), nil, opts); err != nil {
			return row, err
		}
		// Timed: Steps batches' worth of sequences (cycling through the
		// train split), in as many epochs as that takes.
		sub := subset(trainDS, o.Steps*o.BatchSize, o.BatchSize)
		tr, err := train.Run(ctx, nm, sub, nil, opts)
		if err != nil {
			return row, err
		}
		for _, e := range tr.History {
			row.Batches += e.Batches
			row.TrainEvents += e.TrainEvents
			row.TrainSeconds += e.TrainSeconds
		}
		m = nm
	}
	if row.TrainSeconds > 0 {
		row.TrainEventsPerSecond = float64(row.TrainEvents) / row.TrainSeconds
	}
	if pm, ok := m.(predict.Model); ok {
		t0 := time.Now()
		rows, err := predict.Dataset(pm, pred, predict.Options{Convention: likelihood.EasyTPP, Workers: o.Workers})
		if err != nil {
			return row, err
		}
		row.PredictSeconds = time.Since(t0).Seconds()
		row.PredictEvents = len(rows)
		if row.PredictSeconds > 0 {
			row.PredictEventsPerSecond = float64(len(rows)) / row.PredictSeconds
		}
	} else {
		row.Note = strings.TrimPrefix(row.Note+"; cannot predict (no predict.Model)", "; ")
	}
	rss, _, goBytes := mw.done()
	row.PeakRSSBytes, row.PeakGoBytes = rss, goBytes
	return row, nil
}

// subset returns n sequences of ds, cycling from offset.
func subset(ds *data.Dataset, n, offset int) *data.Dataset {
	out := &data.Dataset{Name: ds.Name, NumTypes: ds.NumTypes, TypeNames: ds.TypeNames, Seqs: make([]data.Sequence, n)}
	for i := range out.Seqs {
		out.Seqs[i] = ds.Seqs[(offset+i)%len(ds.Seqs)]
	}
	return out
}

// Table renders the throughput table.
func (r *SpeedResult) Table() report.Table {
	t := report.Table{
		Caption: fmt.Sprintf("Throughput on %s; %s/%s, %d CPUs (GOMAXPROCS %d), %s; %s; batch %d, %d timed steps, %d workers",
			r.Data, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.NumCPU, r.Machine.GOMAXPROCS, r.Machine.GoVersion, r.Machine.CPU, r.BatchSize, r.Steps, r.Workers),
		Header: []string{"model", "parameters", "train events/s", "train s", "predict events/s", "predict s", "peak RSS MiB", "peak Go MiB", "note"},
	}
	var vals [][]float64
	for _, row := range r.Rows {
		rss, gob := float64(row.PeakRSSBytes)/(1<<20), float64(row.PeakGoBytes)/(1<<20)
		t.Rows = append(t.Rows, []string{row.Model, strconv.Itoa(row.NumParams),
			formatNum(row.TrainEventsPerSecond, -4), formatNum(row.TrainSeconds, -3),
			formatNum(row.PredictEventsPerSecond, -4), formatNum(row.PredictSeconds, -3),
			formatNum(rss, -4), formatNum(gob, -4), row.Note})
		vals = append(vals, []float64{math.NaN(), math.NaN(), row.TrainEventsPerSecond, math.NaN(),
			nanIfZero(row.PredictEventsPerSecond), math.NaN(), nanIfZero(rss), nanIfZero(gob)})
	}
	t.Bold = MarkBest(vals, []Direction{Neutral, Neutral, HigherBetter, Neutral, HigherBetter, Neutral, LowerBetter, LowerBetter})
	return t
}

func nanIfZero(x float64) float64 {
	if x == 0 {
		return math.NaN()
	}
	return x
}

// Write writes speed.json and speed.md into dir, atomically.
func (r *SpeedResult) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, "speed.json"), r); err != nil {
		return err
	}
	t := r.Table()
	return atomicfile.WriteFile(filepath.Join(dir, "speed.md"), []byte("# gotpp throughput\n\n"+t.Markdown()))
}
