package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/sampler"
)

// benchCLI runs `tpp bench args...` in-process with the bench flags reset
// to their defaults, and returns standard output.
func benchCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	benchCmd.Flags().VisitAll(func(f *pflag.Flag) {
		_ = f.Value.Set(f.DefValue)
		f.Changed = false
	})
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	rootCmd.SetArgs(append([]string{"bench"}, args...))
	err := rootCmd.Execute()
	return out.String(), err
}

func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	m := hawkes.MustNew(hawkes.NewScalarParams([]float64{0.3, 0.2}, [][]float64{{0.4, 0.1}, {0.2, 0.3}}, 2))
	splits, err := sampler.HawkesDataset(m, sampler.DatasetOptions{Sequences: 20, Start: 0, End: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	dd := filepath.Join(dir, "small")
	if err := data.WriteDir(dd, data.JSONL, false, splits, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "b")
	args := []string{"--models", "poisson,hawkes", "--data", dd, "--out", out, "--quiet", "--max-cases", "3", "--horizon", "5"}
	got, err := benchCLI(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	if !strings.Contains(got, "2 cells computed, 0 skipped") {
		t.Errorf("first run:\n%s", got)
	}
	for _, f := range []string{"results.json", "results.csv", "results.md", "report.html", "settings.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if got, err = benchCLI(t, args...); err != nil || !strings.Contains(got, "0 cells computed, 2 skipped") {
		t.Errorf("rerun: %v\n%s", err, got)
	}
	// Another epoch count into the same directory is refused.
	if _, err := benchCLI(t, append(args, "--epochs", "3")...); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("changed settings: %v", err)
	}
	if _, err := benchCLI(t, "--data", dd); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("missing --out: %v", err)
	}
	if _, err := benchCLI(t, "--models", "nosuch", "--data", dd, "--out", filepath.Join(dir, "c")); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown model: %v", err)
	}

	sp := filepath.Join(dir, "speed")
	got, err = benchCLI(t, "--speed", "--models", "poisson", "--steps", "1", "--predict-events", "20", "--quiet", "--out", sp)
	if err != nil {
		t.Fatalf("--speed: %v\n%s", err, got)
	}
	if !strings.Contains(got, "| model | parameters | train events/s |") || !strings.Contains(got, "| poisson |") {
		t.Errorf("--speed output:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(sp, "speed.json")); err != nil {
		t.Error(err)
	}
}
