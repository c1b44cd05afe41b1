package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestPredictGenerateEvalMetrics runs simulate → train hawkes → predict →
// generate → eval --metrics all in-process and checks the outputs.
func TestPredictGenerateEvalMetrics(t *testing.T) {
	dir := t.TempDir()
	dd := filepath.Join(dir, "data")
	run := filepath.Join(dir, "run")
	classicalMust(t, "simulate", "--model", "hawkes", "--mu", "0.5,0.3", "--alpha", "0.3,0.1;0.2,0.3", "--beta", "2",
		"--sequences", "40", "--window", "40", "--seed", "3", "--out", dd)
	classicalMust(t, "train", "--model", "hawkes", "--data", dd, "--out", run)

	preds := filepath.Join(dir, "preds.jsonl")
	classicalMust(t, "predict", "--run", run, "--data", dd, "--out", preds, "--draw", "--topk", "2")
	f, err := os.Open(preds)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var row struct {
			Mean, Median float64
			TrueDt       float64 `json:"true_dt"`
			Mark         int
			TopK         []int     `json:"topk"`
			TopKProbs    []float64 `json:"topk_probs"`
			HasDraw      bool      `json:"has_draw"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if !(row.Mean > 0) || !(row.Median > 0) || len(row.TopK) != 2 || row.TopK[0] != row.Mark || !row.HasDraw {
			t.Fatalf("line %d: bad row %s", n+1, sc.Text())
		}
		if row.TopKProbs[0] < row.TopKProbs[1] || math.Abs(row.TopKProbs[0]+row.TopKProbs[1]-1) > 1e-6 {
			t.Fatalf("line %d: top-2 probabilities %v (K=2 must sum to 1)", n+1, row.TopKProbs)
		}
		n++
	}
	f.Close()
	if n == 0 {
		t.Fatal("no predictions written")
	}

	gen := filepath.Join(dir, "gen.jsonl")
	classicalMust(t, "generate", "--run", run, "--data", dd, "--prefix", "-5", "--horizon", "5", "--samples", "2", "--out", gen, "--seed", "9")
	b1, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	classicalMust(t, "generate", "--run", run, "--data", dd, "--prefix", "-5", "--horizon", "5", "--samples", "2", "--out", gen, "--seed", "9")
	b2, _ := os.ReadFile(gen)
	if string(b1) != string(b2) {
		t.Error("generate is not reproducible for a fixed seed")
	}
	lines := 0
	sc = bufio.NewScanner(bytes.NewReader(b1))
	for sc.Scan() {
		var g struct {
			Prefix int
			Times  []float64
			Types  []int
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		if len(g.Times) != 5 || len(g.Types) != 5 {
			t.Fatalf("generated %d events, want 5", len(g.Times))
		}
		lines++
	}
	if lines == 0 || lines%2 != 0 {
		t.Errorf("%d continuation records, want 2 per sequence", lines)
	}

	out := classicalEvalJSON(t, "--run", run, "--data", dd, "--metrics", "all", "--max-cases", "5")
	for _, k := range []string{"loglik_per_event", "rmse", "mae", "accuracy", "error_rate", "macro_f1", "otd", "tmap", "ks_statistic", "rmse_draw"} {
		if _, ok := out[k]; !ok {
			t.Errorf("eval --metrics all lacks %q", k)
		}
	}
	if _, err := classicalRun(t, "eval", "--run", run, "--data", dd, "--metrics", "rsme"); err == nil {
		t.Error("unknown metric accepted")
	}
}
