package odetpp

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/predict"
)

// allBreaks is a law with a break at every grid point (Config.gridBreak),
// the quadrature before NextBreak skipped negligible kinks.
type allBreaks struct{ *next }

func (a allBreaks) NextBreak(dt float64) float64 {
	j := a.m.cfg.gridBreak(dt)
	if j > maxGridSteps {
		return math.Inf(1)
	}
	return float64(j) * a.m.cfg.MaxStep
}

// slowModel is a model whose laws are long (λ ≈ 0.05 at the state's fixed
// point, horizons of hundreds of grid cells) and whose state relaxes
// slowly (ρ close to 1 and a field that nearly cancels it), with a
// history of long and short gaps.
func slowModel(t *testing.T) (*Model, *data.Sequence) {
	m := newTest(t, Config{HiddenSize: 6, Steps: 2, MaxStep: 0.5}, 3)
	randomise(m, 21, 0.6)
	for k := range m.bout.Value {
		m.bout.Value[k] = -3 + 0.3*float64(k)
	}
	for j := range m.relax.Value {
		m.relax.Value[j] = -3 // ρ ≈ 1.05
	}
	seq := &data.Sequence{Times: []float64{0.3, 0.35, 9, 9.1, 60, 61.5, 62}, Types: []int{0, 1, 2, 0, 1, 2, 0}, End: 70}
	return m, seq
}

// TestNextBreakSkipsNegligibleKinks: the quadrature with NextBreak's
// breaks gives the predictions of the quadrature with a break at every
// grid point (mean, median and mark probabilities to 1e-7 relative) with
// far fewer evaluations on long laws, for a slowly relaxing random model,
// the trained-like default initialisation, and several MaxStep and Steps.
func TestNextBreakSkipsNegligibleKinks(t *testing.T) {
	slow, seq := slowModel(t)
	def := newTest(t, Config{HiddenSize: 8, Steps: 3, MaxStep: 0.25}, 3)
	for k := range def.bout.Value {
		def.bout.Value[k] = -2.5
	}
	var evNew, evAll int
	for _, m := range []*Model{slow, def} {
		for i := 0; i <= len(seq.Times); i++ {
			n := m.NextAfter(seq, i).(*next)
			got, err := predict.Analyze(n, predict.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := predict.Analyze(allBreaks{m.NextAfter(seq, i).(*next)}, predict.Options{})
			if err != nil {
				t.Fatal(err)
			}
			evNew += got.Evals
			evAll += want.Evals
			if want.Horizon < 50 {
				t.Errorf("law %d: horizon %g, want a long law", i, want.Horizon)
			}
			if !relNear(got.Mean, want.Mean, 1e-7) || !relNear(got.Median, want.Median, 1e-7) {
				t.Errorf("law %d: mean %v median %v, all breaks %v %v", i, got.Mean, got.Median, want.Mean, want.Median)
			}
			for k, p := range want.MarkProbs {
				if !relNear(got.MarkProbs[k], p, 1e-7) {
					t.Errorf("law %d: P(mark %d) = %v, all breaks %v", i, k, got.MarkProbs[k], p)
				}
			}
		}
	}
	t.Logf("evaluations: %d with NextBreak, %d with a break at every grid point", evNew, evAll)
	if 4*evNew > evAll {
		t.Errorf("%d evaluations, want far fewer than %d", evNew, evAll)
	}
}

// TestGridCycle: the grid states looked up past a cycle (gridAt) are bit
// for bit those of stepping on, and the slow model's grid does reach a
// cycle; the kinks repeat with it.
func TestGridCycle(t *testing.T) {
	m, seq := slowModel(t)
	n := m.NextAfter(seq, 3).(*next)
	n.Intensities(0, make([]float64, m.k))
	h, sc := append([]float64(nil), n.s...), m.newScratch()
	const steps = 3000
	for k := 1; k <= steps; k++ {
		m.rk4(h, m.cfg.MaxStep, sc)
		if g := n.grid[n.gridAt(k)]; !sameBits(g, h) {
			t.Fatalf("grid[%d] = %v, stepping gives %v", k, g, h)
		}
	}
	if n.period == 0 || len(n.grid) > steps/2 {
		t.Fatalf("no cycle found: %d states stored", len(n.grid))
	}
	t.Logf("cycle of period %d from grid[%d]", n.period, n.cycleAt)
	for j := n.cycleAt + 1; j < n.cycleAt+3*n.period; j++ {
		if n.kink(j+n.period) != n.kink(j) {
			t.Errorf("κ_%d = %v, κ_%d = %v", j+n.period, n.kink(j+n.period), j, n.kink(j))
		}
	}
}

// TestKinkIsTheSlopeJump: κ_j equals the jump of the intensities' slopes
// at grid point j measured by one-sided finite differences.
func TestKinkIsTheSlopeJump(t *testing.T) {
	m, seq := slowModel(t)
	m.relax.Value[0] = 1
	for i := range m.w1.Value {
		m.w1.Value[i] *= 3
	}
	n := m.NextAfter(seq, 2).(*next)
	K, M := m.k, m.cfg.MaxStep
	at := func(x float64) []float64 {
		out := make([]float64, K)
		n.Intensities(x, out)
		return out
	}
	for _, j := range []int{3, 4, 6, 9} {
		x, e := float64(j)*M, 1e-5
		a, r1, r2, l1, l2 := at(x), at(x+e), at(x+2*e), at(x-e), at(x-2*e)
		fd := 0.0
		for k := 0; k < K; k++ {
			right := (-3*a[k] + 4*r1[k] - r2[k]) / (2 * e)
			left := (3*a[k] - 4*l1[k] + l2[k]) / (2 * e)
			fd += math.Abs(right - left)
		}
		if got := n.kink(j); math.Abs(got-fd) > 1e-3*fd+1e-8 {
			t.Errorf("κ_%d = %v, finite differences %v", j, got, fd)
		}
	}
}
