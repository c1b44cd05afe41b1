package bench

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestAggregateByHand(t *testing.T) {
	// {1, 2, 3, 4}: mean 2.5, squared deviations 2.25+0.25+0.25+2.25 = 5,
	// sample variance 5/3.
	s := Aggregate([]float64{1, 2, 3, 4})
	if s.N != 4 || float64(s.Mean) != 2.5 || math.Abs(float64(s.Std)-math.Sqrt(5.0/3)) > 1e-15 {
		t.Errorf("Aggregate(1..4) = %+v", s)
	}
	// Missing values are skipped, not counted as zeros.
	s = Aggregate([]float64{math.NaN(), 1, math.Inf(1), 3})
	if s.N != 2 || float64(s.Mean) != 2 || math.Abs(float64(s.Std)-math.Sqrt2) > 1e-15 {
		t.Errorf("Aggregate with NaN/Inf = %+v", s)
	}
	s = Aggregate([]float64{7})
	if s.N != 1 || float64(s.Mean) != 7 || !math.IsNaN(float64(s.Std)) {
		t.Errorf("one value: %+v (std must be undefined)", s)
	}
	s = Aggregate(nil)
	if s.N != 0 || !math.IsNaN(float64(s.Mean)) {
		t.Errorf("no value: %+v", s)
	}
}

func TestAggregateMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 2; n < 40; n += 7 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = 1e6 + rng.NormFloat64() // a large offset tests the two-pass sum
		}
		mean, std := stat.MeanStdDev(xs, nil) // gonum: unbiased (n−1) estimate
		s := Aggregate(xs)
		if math.Abs(float64(s.Mean)-mean) > 1e-9 || math.Abs(float64(s.Std)-std) > 1e-9*std {
			t.Errorf("n=%d: got %v ± %v, gonum %v ± %v", n, s.Mean, s.Std, mean, std)
		}
	}
}

func TestMarkBest(t *testing.T) {
	nan := math.NaN()
	vals := [][]float64{
		{1, 0.5, 3, nan, 10},
		{2, 0.5, nan, nan, 20},
		{nan, 0.7, 1, nan, 30},
	}
	dirs := []Direction{HigherBetter, LowerBetter, LowerBetter, HigherBetter, Neutral}
	got := MarkBest(vals, dirs)
	want := [][]bool{
		{false, true, false, false, false},
		{true, true, false, false, false}, // tie in column 1: both marked
		{false, false, true, false, false},
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d col %d: marked %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
	// Negative log-likelihoods: higher (closer to zero) is better.
	got = MarkBest([][]float64{{-1.5}, {-0.9}, {-2}}, []Direction{HigherBetter})
	if !got[1][0] || got[0][0] || got[2][0] {
		t.Errorf("LL column marked %v", got)
	}
}

func TestFormatStat(t *testing.T) {
	cases := []struct {
		s    Stat
		prec int
		want string
	}{
		{Stat{Mean: -1.23456, Std: 0.01234, N: 3}, 4, "-1.2346 ± 0.0123"},
		{Stat{Mean: 1234.5, Std: 12.3456, N: 2}, -3, "1.23e+03 ± 12"},
		{Stat{Mean: 0.5, Std: Num(math.NaN()), N: 1}, 4, "0.5000"},
		{Stat{Mean: Num(math.NaN()), Std: Num(math.NaN())}, 4, "–"},
	}
	for _, c := range cases {
		if got := formatStat(c.s, c.prec); got != c.want {
			t.Errorf("formatStat(%+v, %d) = %q, want %q", c.s, c.prec, got, c.want)
		}
	}
}

func TestDataTableBoldAndFailures(t *testing.T) {
	st := func(m float64) Stat { return Stat{Mean: Num(m), Std: Num(math.NaN()), N: 1} }
	sums := []ModelSummary{
		{Data: "d", Model: "a", NumParams: 2, Seeds: 1, Metrics: map[string]Stat{"loglik_per_event": st(-1.00001), "rmse": st(2)}, Timing: map[string]Stat{}},
		{Data: "d", Model: "b", NumParams: 9, Seeds: 2, Failed: 1, Metrics: map[string]Stat{"loglik_per_event": st(-1.00002), "rmse": st(1)}, Timing: map[string]Stat{}},
		{Data: "other", Model: "a", Metrics: map[string]Stat{}, Timing: map[string]Stat{}},
	}
	tb := dataTable(sums, "d")
	if len(tb.Rows) != 2 {
		t.Fatalf("%d rows, want 2 (other data set left out)", len(tb.Rows))
	}
	col := func(h string) int {
		for i, x := range tb.Header {
			if x == h {
				return i
			}
		}
		t.Fatalf("no column %q in %v", h, tb.Header)
		return -1
	}
	ll, rmse := col("LL/event (full)"), col("RMSE")
	// Equal as displayed (4 decimals): both bold.
	if !tb.Bold[0][ll] || !tb.Bold[1][ll] {
		t.Errorf("LL ties as displayed not both bold: %v", tb.Bold)
	}
	if tb.Bold[0][rmse] || !tb.Bold[1][rmse] {
		t.Errorf("RMSE: lower must win: %v", tb.Bold)
	}
	if tb.Rows[1][0] != "b (1/2 failed)" || tb.Rows[0][col("OTD")] != "–" {
		t.Errorf("rows %v", tb.Rows)
	}
	if md := tb.Markdown(); !strings.Contains(md, "**-1.0000**") || !strings.Contains(md, "**1**") {
		t.Errorf("markdown lacks bold cells:\n%s", md)
	}
}

func TestNumJSON(t *testing.T) {
	in := map[string]Num{"a": 0.1, "b": Num(math.NaN()), "c": Num(math.Inf(-1)), "d": 1e-300, "e": -2}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":0.1,"b":null,"c":null,"d":1e-300,"e":-2}`; string(b) != want {
		t.Errorf("marshal: %s, want %s", b, want)
	}
	var out map[string]Num
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out["a"] != 0.1 || !math.IsNaN(float64(out["b"])) || out["d"] != 1e-300 || out["e"] != -2 {
		t.Errorf("round trip: %v", out)
	}
}

