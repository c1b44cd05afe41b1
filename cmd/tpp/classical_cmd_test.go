package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/runs"
)

// classicalResetFlags puts every flag of c and its sub-commands back to its
// default, so that one process can run several command lines.
func classicalResetFlags(c *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			d := strings.Trim(f.DefValue, "[]")
			var vals []string
			if d != "" {
				vals = strings.Split(d, ",")
			}
			_ = sv.Replace(vals)
		} else {
			_ = f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	c.Flags().VisitAll(reset)
	c.PersistentFlags().VisitAll(reset)
	for _, s := range c.Commands() {
		classicalResetFlags(s)
	}
}

// classicalRun runs `tpp args...` in-process and returns its standard output.
func classicalRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	classicalResetFlags(rootCmd)
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	return out.String(), err
}

func classicalMust(t *testing.T, args ...string) string {
	t.Helper()
	out, err := classicalRun(t, args...)
	if err != nil {
		t.Fatalf("tpp %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func classicalEvalJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out := classicalMust(t, append([]string{"eval", "--json"}, args...)...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("eval --json output is not one JSON object: %v\n%s", err, out)
	}
	return m
}

func TestClassicalSimulateTrainEvalHawkes(t *testing.T) {
	dir := t.TempDir()
	dd := filepath.Join(dir, "data")
	classicalMust(t, "simulate", "--model", "hawkes", "--mu", "0.3,0.2", "--alpha", "0.4,0.1;0.2,0.3", "--beta", "2",
		"--sequences", "100", "--window", "60", "--seed", "5", "--out", dd)
	for _, f := range []string{"train.jsonl", "dev.jsonl", "test.jsonl", "meta.json"} {
		if _, err := os.Stat(filepath.Join(dd, f)); err != nil {
			t.Fatal(err)
		}
	}
	// meta.json: num_types, true params, seed, generator.
	meta, err := data.ReadMeta(dd)
	if err != nil {
		t.Fatal(err)
	}
	if meta.NumTypes != 2 {
		t.Errorf("meta num_types %d", meta.NumTypes)
	}
	for _, key := range []string{"true_params", "seed", "generator", "true_loglik_sum"} {
		if _, ok := meta.Extra[key]; !ok {
			t.Errorf("meta.json lacks %q", key)
		}
	}
	tp, err := hawkes.ReadParams(filepath.Join(dd, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if tp.Mu[1] != 0.2 || tp.Alpha[0][1] != 0.1 || tp.Alpha[1][0] != 0.2 || tp.Beta[1][1] != 2 || !tp.ScalarBeta {
		t.Errorf("true_params %+v do not match the flags", tp)
	}
	// Every sequence carries the window [0, 60]; 70/10/20 split.
	counts := map[string]int{}
	for _, split := range data.Splits {
		ds, err := data.LoadSplit(dd, split)
		if err != nil {
			t.Fatal(err)
		}
		counts[split] = len(ds.Seqs)
		for _, s := range ds.Seqs {
			if s.Start != 0 || s.End != 60 {
				t.Fatalf("%s: window [%v, %v]", split, s.Start, s.End)
			}
		}
	}
	if counts["train"] != 70 || counts["dev"] != 10 || counts["test"] != 20 {
		t.Errorf("split sizes %v", counts)
	}
	// Same seed, same bytes; another seed, other data.
	dd2, dd3 := filepath.Join(dir, "data2"), filepath.Join(dir, "data3")
	classicalMust(t, "simulate", "--model", "hawkes", "--mu", "0.3,0.2", "--alpha", "0.4,0.1;0.2,0.3", "--beta", "2",
		"--sequences", "100", "--window", "60", "--seed", "5", "--out", dd2)
	classicalMust(t, "simulate", "--model", "hawkes", "--params", filepath.Join(dd, "meta.json"),
		"--sequences", "100", "--window", "60", "--seed", "6", "--out", dd3)
	a, _ := os.ReadFile(filepath.Join(dd, "train.jsonl"))
	b, _ := os.ReadFile(filepath.Join(dd2, "train.jsonl"))
	c, _ := os.ReadFile(filepath.Join(dd3, "train.jsonl"))
	if !bytes.Equal(a, b) {
		t.Error("same seed wrote different train.jsonl")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds wrote the same train.jsonl")
	}

	// Train (matrix β) and check the run directory.
	run := filepath.Join(dir, "run")
	out := classicalMust(t, "train", "--model", "hawkes", "--data", dd, "--out", run, "--beta", "matrix", "--seed", "9")
	if !strings.Contains(out, "spectral radius") {
		t.Errorf("train summary lacks the spectral radius:\n%s", out)
	}
	m, info, err := runs.Load(run)
	if err != nil {
		t.Fatal(err)
	}
	hm := m.(*hawkes.Model)
	if hm.Params().ScalarBeta || info.NumTypes != 2 || info.Seed != 9 || info.Options["beta"] != "matrix" {
		t.Errorf("run: %+v", info)
	}
	train, _ := data.LoadSplit(dd, "train")
	test, _ := data.LoadSplit(dd, "test")
	ptr, _ := likelihood.Evaluate(hm, train, likelihood.Full)
	if got := info.Results["train_loglik"].(float64); math.Abs(got-ptr.LogLik) > 1e-9*math.Abs(got) {
		t.Errorf("run.json train_loglik %v, model on train %v", got, ptr.LogLik)
	}
	if r := info.Results["spectral_radius"].(float64); math.Abs(r-hm.SpectralRadius()) > 1e-12 {
		t.Errorf("run.json spectral radius %v, model %v", r, hm.SpectralRadius())
	}
	if it := info.Results["iterations"].(float64); it < 1 {
		t.Errorf("iterations %v", it)
	}

	// eval --run --json.
	ev := classicalEvalJSON(t, "--run", run, "--data", dd, "--split", "test")
	pte, _ := likelihood.Evaluate(hm, test, likelihood.Full)
	for _, key := range []string{"loglik", "num_events", "loglik_per_event", "time_loglik", "mark_loglik", "num_sequences", "convention", "split", "model"} {
		if _, ok := ev[key]; !ok {
			t.Errorf("eval JSON lacks %q", key)
		}
	}
	if ev["loglik"].(float64) != pte.LogLik || int(ev["num_events"].(float64)) != pte.NumEvents || ev["model"] != "hawkes" || ev["split"] != "test" {
		t.Errorf("eval JSON %v, library %+v", ev, pte)
	}
	if d := ev["time_loglik"].(float64) + ev["mark_loglik"].(float64) - ev["loglik"].(float64); math.Abs(d) > 1e-9 {
		t.Errorf("time + mark − total = %v", d)
	}
	// EasyTPP convention: one event per sequence is history.
	ez := classicalEvalJSON(t, "--run", run, "--data", dd, "--convention", "easytpp")
	if int(ez["num_events"].(float64)) != test.NumEvents()-len(test.Seqs) || ez["convention"] != "easytpp" {
		t.Errorf("easytpp eval: %v (test has %d events, %d sequences)", ez, test.NumEvents(), len(test.Seqs))
	}
	// The true parameters from meta.json reproduce the stored true log-likelihood.
	var sums map[string]float64
	if err := json.Unmarshal(meta.Extra["true_loglik_sum"], &sums); err != nil {
		t.Fatal(err)
	}
	tv := classicalEvalJSON(t, "--model", "hawkes", "--params", filepath.Join(dd, "meta.json"), "--data", dd, "--split", "dev")
	if got := tv["loglik"].(float64); math.Abs(got-sums["dev"]) > 1e-9*math.Abs(got) {
		t.Errorf("true-parameter dev loglik %v, meta.json %v", got, sums["dev"])
	}
	// Text output names the numbers too.
	txt := classicalMust(t, "eval", "--run", run, "--data", dd)
	if !strings.Contains(txt, "loglik_per_event:") {
		t.Errorf("eval text output:\n%s", txt)
	}
}

func TestClassicalPoissonSimulateTrain(t *testing.T) {
	dir := t.TempDir()
	dd := filepath.Join(dir, "data")
	classicalMust(t, "simulate", "--model", "poisson", "--mu", "1,0.5,2", "--sequences", "50", "--window", "40", "--seed", "2", "--out", dd, "--split", "0.8,0,0.2")
	if _, err := os.Stat(filepath.Join(dd, "dev.jsonl")); err == nil {
		t.Error("an empty dev split was written")
	}
	run := filepath.Join(dir, "run")
	classicalMust(t, "train", "--model", "poisson", "--data", dd, "--out", run)
	m, _, err := runs.Load(run)
	if err != nil {
		t.Fatal(err)
	}
	// The MLE is the count per type over the total window 40 × 40 sequences,
	// counted here from the file.
	train, _ := data.LoadSplit(dd, "train")
	cnt := make([]float64, 3)
	for _, s := range train.Seqs {
		for _, k := range s.Types {
			cnt[k]++
		}
	}
	rates := m.(interface {
		Intensity([]float64, []int, float64, []float64) []float64
	}).Intensity(nil, nil, 0, nil)
	for k := range cnt {
		if want := cnt[k] / (40 * float64(len(train.Seqs))); math.Abs(rates[k]-want) > 1e-12 {
			t.Errorf("rate[%d] = %v, count/window %v", k, rates[k], want)
		}
		if truth := []float64{1, 0.5, 2}[k]; math.Abs(rates[k]-truth) > 0.1 {
			t.Errorf("rate[%d] = %v far from the simulated %v", k, rates[k], truth)
		}
	}
}

func TestClassicalEvalSharedSynth(t *testing.T) {
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(root) == root {
			t.Skip("go.mod not found")
		}
		root = filepath.Dir(root)
	}
	dd := filepath.Join(root, "..", "shared", "data", "hawkes_synth")
	if _, err := os.Stat(filepath.Join(dd, "meta.json")); err != nil {
		t.Skipf("shared data set %s absent (it lives beside the repository, in ../shared): %v", dd, err)
	}
	meta, err := data.ReadMeta(dd)
	if err != nil {
		t.Fatal(err)
	}
	var sums map[string]float64
	if err := json.Unmarshal(meta.Extra["true_loglik_sum"], &sums); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dd, "meta.json")
	for _, split := range data.Splits {
		ev := classicalEvalJSON(t, "--model", "hawkes", "--params", params, "--data", dd, "--split", split)
		if got := ev["loglik"].(float64); math.Abs(got-sums[split])/math.Abs(sums[split]) > 1e-9 {
			t.Errorf("%s: true-parameter loglik %.10f, meta.json %.10f", split, got, sums[split])
		}
	}
	ez := classicalEvalJSON(t, "--model", "hawkes", "--params", params, "--data", dd, "--split", "test", "--convention", "easytpp")
	if got := math.Round(ez["loglik_per_event"].(float64)*1e4) / 1e4; got != -2.0479 {
		t.Errorf("EasyTPP true LL/event on test %v, want −2.0479", ez["loglik_per_event"])
	}
	if testing.Short() {
		return
	}
	// Train on hawkes_synth and land within 0.01 nats/event of the truth on test.
	run := filepath.Join(t.TempDir(), "run")
	classicalMust(t, "train", "--model", "hawkes", "--data", dd, "--out", run)
	fit := classicalEvalJSON(t, "--run", run, "--data", dd, "--split", "test")
	tru := classicalEvalJSON(t, "--model", "hawkes", "--params", params, "--data", dd, "--split", "test")
	d := math.Abs(fit["loglik_per_event"].(float64) - tru["loglik_per_event"].(float64))
	t.Logf("test LL/event: fitted %.5f, truth %.5f", fit["loglik_per_event"], tru["loglik_per_event"])
	if d > 0.01 {
		t.Errorf("fitted test LL/event %.5f is %.4f from the truth", fit["loglik_per_event"], d)
	}
}

func TestClassicalDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	out := classicalMust(t, "demo", "--out", dir, "--sequences", "150", "--seed", "3")
	for _, want := range []string{"alpha[2][1]", "spectral radius", "true parameters", "Hawkes fit", "Poisson fit", "intensity.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(filepath.Join(dir, "intensity.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("intensity.png: %v", err)
	}
	for _, name := range []string{"hawkes", "poisson"} {
		if _, _, err := runs.Load(filepath.Join(dir, "runs", name)); err != nil {
			t.Errorf("demo run %s: %v", name, err)
		}
	}
	// The demo's data set is a regular data-set directory.
	ev := classicalEvalJSON(t, "--run", filepath.Join(dir, "runs", "hawkes"), "--data", filepath.Join(dir, "data"))
	if ev["num_sequences"].(float64) != 30 {
		t.Errorf("demo test split has %v sequences, want 30", ev["num_sequences"])
	}
}

func TestClassicalBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"mu":[0.1,0.1],"alpha":[[0.1,-0.2],[0,0]],"beta":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dd := filepath.Join(dir, "data")
	classicalMust(t, "simulate", "--model", "poisson", "--mu", "1,1", "--sequences", "10", "--window", "5", "--out", dd)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--model", "hawkes", "--params", bad, "--data", dd}, "bad.json: field alpha[0][1]: negative"},
		{[]string{"simulate", "--params", bad, "--out", filepath.Join(dir, "x")}, "field alpha[0][1]"},
		{[]string{"simulate", "--mu", "0.1,0.2", "--alpha", "0.1,0.2;0.3", "--out", filepath.Join(dir, "x")}, "--alpha row 1: 1 values, want 2"},
		{[]string{"simulate", "--mu", "0.1,x", "--alpha", "0", "--out", filepath.Join(dir, "x")}, `--mu "0.1,x": value 1 ("x") is not a number`},
		{[]string{"simulate", "--mu", "1", "--alpha", "0.1", "--split", "0.5,0.1,0.1", "--out", filepath.Join(dir, "x")}, "sum to"},
		{[]string{"train", "--model", "hawkes", "--data", dd, "--out", filepath.Join(dir, "r"), "--beta", "diag"}, `--beta "diag"`},
		{[]string{"train", "--model", "hawkes", "--data", dd, "--out", filepath.Join(dir, "r"), "--convention", "xx"}, "unknown likelihood convention"},
		{[]string{"eval", "--run", dd, "--model", "hawkes", "--params", bad, "--data", dd}, "not both"},
		{[]string{"eval", "--data", dd}, "give --run RUNDIR"},
		{[]string{"eval", "--model", "hawkes", "--params", filepath.Join(dir, "missing.json"), "--data", dd}, "missing.json"},
	} {
		_, err := classicalRun(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("tpp %s: error %v, want one containing %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	// A model with fewer types than the data is refused with the reason.
	p1 := filepath.Join(dir, "p1.json")
	os.WriteFile(p1, []byte(`{"rate":[1]}`), 0o644)
	if _, err := classicalRun(t, "eval", "--model", "poisson", "--params", p1, "--data", dd); err == nil || !strings.Contains(err.Error(), "2 event types but the model") {
		t.Errorf("type-count mismatch: %v", err)
	}
}
