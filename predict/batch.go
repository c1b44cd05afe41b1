package predict

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/metrics"
)

// Row is the one-step prediction of one target event.
type Row struct {
	Seq      int     `json:"seq"` // sequence index in the data set
	SeqID    string  `json:"seq_id,omitempty"`
	Index    int     `json:"index"`     // event index in the sequence
	TrueDt   float64 `json:"true_dt"`   // t_i - t_{i-1} (t_0 - Start for i = 0)
	TrueMark int     `json:"true_mark"` // k_i
	// Mean and Median are the predicted waiting time's mean and median;
	// when Defective they are conditioned on an event happening (see
	// Prediction.MeanGivenEvent), so that they stay finite; when no event
	// can happen at all they are the integration horizon.
	Mean      float64   `json:"mean"`
	Median    float64   `json:"median"`
	Mark      int       `json:"mark"`
	TopK      []int     `json:"topk"`
	TopKProbs []float64 `json:"topk_probs"`
	Defective bool      `json:"defective,omitempty"`
	TailMass  float64   `json:"tail_mass"`
	// Evals is the number of intensity (or density) evaluations the
	// prediction took: its cost, for diagnosing slow models.
	Evals int `json:"evals"`
	// HasDraw marks rows with EasyTPP's single-draw prediction (Options.Draw);
	// for a defective law the draw is conditioned on an event happening.
	HasDraw  bool    `json:"has_draw,omitempty"`
	DrawDt   float64 `json:"draw_dt,omitempty"`
	DrawMark int     `json:"draw_mark,omitempty"`
}

// Sequence predicts every target event of seq (all events under
// likelihood.Full, events 1.. under likelihood.EasyTPP) from its history.
// Draws, if asked for, use the PCG stream (opts.Seed, 0).
func Sequence(m Model, seq *data.Sequence, opts Options) ([]Row, error) {
	return sequenceRows(m, seq, 0, opts.resolved())
}