func TestParseHWM(t *testing.T) {
	status := []byte("Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1000 kB\n")
	if got := parseHWM(status); got != 2048*1024 {
		t.Errorf("parseHWM = %d", got)
	}
	if got := parseHWM([]byte("VmHWM: 12 MB\n")); got != 0 {
		t.Errorf("unknown unit accepted: %d", got)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		// A live reading grows when memory is touched.
		w := startMemWatch()
		buf := make([]byte, 64<<20)
		for i := range buf {
			buf[i] = byte(i)
		}
		rss, _, goBytes := w.done()
		if rss < 64<<20 || goBytes < 64<<20 {
			t.Errorf("after touching 64 MiB: peak RSS %d, peak Go %d", rss, goBytes)
		}
		_ = buf[len(buf)-1]
	}
}

func TestCheckSettings(t *testing.T) {
	dir := t.TempDir()
	s := Settings{FormatVersion: formatVersion, Epochs: 3, Workers: 2, Horizon: 20, MaxCases: 100}
	if err := checkSettings(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := checkSettings(dir, s); err != nil {
		t.Fatalf("same settings refused: %v", err)
	}
	s2 := s
	s2.Epochs = 4
	err := checkSettings(dir, s2)
	if err == nil || !strings.Contains(err.Error(), "epochs 3 (now 4)") {
		t.Fatalf("changed epochs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SettingsFile)); err != nil {
		t.Fatal(err)
	}
}

func TestExpandModels(t *testing.T) {
	got, err := expandModels([]string{"Hawkes", "poisson", "hawkes"})
	if err != nil || len(got) != 2 || got[0] != "hawkes" || got[1] != "poisson" {
		t.Errorf("expandModels = %v, %v", got, err)
	}
	all, err := expandModels([]string{"all"})
	if err != nil || len(all) != len(AllModels()) || all[0] != "poisson" || all[1] != "hawkes" {
		t.Errorf("all = %v, %v", all, err)
	}
	if _, err := expandModels([]string{"nosuch"}); err == nil || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Errorf("unknown model: %v", err)
	}
}
