package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/sampler"
)

// tinyData writes a small 2-type Hawkes data set (train/dev/test) and
// returns its directory.
func tinyData(t *testing.T, dir string) string {
	t.Helper()
	m := hawkes.MustNew(hawkes.NewScalarParams([]float64{0.3, 0.2}, [][]float64{{0.4, 0.1}, {0.2, 0.3}}, 2))
	splits, err := sampler.HawkesDataset(m, sampler.DatasetOptions{Name: "tiny", Sequences: 30, Start: 0, End: 25, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(dir, "tiny")
	if err := data.WriteDir(d, data.JSONL, false, splits, nil); err != nil {
		t.Fatal(err)
	}
	return d
}

// neuralForTest picks one registered neural model, the cheapest known one
// when available.
func neuralForTest() string {
	names := model.Names()
	for _, pref := range []string{"rmtpp", "nhp"} {
		if slices.Contains(names, pref) {
			return pref
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// stripTiming removes every "timing" object (and the cells' wall-clock
// fields that live there) from a decoded JSON value.
func stripTiming(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k != "timing" {
				out[k] = stripTiming(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripTiming(e)
		}
		return out
	}
	return v
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// syncWriter collects progress output and calls onLine for each write.
type syncWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(string)
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.onLine != nil {
		w.onLine(string(p))
	}
	return w.buf.Write(p)
}

func TestBenchEndToEnd(t *testing.T) {
	root := t.TempDir()
	dataDir := tinyData(t, root)
	models := []string{"poisson", "hawkes"}
	nn := neuralForTest()
	if nn != "" {
		models = append(models, nn)
	} else {
		t.Log("no neural model registered; benchmarking the classical models only")
	}
	opts := func(out string, w *syncWriter) Options {
		o := Options{Models: models, Data: []string{dataDir}, Seeds: 1, BaseSeed: 11, Out: out,
			Epochs: 2, BatchSize: 8, Workers: 2, MaxCases: 5, Horizon: 10}
		if w != nil {
			o.Progress = w
		}
		return o
	}
	ctx := context.Background()

	// Run A, interrupted after the neural model's first epoch and resumed.
	dirA := filepath.Join(root, "A")
	if nn != "" {
		cctx, cancel := context.WithCancel(ctx)
		w := &syncWriter{onLine: func(s string) {
			if strings.Contains(s, "/"+nn+" seed0: epoch 1/2") {
				cancel()
			}
		}}
		_, err := Run(cctx, opts(dirA, w))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("interrupted run: err = %v\nprogress:\n%s", err, w.buf.String())
		}
		if _, err := os.Stat(CellPath(dirA, "tiny", nn, 0)); err == nil {
			t.Fatal("the interrupted cell was recorded as finished")
		}
	}
	w := &syncWriter{}
	outA, err := Run(ctx, opts(dirA, w))
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, w.buf.String())
	}
	if len(outA.Failed) > 0 {
		t.Fatalf("failed cells %v: %s", outA.Failed, w.buf.String())
	}
	if nn != "" {
		if !slices.Equal(outA.Computed, []string{"tiny/" + nn + " seed0"}) {
			t.Errorf("resumed run computed %v, want only the interrupted neural cell", outA.Computed)
		}
		c, err := readCell(CellPath(dirA, "tiny", nn, 0))
		if err != nil {
			t.Fatal(err)
		}
		if c.Timing.ResumedAtEpoch != 1 || c.Train.Epochs != 2 {
			t.Errorf("neural cell resumed at epoch %d, trained %d epochs; want 1 and 2", c.Timing.ResumedAtEpoch, c.Train.Epochs)
		}
	}
	checkOutputs(t, dirA, models)

	// Run B from scratch: identical results apart from timing (so the
	// resumed training in A was bit-identical to an uninterrupted one).
	dirB := filepath.Join(root, "B")
	if _, err := Run(ctx, opts(dirB, nil)); err != nil {
		t.Fatal(err)
	}
	ra, rb := readJSON(t, filepath.Join(dirA, ResultsJSON)), readJSON(t, filepath.Join(dirB, ResultsJSON))
	if !reflect.DeepEqual(stripTiming(ra), stripTiming(rb)) {
		t.Fatal("results.json differ between two runs apart from timing")
	}
	if reflect.DeepEqual(ra, rb) {
		t.Error("results.json identical including timing: timing cannot be all zero")
	}

	// Resume: delete one cell; only it is recomputed, the others' files are
	// untouched, and the results are unchanged apart from timing.
	victim := models[len(models)-1]
	before := map[string][]byte{}
	for _, m := range models {
		b, err := os.ReadFile(CellPath(dirB, "tiny", m, 0))
		if err != nil {
			t.Fatal(err)
		}
		before[m] = b
	}
	if err := os.Remove(CellPath(dirB, "tiny", victim, 0)); err != nil {
		t.Fatal(err)
	}
	outB, err := Run(ctx, opts(dirB, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outB.Computed, []string{"tiny/" + victim + " seed0"}) || len(outB.Skipped) != len(models)-1 {
		t.Errorf("rerun computed %v and skipped %v", outB.Computed, outB.Skipped)
	}
	for _, m := range models {
		if m == victim {
			continue
		}
		if b, _ := os.ReadFile(CellPath(dirB, "tiny", m, 0)); !bytes.Equal(b, before[m]) {
			t.Errorf("cell %s was rewritten", m)
		}
	}
	if rb2 := readJSON(t, filepath.Join(dirB, ResultsJSON)); !reflect.DeepEqual(stripTiming(rb), stripTiming(rb2)) {
		t.Error("recomputed cell changed the results")
	}

	// Other settings into the same directory are refused.
	o := opts(dirB, nil)
	o.Epochs = 3
	if _, err := Run(ctx, o); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("changed epochs accepted: %v", err)
	}
}

// checkOutputs checks that every output file exists and parses.
func checkOutputs(t *testing.T, dir string, models []string) {
	t.Helper()
	var res Results
	b, err := os.ReadFile(filepath.Join(dir, ResultsJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if len(res.Cells) != len(models) || len(res.Summary) != len(models) {
		t.Fatalf("results.json: %d cells, %d summaries, want %d", len(res.Cells), len(res.Summary), len(models))
	}
	for _, c := range res.Cells {
		if c.QQ != nil {
			t.Errorf("%s: QQ points leaked into results.json", c.Model)
		}
		for _, k := range []string{"loglik_per_event", "loglik_per_event_easytpp", "rmse", "accuracy", "ks_statistic", "otd"} {
			if _, ok := c.Metrics[k]; !ok {
				t.Errorf("%s: metric %s missing", c.Model, k)
			}
		}
		// The two conventions differ by exactly the first events' terms:
		// easytpp scores one event fewer per sequence.
		nf, ne := float64(c.Metrics["num_events"]), float64(c.Metrics["num_events_easytpp"])
		if nf-ne != float64(res.Data[0].Sequences["test"]) {
			t.Errorf("%s: %v events (full) vs %v (easytpp) for %d test sequences", c.Model, nf, ne, res.Data[0].Sequences["test"])
		}
		if c.NumParams <= 0 || c.Timing.TrainEventsPerSecond <= 0 || c.Timing.PredictSeconds <= 0 {
			t.Errorf("%s: params %d, train ev/s %v, predict s %v", c.Model, c.NumParams, c.Timing.TrainEventsPerSecond, c.Timing.PredictSeconds)
		}
	}

	f, err := os.Open(filepath.Join(dir, ResultsCSV))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatalf("results.csv: %v", err)
	}
	if len(rows) != len(models)+1 || rows[0][0] != "data" || !slices.Contains(rows[0], "loglik_per_event") || !slices.Contains(rows[0], "timing.peak_rss_bytes") {
		t.Errorf("results.csv: %d rows, header %v", len(rows), rows[0])
	}

	md, err := os.ReadFile(filepath.Join(dir, ResultsMD))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{"## tiny", "| model | parameters | LL/event (full) |", "**"}, models...) {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q", want)
		}
	}

	figs, _ := filepath.Glob(filepath.Join(dir, FiguresDir, "*.png"))
	want := []string{"tiny-qq.png", "tiny-throughput.png"}
	for _, m := range models {
		want = append(want, "tiny-intensity-"+m+".png")
		if !isClassical(m) {
			want = append(want, "tiny-learning.png")
		}
	}
	for _, w := range want {
		if !slices.Contains(figs, filepath.Join(dir, FiguresDir, w)) {
			t.Errorf("figure %s missing (have %v)", w, figs)
		}
	}
	for _, p := range figs {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(fh); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		fh.Close()
	}

	html, err := os.ReadFile(filepath.Join(dir, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), "data:image/png;base64,"); n != len(figs) {
		t.Errorf("report.html embeds %d images, %d figures drawn", n, len(figs))
	}
	if strings.Contains(string(html), "not drawn") {
		t.Error("report.html reports a figure that could not be drawn")
	}
	checkInBrowser(t, string(html), len(figs))
}

// imageCheck reports in the page title how many images decoded.
const imageCheck = `<script>window.addEventListener('load',function(){var ok=0,bad=0;` +
	`for(const im of document.images){if(im.complete&&im.naturalWidth>0){ok++}else{bad++}}` +
	`document.title='IMAGES ok='+ok+' broken='+bad;});</script></body>`

// checkInBrowser opens the report in headless Chromium (when installed) and
// checks that every image decodes.
func checkInBrowser(t *testing.T, html string, want int) {
	t.Helper()
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Log("no headless Chromium on PATH; browser check of report.html skipped")
		return
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(strings.Replace(html, "</body>", imageCheck, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--virtual-time-budget=5000", "--dump-dom", "file://"+page).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`IMAGES ok=(\d+) broken=(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("report did not finish loading in the browser; DOM:\n%.500s", out)
	}
	if m[2] != "0" || m[1] != strconv.Itoa(want) {
		t.Errorf("browser: %s images ok, %s broken; want %d ok", m[1], m[2], want)
	}
}

func TestSpeed(t *testing.T) {
	models := []string{"poisson", "hawkes"}
	if nn := neuralForTest(); nn != "" {
		models = append(models, nn)
	}
	res, err := Speed(context.Background(), SpeedOptions{Models: models, Steps: 2, BatchSize: 8, PredictEvents: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(models) {
		t.Fatalf("%d rows", len(res.Rows))
	}
	for _, r := range res.Rows {
		if r.TrainEvents <= 0 || r.TrainEventsPerSecond <= 0 || r.PredictEvents < 40 || r.PredictEventsPerSecond <= 0 || r.NumParams <= 0 {
			t.Errorf("row %+v", r)
		}
		if r.Kind == "neural" && r.Batches < 2 {
			t.Errorf("%s: %d timed batches, want >= 2", r.Model, r.Batches)
		}
	}
	dir := t.TempDir()
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	readJSON(t, filepath.Join(dir, "speed.json"))
	md, _ := os.ReadFile(filepath.Join(dir, "speed.md"))
	if !strings.Contains(string(md), "train events/s") || !strings.Contains(string(md), "hawkes") {
		t.Errorf("speed.md:\n%s", md)
	}
}

// TestRunDirRecordsOrigin: a cell's run directory records the data origin,
// so that `tpp eval --run` on it scores the data as the bench did.
func TestRunDirRecordsOrigin(t *testing.T) {
	root := t.TempDir()
	dataDir := tinyData(t, root)
	models := []string{"poisson"}
	if nn := neuralForTest(); nn != "" {
		models = append(models, nn)
	}
	for _, origin := range []data.Origin{"", data.OriginFirstEvent} {
		out := filepath.Join(root, "o"+string(origin))
		o := Options{Models: models, Data: []string{dataDir}, Seeds: 1, BaseSeed: 3, Out: out,
			Epochs: 1, BatchSize: 8, Workers: 1, MaxCases: 2, Horizon: 3, Origin: origin}
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		want := string(origin)
		if want == "" {
			want = string(data.OriginZero)
		}
		for _, m := range models {
			info, err := runs.ReadInfo(filepath.Join(out, "runs", "tiny", m, "seed0"))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Options["origin"]; got != want {
				t.Errorf("%s with origin %q: run.json records %v, want %q", m, origin, got, want)
			}
		}
	}
}
