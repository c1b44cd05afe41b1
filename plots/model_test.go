package plots

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/predict"
)

// toyModel has λ_k(t) = (k+1)·(1+n)·e^{−(t−t_last)} + 0.1 with n the number
// of events before t and t_last the last of them (or the window start).
type toyModel struct{ k int }

func (m toyModel) NumTypes() int { return m.k }
func (m toyModel) NextAfter(_ *data.Sequence, i int) predict.Next {
	return toyNext{k: m.k, n: i}
}

type toyNext struct{ k, n int }

func (n toyNext) NumTypes() int { return n.k }
func (n toyNext) Intensities(dt float64, out []float64) {
	for k := range out {
		out[k] = float64(k+1)*float64(1+n.n)*math.Exp(-dt) + 0.1
	}
}

// toyDirect evaluates the toy intensity from its definition, counting the
// history by brute force.
func toyDirect(seq *data.Sequence, t float64, k int) float64 {
	n, last := 0, seq.Start
	for _, s := range seq.Times {
		if s < t {
			n++
			last = s
		}
	}
	return float64(k+1)*float64(1+n)*math.Exp(-(t-last)) + 0.1
}

func TestModelIntensityMatchesDefinition(t *testing.T) {
	seq := &data.Sequence{ID: "s", Times: []float64{0.5, 1.2, 1.2, 3}, Types: []int{0, 1, 1, 0}, Start: 0, End: 4}
	grid := EventGrid(seq.Start, seq.End, seq.Times, 41)
	lam, err := ModelIntensity(toyModel{k: 2}, seq, grid)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		for j, x := range grid {
			if want := toyDirect(seq, x, k); math.Abs(lam[k][j]-want) > 1e-12*want {
				t.Fatalf("λ_%d(%v) = %v, want %v", k, x, lam[k][j], want)
			}
		}
	}
	// Left limit at an event, right limit just after it.
	j := 0
	for grid[j] != 1.2 {
		j++
	}
	if lam[0][j] >= lam[0][j+1] {
		t.Errorf("no jump at the tied events: %v then %v", lam[0][j], lam[0][j+1])
	}
	if got, want := lam[0][j+1], 4*math.Exp(-(grid[j+1]-1.2))+0.1; math.Abs(got-want) > 1e-12 {
		t.Errorf("after the two tied events λ_0 = %v, want %v (both counted)", got, want)
	}
}

func TestModelIntensityHawkes(t *testing.T) {
	m := hawkes.MustNew(hawkes.NewScalarParams([]float64{0.2, 0.1}, [][]float64{{0.3, 0.1}, {0.2, 0.4}}, 1.5))
	seq := &data.Sequence{Times: []float64{0.3, 0.9, 2.5, 2.6, 4}, Types: []int{0, 1, 1, 0, 0}, Start: 0, End: 6}
	grid := EventGrid(seq.Start, seq.End, seq.Times, 200)
	lam, err := ModelIntensity(m, seq, grid)
	if err != nil {
		t.Fatal(err)
	}
	// Independent: Hawkes' O(N·K) sum over the history strictly before t.
	buf := make([]float64, 2)
	for j, x := range grid {
		m.Intensity(seq.Times, seq.Types, x, buf)
		for k := range buf {
			if math.Abs(lam[k][j]-buf[k]) > 1e-12*(1+buf[k]) {
				t.Fatalf("λ_%d(%v) = %v, direct sum %v", k, x, lam[k][j], buf[k])
			}
		}
	}
	tot := TotalSeries("total", grid, lam)
	st := StackedSeries(grid, lam, nil)
	for j := range grid {
		if math.Abs(tot.Y[j]-(lam[0][j]+lam[1][j])) > 1e-15 || st[1].Y[j] != tot.Y[j] || st[0].Y[j] != lam[0][j] {
			t.Fatalf("total/stacked wrong at %d", j)
		}
	}
	if st[0].Label != "type 0" || st[1].Label != "+ type 1" {
		t.Errorf("stacked labels %q, %q", st[0].Label, st[1].Label)
	}
	f := &IntensityFigure{Title: "hawkes", Series: st, Seq: seq, NumTypes: 2}
	if err := f.Save(filepath.Join(t.TempDir(), "x.png")); err != nil {
		t.Fatal(err)
	}
}

type badModel struct{}

func (badModel) NumTypes() int                              { return 1 }
func (badModel) NextAfter(*data.Sequence, int) predict.Next { return badNext{} }

type badNext struct{}

func (badNext) NumTypes() int                         { return 1 }
func (badNext) Intensities(dt float64, out []float64) { out[0] = math.NaN() }

func TestModelIntensityErrors(t *testing.T) {
	seq := &data.Sequence{Times: []float64{1}, Types: []int{0}, Start: 0, End: 2}
	if _, err := ModelIntensity(badModel{}, seq, []float64{0, 1}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN intensity: %v", err)
	}
	if _, err := ModelIntensity(toyModel{k: 1}, seq, []float64{1, 0.5}); err == nil || !strings.Contains(err.Error(), "sorted") {
		t.Errorf("unsorted grid: %v", err)
	}
	if _, err := ModelIntensity(toyModel{k: 1}, seq, []float64{-1, 0.5}); err == nil || !strings.Contains(err.Error(), "before the window") {
		t.Errorf("grid before start: %v", err)
	}
	two := &data.Sequence{Times: []float64{1}, Types: []int{3}, Start: 0, End: 2}
	if _, err := ModelIntensity(toyModel{k: 2}, two, []float64{0}); err == nil || !strings.Contains(err.Error(), "type 3") {
		t.Errorf("type out of range: %v", err)
	}
}
