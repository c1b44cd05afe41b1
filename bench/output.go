package bench

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/plots"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/report"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

// DataInfo describes a benchmark data set.
type DataInfo struct {
	Name      string         `json:"name"`
	Hash      string         `json:"hash"`
	NumTypes  int            `json:"num_types"`
	Sequences map[string]int `json:"sequences"`
	Events    map[string]int `json:"events"`
}

// Results is the content of results.json.
type Results struct {
	Settings Settings       `json:"settings"`
	Data     []DataInfo     `json:"data"`
	Models   []string       `json:"models"`
	Seeds    []int64        `json:"seeds"`
	Cells    []Cell         `json:"cells"` // without their QQ points
	Summary  []ModelSummary `json:"summary"`
}

// Output file names inside a benchmark directory.
const (
	ResultsJSON = "results.json"
	ResultsCSV  = "results.csv"
	ResultsMD   = "results.md"
	ReportHTML  = "report.html"
	FiguresDir  = "figures"
)

func buildResults(s Settings, sets []*dataSet, models []string, seeds int, cells []Cell) *Results {
	r := &Results{Settings: s, Models: models}
	var names []string
	for _, ds := range sets {
		di := DataInfo{Name: ds.name, Hash: ds.hash, NumTypes: ds.train.NumTypes, Sequences: map[string]int{}, Events: map[string]int{}}
		for split, d := range map[string]*data.Dataset{"train": ds.train, "dev": ds.dev, "test": ds.test} {
			if d != nil {
				di.Sequences[split], di.Events[split] = len(d.Seqs), d.NumEvents()
			}
		}
		r.Data = append(r.Data, di)
		names = append(names, ds.name)
	}
	for k := 0; k < seeds; k++ {
		r.Seeds = append(r.Seeds, s.BaseSeed+int64(k))
	}
	for _, c := range cells {
		c.QQ = nil
		r.Cells = append(r.Cells, c)
	}
	r.Summary = summarize(cells, names, models)
	return r
}

// writeOutputs writes results.json/.csv/.md, the figures and report.html.
func writeOutputs(dir string, res *Results, sets []*dataSet, cells []Cell, prog *progress) error {
	if err := atomicfile.WriteJSON(filepath.Join(dir, ResultsJSON), res); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, ResultsCSV), func(w io.Writer) error { return writeCSV(w, res.Cells) }); err != nil {
		return err
	}
	figs, figNotes := drawFigures(dir, res, sets, cells)
	for _, n := range figNotes {
		prog.note("bench: %s", n)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ResultsMD), []byte(markdown(res))); err != nil {
		return err
	}
	return buildReport(res, figs, figNotes).WriteFile(filepath.Join(dir, ReportHTML))
}

