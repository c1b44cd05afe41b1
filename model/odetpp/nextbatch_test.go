package odetpp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/data"
)

// TestIntensitiesAtMatchesIntensities: the batched intensities equal, to
// rounding, the scalar ones and a fresh solve by the step rule (solve and
// head, independent of next's caches), at offsets in both step-rule
// regimes, on and across grid cells, at 0, exactly on grid points and
// beyond the grid cap, in mixed calls, with the grid built by either path.
func TestIntensitiesAtMatchesIntensities(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		k   int
	}{
		{Config{HiddenSize: 32}, 10},
		{Config{HiddenSize: 5, Steps: 3, MaxStep: 0.25}, 3},
		{Config{HiddenSize: 7, Steps: 1, MaxStep: 0.4}, 1},
	} {
		m := newTest(t, tc.cfg, tc.k)
		randomise(m, 21, 0.6)
		c := m.cfg
		seq := randomSeqs(5, 1, 8, tc.k)[0]
		beta := make([]float64, m.k)
		for k, v := range m.logBeta.Value {
			beta[k] = math.Exp(v)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		lim := float64(c.Steps) * c.MaxStep
		var sets [][]float64
		// a Gauss–Kronrod-like panel in each regime, and across cells
		for _, ab := range [][2]float64{{0, lim}, {0.1 * lim, 0.3 * lim}, {lim, lim + c.MaxStep}, {lim + 3*c.MaxStep, lim + 4*c.MaxStep}, {0.5 * lim, 7 * c.MaxStep}} {
			var xs []float64
			for j := 0; j < 15; j++ {
				xs = append(xs, ab[0]+(ab[1]-ab[0])*(0.5+0.5*math.Cos(math.Pi*float64(15-j)/15)))
			}
			sets = append(sets, xs)
		}
		// special offsets and random mixtures
		sets = append(sets, []float64{0, lim, 2 * lim, lim + c.MaxStep, 10 * c.MaxStep, 1e-300})
		for r := 0; r < 5; r++ {
			var xs []float64
			for j := 0; j < 1+rng.IntN(20); j++ {
				xs = append(xs, rng.ExpFloat64()*2*lim)
			}
			sets = append(sets, xs)
		}
		sets = append(sets, []float64{0.5 * lim}, nil)
		for i := 0; i <= seq.Len(); i++ {
			for _, scalarFirst := range []bool{false, true} {
				nb := m.NextAfter(&seq, i).(*next)
				ns := m.NextAfter(&seq, i).(*next)
				all := sets
				if i == seq.Len() { // the grid's cap: 4096 steps, built once
					all = append(all[:len(all):len(all)], []float64{1, maxGridSteps*c.MaxStep + 3.3, maxGridSteps * c.MaxStep, 5})
				}
				for _, xs := range all {
					if scalarFirst {
						one := make([]float64, m.k)
						for _, x := range xs {
							ns.Intensities(x, one)
						}
					}
					got := make([]float64, len(xs)*m.k)
					nb.IntensitiesAt(xs, got)
					for j, x := range xs {
						want := make([]float64, m.k)
						ns.Intensities(x, want)
						h := make([]float64, c.HiddenSize)
						m.solve(nb.s, x, h, m.newScratch())
						ref := make([]float64, m.k)
						m.head(h, beta, ref)
						for k := range want {
							g := got[j*m.k+k]
							// the same roundings as the scalar path (see
							// affineRowsFMA); a fresh solve with
							// Model.head's unfused affine map to rounding
							if g != want[k] || !relNear(g, ref[k], 1e-13) {
								t.Fatalf("H=%d event %d dt=%g type %d: batched %.17g, scalar %.17g, fresh %.17g",
									c.HiddenSize, i, x, k, g, want[k], ref[k])
							}
						}
					}
				}
			}
		}
	}
}

// TestIntensitiesAtEmptyHistory: the batched path from the initial state.
func TestIntensitiesAtEmptyHistory(t *testing.T) {
	m := newTest(t, Config{}, 4)
	n := m.NextAfter(&data.Sequence{End: 1}, 0).(*next)
	xs := []float64{0, 0.2, 1.7, 3}
	got := make([]float64, len(xs)*4)
	n.IntensitiesAt(xs, got)
	for j, x := range xs {
		want := make([]float64, 4)
		n.Intensities(x, want)
		for k := range want {
			if !relNear(got[j*4+k], want[k], 1e-13) {
				t.Errorf("dt=%g type %d: %g, want %g", x, k, got[j*4+k], want[k])
			}
		}
	}
}

// relNear reports |a − b| <= tol·|b| (relative, also for small values).
func relNear(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Abs(b) }

// TestAffineRowsFMA: the assembly kernel and the Go loop agree bit for
// bit, every row equals a one-row call, and both agree with a plain
// (unfused) sum to rounding, for odd and even row counts, several inner
// sizes and column counts (multiples of 16 for the kernel, others on the
// Go loop).
func TestAffineRowsFMA(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	saved := useAffineAsm
	defer func() { useAffineAsm = saved }()
	for _, n := range []int{1, 2, 3, 15, 16} {
		for _, k := range []int{1, 5, 32} {
			for _, c := range []int{10, 16, 32, 48} {
				x, w, b := make([]float64, n*k), make([]float64, k*c), make([]float64, c)
				for _, v := range [][]float64{x, w, b} {
					for i := range v {
						v[i] = rng.NormFloat64()
					}
				}
				var outs [2][]float64
				for p, asm := range []bool{false, true} {
					useAffineAsm = saved && asm
					outs[p] = make([]float64, n*c)
					affineRowsFMA(n, k, c, x, w, b, outs[p])
					for i := 0; i < n; i++ {
						one := make([]float64, c)
						affineRowsFMA(1, k, c, x[i*k:(i+1)*k], w, b, one)
						for j := range one {
							if one[j] != outs[p][i*c+j] {
								t.Fatalf("n=%d k=%d c=%d asm=%v: row %d alone differs", n, k, c, asm, i)
							}
						}
					}
				}
				for i := 0; i < n; i++ {
					for j := 0; j < c; j++ {
						ref, mag := b[j], math.Abs(b[j])
						for d := 0; d < k; d++ {
							ref += x[i*k+d] * w[d*c+j]
							mag += math.Abs(x[i*k+d] * w[d*c+j])
						}
						g := outs[1][i*c+j]
						if g != outs[0][i*c+j] || math.Abs(g-ref) > 1e-14*mag {
							t.Fatalf("n=%d k=%d c=%d (%d,%d): asm %v, Go %v, plain sum %v", n, k, c, i, j, g, outs[0][i*c+j], ref)
						}
					}
				}
			}
		}
	}
}