func sequenceRows(m Model, seq *data.Sequence, si int, o Options) ([]Row, error) {
	k := m.NumTypes()
	if err := seq.Validate(k); err != nil {
		return nil, fmt.Errorf("predict: sequence %q (#%d): %w", seq.ID, si, err)
	}
	first, _, _ := likelihood.Scope(seq, o.Convention)
	var rng *rand.Rand
	if o.Draw {
		rng = rand.New(rand.NewPCG(o.Seed, uint64(si)))
	}
	rows := make([]Row, 0, max(0, seq.Len()-first))
	e := &engine{}
	for i, n := range lawsOf(m, seq) {
		if i < first {
			continue
		}
		if i >= seq.Len() {
			break
		}
		prev := seq.Start
		if i > 0 {
			prev = seq.Times[i-1]
		}
		r := Row{Seq: si, SeqID: seq.ID, Index: i, TrueDt: seq.Times[i] - prev, TrueMark: seq.Types[i]}
		if n != nil && n.NumTypes() != k {
			return nil, fmt.Errorf("predict: sequence %q (#%d) event %d: Next has %d types, model %d", seq.ID, si, i, n.NumTypes(), k)
		}
		if err := e.reset(n, o); err != nil {
			return nil, fmt.Errorf("predict: sequence %q (#%d) event %d: %w", seq.ID, si, i, err)
		}
		pr, err := e.analyze()
		if err != nil {
			return nil, fmt.Errorf("predict: sequence %q (#%d) event %d: %w", seq.ID, si, i, err)
		}
		r.Mean, r.Median = pr.MeanGivenEvent, pr.MedianGivenEvent
		if math.IsNaN(r.Mean) || math.IsNaN(r.Median) {
			// No event possible: fall back to the horizon, as EasyTPP falls
			// back to dtime_max (keeps the row finite and JSON-encodable).
			r.Mean, r.Median = pr.Horizon, pr.Horizon
		}
		r.Mark, r.TopK, r.TopKProbs = pr.Mark, pr.TopK, pr.TopKProbs
		r.Defective, r.TailMass, r.Evals = pr.Defective, pr.TailMass, pr.Evals
		if o.Draw {
			level := rng.ExpFloat64()
			if pr.Defective {
				level = -math.Log1p(-rng.Float64() * (1 - pr.TailMass))
			}
			dt, mk := pr.Horizon, pr.Mark // no event possible: the horizon
			if pr.TailMass < 1 {
				if err := e.ensurePrepared(); err != nil {
					return nil, fmt.Errorf("predict: sequence %q (#%d) event %d: draw: %w", seq.ID, si, i, err)
				}
				e.evals = 0
				dt, mk, err = e.sample(rng, level, true)
				if err != nil {
					return nil, fmt.Errorf("predict: sequence %q (#%d) event %d: draw: %w", seq.ID, si, i, err)
				}
				if math.IsInf(dt, 1) { // level beyond the resolved horizon
					dt, mk = pr.Horizon, pr.Mark
				}
			}
			r.HasDraw, r.DrawDt, r.DrawMark = true, dt, mk
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Dataset predicts every target event of every sequence of ds, on
// opts.Workers goroutines (default 2). Rows come in sequence order, then
// event order, and do not depend on the number of workers: each sequence's
// draws use their own PCG stream (opts.Seed, sequence index).
func Dataset(m Model, ds *data.Dataset, opts Options) ([]Row, error) {
	o := opts.resolved()
	if ds.NumTypes > 0 && ds.NumTypes != m.NumTypes() {
		return nil, fmt.Errorf("predict: data set %s has %d types, model %d", ds.Name, ds.NumTypes, m.NumTypes())
	}
	out := make([][]Row, len(ds.Seqs))
	errs := make([]error, len(ds.Seqs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for si := range jobs {
				out[si], errs[si] = sequenceRows(m, &ds.Seqs[si], si, o)
			}
		}()
	}
	for si := range ds.Seqs {
		jobs <- si
	}
	close(jobs)
	wg.Wait()
	total := 0
	for si := range out {
		if errs[si] != nil {
			return nil, errs[si]
		}
		total += len(out[si])
	}
	rows := make([]Row, 0, total)
	for si := range out {
		rows = append(rows, out[si]...)
	}
	return rows, nil
}

// Summary aggregates rows into the usual one-step metrics.
type Summary struct {
	N          int     `json:"n"`
	RMSEMean   float64 `json:"rmse_mean"`
	MAEMean    float64 `json:"mae_mean"`
	RMSEMedian float64 `json:"rmse_median"`
	MAEMedian  float64 `json:"mae_median"`
	Accuracy   float64 `json:"accuracy"`
	MacroF1    float64 `json:"macro_f1"`
	// TopKAccuracy is the fraction of rows whose true mark is in TopK.
	TopKAccuracy float64 `json:"topk_accuracy"`
	TopK         int     `json:"topk"`
	// Draw metrics (EasyTPP-style), present when every row has a draw.
	HasDraw      bool    `json:"has_draw"`
	RMSEDraw     float64 `json:"rmse_draw,omitempty"`
	AccuracyDraw float64 `json:"accuracy_draw,omitempty"`
	// Defective counts rows whose law was defective.
	Defective int `json:"defective"`
}

// Summarize computes a Summary of rows with the metrics package.
func Summarize(rows []Row) (Summary, error) {
	var s Summary
	n := len(rows)
	if n == 0 {
		return s, fmt.Errorf("predict: no rows to summarise")
	}
	s.N = n
	trueDt := make([]float64, n)
	mean := make([]float64, n)
	med := make([]float64, n)
	draw := make([]float64, n)
	trueMark := make([]int, n)
	mark := make([]int, n)
	drawMark := make([]int, n)
	s.HasDraw = true
	s.TopK = len(rows[0].TopK)
	hit := 0
	for i, r := range rows {
		trueDt[i], mean[i], med[i], draw[i] = r.TrueDt, r.Mean, r.Median, r.DrawDt
		trueMark[i], mark[i], drawMark[i] = r.TrueMark, r.Mark, r.DrawMark
		s.HasDraw = s.HasDraw && r.HasDraw
		if r.Defective {
			s.Defective++
		}
		for _, k := range r.TopK {
			if k == r.TrueMark {
				hit++
				break
			}
		}
		s.TopK = min(s.TopK, len(r.TopK))
	}
	s.TopKAccuracy = float64(hit) / float64(n)
	var err error
	if s.RMSEMean, err = metrics.RMSE(mean, trueDt); err != nil {
		return s, err
	}
	if s.MAEMean, err = metrics.MAE(mean, trueDt); err != nil {
		return s, err
	}
	if s.RMSEMedian, err = metrics.RMSE(med, trueDt); err != nil {
		return s, err
	}
	if s.MAEMedian, err = metrics.MAE(med, trueDt); err != nil {
		return s, err
	}
	if s.Accuracy, err = metrics.Accuracy(mark, trueMark); err != nil {
		return s, err
	}
	if s.MacroF1, err = metrics.MacroF1(mark, trueMark); err != nil {
		return s, err
	}
	if s.HasDraw {
		if s.RMSEDraw, err = metrics.RMSE(draw, trueDt); err != nil {
			return s, err
		}
		if s.AccuracyDraw, err = metrics.Accuracy(drawMark, trueMark); err != nil {
			return s, err
		}
	}
	return s, nil
}

// CSVHeader is the header WriteCSV writes.
var CSVHeader = []string{"seq", "seq_id", "index", "true_dt", "true_mark", "mean", "median", "mark", "topk", "topk_probs", "defective", "tail_mass", "draw_dt", "draw_mark"}

// WriteCSV writes rows as CSV (CSVHeader; top-k marks and probabilities
// joined by ';'; draw columns empty without a draw) to w.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, r := range rows {
		ks := make([]string, len(r.TopK))
		ps := make([]string, len(r.TopKProbs))
		for i, k := range r.TopK {
			ks[i] = strconv.Itoa(k)
		}
		for i, p := range r.TopKProbs {
			ps[i] = f(p)
		}
		dd, dm := "", ""
		if r.HasDraw {
			dd, dm = f(r.DrawDt), strconv.Itoa(r.DrawMark)
		}
		rec := []string{strconv.Itoa(r.Seq), r.SeqID, strconv.Itoa(r.Index), f(r.TrueDt), strconv.Itoa(r.TrueMark),
			f(r.Mean), f(r.Median), strconv.Itoa(r.Mark), strings.Join(ks, ";"), strings.Join(ps, ";"),
			strconv.FormatBool(r.Defective), f(r.TailMass), dd, dm}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteCSVFile writes rows to path atomically (see WriteCSV).
func WriteCSVFile(path string, rows []Row) error {
	return atomicfile.Write(path, func(w io.Writer) error { return WriteCSV(w, rows) })
}

// RescaledGaps returns, for every target event i of seq (chosen by
// opts.Convention as in Sequence), Λ_i(t_i - t_{i-1}) = ∫ Σ_k λ_k over the
// gap before event i under the model's law for that event (closed-form when
// the Next is Compensated or a Density, otherwise adaptive Gauss-Kronrod to
// opts.Tol). Under a correct model these are i.i.d. Exp(1); feed them to
// metrics.KSExp1 and metrics.QQExp1.
func RescaledGaps(m Model, seq *data.Sequence, opts Options) ([]float64, error) {
	o := opts.resolved()
	if err := seq.Validate(m.NumTypes()); err != nil {
		return nil, fmt.Errorf("predict: sequence %q: %w", seq.ID, err)
	}
	first, _, _ := likelihood.Scope(seq, o.Convention)
	out := make([]float64, 0, max(0, seq.Len()-first))
	for i := first; i < seq.Len(); i++ {
		prev := seq.Start
		if i > 0 {
			prev = seq.Times[i-1]
		}
		dt := seq.Times[i] - prev
		e, err := newEngine(m.NextAfter(seq, i), o)
		if err != nil {
			return nil, fmt.Errorf("predict: sequence %q event %d: %w", seq.ID, i, err)
		}
		var v float64
		switch e.mode {
		case exact:
			v, err = e.compAt(dt)
		case dens:
			var s float64
			_, s, err = e.densAt(dt)
			v = -math.Log(s)
		default:
			v, err = adaptiveGK(func(x float64) (float64, error) { return e.intens(x, e.scr) }, 0, dt, o.Tol, 40)
		}
		if err != nil {
			return nil, fmt.Errorf("predict: sequence %q event %d: %w", seq.ID, i, err)
		}
		out = append(out, v)
	}
	return out, nil
}