// csvFloat renders a value for the CSV ("" when missing).
func csvFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// writeCSV writes one row per cell: identification, training summary,
// every metric (MetricKeys order, then any other key sorted) and the timing
// numbers (columns prefixed timing.).
func writeCSV(w io.Writer, cells []Cell) error {
	keys := append([]string(nil), MetricKeys...)
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	var extra []string
	for _, c := range cells {
		for k := range c.Metrics {
			if !known[k] {
				known[k] = true
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	timingKeys := []string{"train_seconds", "train_seconds_per_epoch", "train_events_per_second", "predict_seconds",
		"predict_events_per_second", "cell_seconds", "peak_rss_bytes", "peak_go_bytes"}
	header := []string{"data", "model", "kind", "seed_index", "seed", "num_params", "epochs", "best_epoch", "best_dev_loglik_per_event", "error"}
	header = append(header, keys...)
	for _, k := range timingKeys {
		header = append(header, "timing."+k)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, c := range cells {
		row := []string{c.Data, c.Model, c.Kind, strconv.Itoa(c.SeedIndex), strconv.FormatInt(c.Seed, 10), strconv.Itoa(c.NumParams),
			strconv.Itoa(c.Train.Epochs), strconv.Itoa(c.Train.BestEpoch), csvFloat(float64(c.Train.BestDev)), c.Error}
		for _, k := range keys {
			v, ok := c.Metrics[k]
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, csvFloat(float64(v)))
		}
		t := c.Timing
		for _, v := range []float64{t.TrainSeconds, t.SecondsPerEpoch, t.TrainEventsPerSecond, t.PredictSeconds,
			t.PredictEventsPerSecond, t.CellSeconds, float64(t.PeakRSSBytes), float64(t.PeakGoBytes)} {
			row = append(row, csvFloat(v))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func settingsLine(res *Results) string {
	s := res.Settings
	var seeds []string
	for _, x := range res.Seeds {
		seeds = append(seeds, strconv.FormatInt(x, 10))
	}
	parts := []string{"seeds " + strings.Join(seeds, ", ")}
	if s.Epochs > 0 {
		parts = append(parts, fmt.Sprintf("epochs %d", s.Epochs))
	}
	if s.BatchSize > 0 {
		parts = append(parts, fmt.Sprintf("batch size %d", s.BatchSize))
	}
	if s.LR > 0 {
		parts = append(parts, fmt.Sprintf("lr %g", s.LR))
	}
	if s.Config != "" {
		parts = append(parts, "config "+s.Config)
	}
	parts = append(parts, fmt.Sprintf("patience %d", s.Patience), fmt.Sprintf("workers %d", s.Workers))
	if s.MaxPredictSeqs > 0 {
		parts = append(parts, fmt.Sprintf("one-step prediction and KS on the first %d test sequences", s.MaxPredictSeqs))
	}
	cases := "every test sequence"
	if s.MaxCases > 0 {
		cases = fmt.Sprintf("at most %d cases", s.MaxCases)
	}
	parts = append(parts, fmt.Sprintf("horizon %d events, %s", s.Horizon, cases))
	return strings.Join(parts, "; ")
}

const metricsNote = "LL/event: test log-likelihood per scored event (full: every event, window [start, end]; " +
	"easytpp: first event is history, compensator to the last event). RMSE/MAE of the predicted mean waiting time, " +
	"accuracy and macro-F1 of the most probable mark (one-step, easytpp convention), OTD over " +
	"long-horizon forecasts, KS statistic of the time-rescaled gaps against Exp(1). " +
	"train s/epoch: training batches only (classical models: the whole fit); predict s: one-step prediction of the test split; " +
	"peak RSS: process-wide resident-set high-water mark of the cell."

// cellNotes lists the notes and errors of the cells of one data set.
func cellNotes(cells []Cell, data string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cells {
		if c.Data != data {
			continue
		}
		if c.Error != "" {
			out = append(out, fmt.Sprintf("%s seed%d failed: %s", c.Model, c.SeedIndex, c.Error))
		}
		for _, n := range c.Notes {
			msg := c.Model + ": " + n
			if !seen[msg] {
				seen[msg] = true
				out = append(out, msg)
			}
		}
	}
	return out
}

func markdown(res *Results) string {
	var b strings.Builder
	b.WriteString("# gotpp benchmark\n\n")
	b.WriteString(settingsLine(res) + ".\n\n" + metricsNote + "\n")
	for _, d := range res.Data {
		fmt.Fprintf(&b, "\n## %s\n\n", d.Name)
		fmt.Fprintf(&b, "%d event types; %s.\n\n", d.NumTypes, splitLine(d))
		t := dataTable(res.Summary, d.Name)
		b.WriteString(t.Markdown())
		if notes := cellNotes(res.Cells, d.Name); len(notes) > 0 {
			b.WriteString("\nNotes:\n\n")
			for _, n := range notes {
				b.WriteString("- " + n + "\n")
			}
		}
	}
	return b.String()
}

func splitLine(d DataInfo) string {
	var parts []string
	for _, s := range data.Splits {
		if n, ok := d.Sequences[s]; ok {
			parts = append(parts, fmt.Sprintf("%s %d sequences / %d events", s, n, d.Events[s]))
		}
	}
	return strings.Join(parts, ", ")
}

// dataFigures are the figures of one data set.
type dataFigures struct {
	data string
	figs []report.Figure
}

// drawFigures draws every figure and returns them per data set; figures
// that cannot be drawn are reported in notes.
func drawFigures(dir string, res *Results, sets []*dataSet, cells []Cell) ([]dataFigures, []string) {
	fd := filepath.Join(dir, FiguresDir)
	if err := os.MkdirAll(fd, 0o755); err != nil {
		return nil, []string{"figures: " + err.Error()}
	}
	var out []dataFigures
	var notes []string
	add := func(df *dataFigures, caption, path string, err error) {
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: figure %q not drawn: %v", df.data, caption, err))
			return
		}
		df.figs = append(df.figs, report.Figure{Caption: caption, Path: path})
	}
	for _, ds := range sets {
		df := dataFigures{data: ds.name}
		// Learning curves.
		if lf, ok, err := learningFigure(dir, ds.name, res); ok || err != nil {
			p := filepath.Join(fd, ds.name+"-learning.png")
			if err == nil {
				err = lf.Save(p)
			}
			add(&df, "Learning curves: dev log-likelihood per event after each epoch (each seed; thin lines: seeds after the first)", p, err)
		}
		// Throughput.
		if bf, ok := throughputFigure(ds.name, res); ok {
			p := filepath.Join(fd, ds.name+"-throughput.png")
			add(&df, "Training throughput (events per second, mean ± std over seeds; log scale)", p, bf.Save(p))
		}
		// QQ plot of the rescaled gaps.
		if qf, ok := qqFigure(ds.name, res.Models, cells); ok {
			p := filepath.Join(fd, ds.name+"-qq.png")
			add(&df, "QQ plot of the time-rescaled test gaps against Exp(1) (first seed); a calibrated model follows the diagonal", p, qf.Save(p))
		}
		// Intensity of one test sequence per model.
		for _, m := range res.Models {
			f, caption, err := intensityFigure(dir, ds, m)
			if f == nil && err == nil {
				continue
			}
			p := filepath.Join(fd, ds.name+"-intensity-"+m+".png")
			if err == nil {
				err = f.Save(p)
			}
			add(&df, caption, p, err)
		}
		out = append(out, df)
	}
	return out, notes
}

// readEpochs reads a run directory's epochs.jsonl.
func readEpochs(path string) ([]train.EpochRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []train.EpochRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r train.EpochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// learningFigure draws the dev LL/event per epoch of every neural model and
// seed; ok is false when there is nothing to draw.
func learningFigure(dir, data string, res *Results) (*plots.LineFigure, bool, error) {
	f := &plots.LineFigure{Title: data + ": dev log-likelihood per event", XLabel: "epoch", YLabel: "dev LL/event (full)",
		IntegerX: true, LegendBottom: true}
	for mi, m := range res.Models {
		if isClassical(m) {
			continue
		}
		for k := range res.Seeds {
			recs, err := readEpochs(filepath.Join(RunDir(dir, data, m, k), train.EpochsFile))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				return nil, true, err
			}
			ln := plots.Line{Color: mi, Thin: k > 0, Points: true}
			if k == 0 {
				ln.Label = m
			}
			for _, r := range recs {
				if r.DevLogLik != nil {
					ln.X = append(ln.X, float64(r.Epoch))
					ln.Y = append(ln.Y, *r.DevLogLik)
				}
			}
			if len(ln.X) > 0 {
				f.Lines = append(f.Lines, ln)
			}
		}
	}
	return f, len(f.Lines) > 0, nil
}

func throughputFigure(data string, res *Results) (*plots.BarFigure, bool) {
	f := &plots.BarFigure{Title: data + ": training throughput", YLabel: "events / s", LogY: true,
		Width: 16 * vg.Centimeter, Height: 9 * vg.Centimeter}
	for _, s := range res.Summary {
		if s.Data != data {
			continue
		}
		st, ok := s.Timing["train_events_per_second"]
		if !ok || st.N == 0 || !(st.Mean > 0) {
			continue
		}
		b := plots.Bar{Label: s.Model, Value: float64(st.Mean)}
		if sd := float64(st.Std); !math.IsNaN(sd) {
			b.Err = sd
		}
		f.Bars = append(f.Bars, b)
	}
	return f, len(f.Bars) > 0
}

func qqFigure(data string, models []string, cells []Cell) (*plots.LineFigure, bool) {
	f := &plots.LineFigure{Title: data + ": rescaled gaps vs Exp(1)", XLabel: "Exp(1) quantile", YLabel: "rescaled gap quantile", Diagonal: true, LegendLeft: true}
	for mi, m := range models {
		for _, c := range cells {
			if c.Data != data || c.Model != m || c.SeedIndex != 0 || len(c.QQ) == 0 {
				continue
			}
			ln := plots.Line{Label: m, Color: mi}
			for _, q := range c.QQ {
				ln.X = append(ln.X, q.Theoretical)
				ln.Y = append(ln.Y, q.Empirical)
			}
			f.Lines = append(f.Lines, ln)
		}
	}
	return f, len(f.Lines) > 0
}

// maxIntensityEvents is the number of events of the test sequence the
// intensity figures show.
const maxIntensityEvents = 60

// intensitySequence is the test sequence the intensity figures show: the
// first with at least two events, cut after maxIntensityEvents events (the
// window then ends at the next event).
func intensitySequence(test *data.Dataset) (*data.Sequence, bool) {
	for i := range test.Seqs {
		s := test.Seqs[i]
		if s.Len() < 2 {
			continue
		}
		if s.Len() > maxIntensityEvents {
			s.End = s.Times[maxIntensityEvents]
			s.Times, s.Types = s.Times[:maxIntensityEvents], s.Types[:maxIntensityEvents]
		}
		if !(s.End > s.Start) {
			continue
		}
		return &s, true
	}
	return nil, false
}

// intensityFigure draws the fitted intensity of model m (first seed) on a
// test sequence: per-type intensities stacked for up to 6 types, the total
// otherwise. It returns nil, "", nil when the model was not run or cannot
// predict.
func intensityFigure(dir string, ds *dataSet, m string) (*plots.IntensityFigure, string, error) {
	rd := RunDir(dir, ds.name, m, 0)
	if _, err := os.Stat(filepath.Join(rd, runs.InfoFile)); err != nil {
		return nil, "", nil
	}
	seq, ok := intensitySequence(ds.test)
	if !ok {
		return nil, "", nil
	}
	loaded, _, err := runs.Load(rd)
	caption := fmt.Sprintf("%s: fitted intensity on test sequence %q (first seed)", m, seq.ID)
	if err != nil {
		return nil, caption, err
	}
	pm, ok := loaded.(predict.Model)
	if !ok {
		return nil, "", nil
	}
	grid := plots.EventGrid(seq.Start, seq.End, seq.Times, 800)
	lam, err := plots.ModelIntensity(pm, seq, grid)
	if err != nil {
		return nil, caption, err
	}
	k := ds.test.NumTypes
	f := &plots.IntensityFigure{Seq: seq, NumTypes: k, Width: 16 * vg.Centimeter, Height: 10 * vg.Centimeter}
	var name func(int) string // "type k" unless the data set names its types
	if len(ds.test.TypeNames) > 0 {
		name = ds.test.TypeName
		f.TypeName = name
	}
	if k <= 6 {
		f.Series = plots.StackedSeries(grid, lam, name)
		f.YLabel = "intensity (stacked by type)"
		caption += "; curves stacked by type (the top curve is the total), events as ticks"
	} else {
		f.Series = []plots.Series{plots.TotalSeries("total", grid, lam)}
		f.YLabel = "total intensity"
		caption += "; total intensity, events as ticks"
	}
	f.Title = fmt.Sprintf("%s on %s: test sequence %s", m, ds.name, seq.ID)
	return f, caption, nil
}

func buildReport(res *Results, figs []dataFigures, figNotes []string) *report.Report {
	r := &report.Report{Title: "gotpp benchmark", Subtitle: settingsLine(res)}
	for i, d := range res.Data {
		sec := report.Section{Heading: d.Name}
		sec.Paragraphs = append(sec.Paragraphs, fmt.Sprintf("%d event types; %s; data hash %s.", d.NumTypes, splitLine(d), d.Hash))
		for _, n := range cellNotes(res.Cells, d.Name) {
			sec.Paragraphs = append(sec.Paragraphs, "Note: "+n)
		}
		sec.Tables = []report.Table{dataTable(res.Summary, d.Name)}
		if i < len(figs) {
			sec.Figures = figs[i].figs
		}
		r.Sections = append(r.Sections, sec)
	}
	about := report.Section{Heading: "About", Paragraphs: []string{metricsNote,
		"Seed k of every cell is base seed + k; results.json holds every cell and the summaries, with machine-dependent numbers under \"timing\"."}}
	for _, n := range figNotes {
		about.Paragraphs = append(about.Paragraphs, "Figure not drawn: "+n)
	}
	r.Sections = append(r.Sections, about)
	return r
}
