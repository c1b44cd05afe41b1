package predict

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/metrics"
)

// sharedData returns ../shared/data/<name> relative to the repository root
// (the directory holding go.mod), or skips the test.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("repository root (go.mod) not found")
		}
		dir = up
	}
	p := filepath.Join(dir, "..", "shared", "data", name)
	if _, err := os.Stat(filepath.Join(p, "meta.json")); err != nil {
		t.Skipf("shared data set %s not found at %s (the test needs the read-only shared data next to the repository)", name, p)
	}
	return p
}

// TestHawkesSynthTruth rebuilds, through this package's Next/Model
// interfaces and RescaledGaps, the exact log-likelihood that truth.json gives
// for the first test sequences of the shared hawkes_synth set under its true
// parameters, and checks that the rescaled gaps are Exp(1).
func TestHawkesSynthTruth(t *testing.T) {
	dir := sharedData(t, "hawkes_synth")
	var meta struct {
		True struct {
			Mu     []float64   `json:"mu"`
			Alpha  [][]float64 `json:"alpha"`
			Beta   float64     `json:"beta"`
			Window []float64   `json:"window"`
		} `json:"true_params"`
	}
	readJSON(t, filepath.Join(dir, "meta.json"), &meta)
	var truth struct {
		LL map[string][]float64 `json:"loglik_per_sequence"`
	}
	readJSON(t, filepath.Join(dir, "truth.json"), &truth)
	h := &hawkes{mu: meta.True.Mu, alpha: meta.True.Alpha, beta: meta.True.Beta}

	f, err := os.Open(filepath.Join(dir, "test.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	nSeq := 100
	if testing.Short() {
		nSeq = 20
	}
	var pooled []float64
	buf := make([]float64, len(h.mu))
	for line := 0; line < nSeq && sc.Scan(); line++ {
		var seq data.Sequence
		if err := json.Unmarshal(sc.Bytes(), &seq); err != nil {
			t.Fatalf("test.jsonl line %d: %v", line+1, err)
		}
		seq.Start, seq.End = meta.True.Window[0], meta.True.Window[1]
		gaps, err := RescaledGaps(h, &seq, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ll := 0.0
		for i, g := range gaps {
			prev := seq.Start
			if i > 0 {
				prev = seq.Times[i-1]
			}
			h.NextAfter(&seq, i).Intensities(seq.Times[i]-prev, buf)
			ll += math.Log(buf[seq.Types[i]]) - g
		}
		// Survival term after the last event, to the window end.
		e, _ := newEngine(h.NextAfter(&seq, seq.Len()), Options{})
		tail, err := adaptiveGK(func(x float64) (float64, error) { return e.intens(x, e.scr) }, 0, seq.End-seq.Times[seq.Len()-1], 1e-11, 40)
		if err != nil {
			t.Fatal(err)
		}
		ll -= tail
		near(t, "log-likelihood vs truth.json", ll, truth.LL["test"][line], 1e-7)
		pooled = append(pooled, gaps...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	ks, _ := metrics.KSExp1(pooled)
	if ks.PValue < 1e-3 {
		t.Errorf("true-model rescaled gaps: D = %.4f, p = %.3g over %d gaps", ks.D, ks.PValue, ks.N)
	}
	t.Logf("%d sequences, %d gaps, KS D = %.4f p = %.3f", nSeq, len(pooled), ks.D, ks.PValue)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
