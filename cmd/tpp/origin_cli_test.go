package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOriginRecordedByRun: a run trained with --origin first-event is
// evaluated with that origin unless --origin says otherwise.
func TestOriginRecordedByRun(t *testing.T) {
	dir := t.TempDir()
	dd := filepath.Join(dir, "data")
	os.MkdirAll(dd, 0o755)
	r := rand.New(rand.NewPCG(1, 2))
	for _, split := range []string{"train", "dev", "test"} {
		var b strings.Builder
		for s := 0; s < 20; s++ {
			tt := 1000 + 10*r.Float64() // absolute time, no window
			var ts, ks []string
			for j := 0; j < 15; j++ {
				tt += r.ExpFloat64()
				ts = append(ts, fmt.Sprint(tt))
				ks = append(ks, fmt.Sprint(r.IntN(2)))
			}
			fmt.Fprintf(&b, `{"times":[%s],"types":[%s]}`+"\n", strings.Join(ts, ","), strings.Join(ks, ","))
		}
		os.WriteFile(filepath.Join(dd, split+".jsonl"), []byte(b.String()), 0o644)
	}
	run := filepath.Join(dir, "run")
	classicalMust(t, "train", "--model", "poisson", "--data", dd, "--out", run, "--origin", "first-event")
	def := classicalEvalJSON(t, "--run", run, "--data", dd)
	first := classicalEvalJSON(t, "--run", run, "--data", dd, "--origin", "first-event")
	zero := classicalEvalJSON(t, "--run", run, "--data", dd, "--origin", "zero")
	if def["loglik"] != first["loglik"] {
		t.Errorf("default origin did not follow the run: %v vs %v", def["loglik"], first["loglik"])
	}
	if zero["loglik"].(float64) > first["loglik"].(float64)-100 {
		t.Errorf("zero origin should score the ~1000-long empty start: zero %v first-event %v", zero["loglik"], first["loglik"])
	}
	if _, err := classicalRun(t, "eval", "--run", run, "--data", dd, "--origin", "middle"); err == nil {
		t.Error("bad --origin accepted")
	}
}
