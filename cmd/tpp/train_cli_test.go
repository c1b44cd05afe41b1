package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNeuralTrainDefaults: without --lr a neural run uses its model's
// default learning rate (fullynn and odetpp 1e-2, others 1e-3) and records it; --lr
// overrides it; --dropout reaches models that have dropout and is reported
// as ignored by the others.
func TestNeuralTrainDefaults(t *testing.T) {
	dir := t.TempDir()
	dd := filepath.Join(dir, "data")
	os.MkdirAll(dd, 0o755)
	r := rand.New(rand.NewPCG(3, 4))
	for _, split := range []string{"train", "dev", "test"} {
		var b strings.Builder
		for s := 0; s < 6; s++ {
			tt := 0.0
			var ts, ks []string
			for j := 0; j < 8; j++ {
				tt += r.ExpFloat64()
				ts = append(ts, fmt.Sprint(tt))
				ks = append(ks, fmt.Sprint(r.IntN(2)))
			}
			fmt.Fprintf(&b, `{"times":[%s],"types":[%s]}`+"\n", strings.Join(ts, ","), strings.Join(ks, ","))
		}
		os.WriteFile(filepath.Join(dd, split+".jsonl"), []byte(b.String()), 0o644)
	}
	lrOf := func(run string) (float64, map[string]any) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(run, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			Options map[string]any `json:"options"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			t.Fatal(err)
		}
		lr, _ := info.Options["lr"].(float64)
		hy, _ := info.Options["hyper"].(map[string]any)
		return lr, hy
	}
	for _, c := range []struct {
		model string
		extra []string
		lr    float64
	}{
		{"fullynn", nil, 1e-2},
		{"odetpp", nil, 1e-2},
		{"rmtpp", nil, 1e-3},
		{"fullynn", []string{"--lr", "0.002"}, 2e-3},
	} {
		run := filepath.Join(dir, fmt.Sprintf("%s-%d", c.model, len(c.extra)))
		args := append([]string{"train", "--model", c.model, "--data", dd, "--out", run, "--epochs", "1", "--quiet"}, c.extra...)
		classicalMust(t, args...)
		if lr, _ := lrOf(run); lr != c.lr {
			t.Errorf("%s %v: lr %v, want %v", c.model, c.extra, lr, c.lr)
		}
	}
	run := filepath.Join(dir, "thp")
	classicalMust(t, "train", "--model", "thp", "--data", dd, "--out", run, "--epochs", "1", "--quiet", "--dropout", "0.2", "--hidden", "4")
	if _, hy := lrOf(run); hy["dropout_rate"] != 0.2 {
		t.Errorf("thp hyperparameters %v, want dropout_rate 0.2", hy)
	}
	classicalResetFlags(rootCmd)
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	rootCmd.SetArgs([]string{"train", "--model", "rmtpp", "--data", dd, "--out", filepath.Join(dir, "rd"), "--epochs", "1", "--quiet", "--dropout", "0.2"})
	if err := rootCmd.Execute(); err != nil || !strings.Contains(errb.String(), "rmtpp has no dropout") {
		t.Errorf("rmtpp --dropout: %v, standard error %q", err, errb.String())
	}
}
