package sahp

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/model/attention/modeltest"
)

// TestIntensitiesAtSettled: IntensitiesAt, which gives the types that have
// settled at every offset their asymptote without evaluating them, equals
// bit for bit the plain evaluation of every offset and type (intensities)
// and Intensities, on panels from 0 to far past every type's settling time
// (none, some and all types settled), for laws of random sequences with
// parameters at two scales, including a model with 200 types (more than
// the stack list of unsettled types holds).
func TestIntensitiesAtSettled(t *testing.T) {
	for ci, c := range []struct {
		k int
		a float64
	}{{5, 0.5}, {5, 3}, {200, 1}} {
		m := newTest(t, Config{HiddenSize: 8, NumLayers: 1, NumHeads: 2}, c.k, uint64(90+ci))
		modeltest.Randomise(m.Params(), uint64(91+ci), c.a)
		seqs := modeltest.RandomSeqs(uint64(92+ci), 2, 6, c.k)
		K := c.k
		seen := map[string]bool{}
		for si := range seqs {
			for i := 0; i <= seqs[si].Len(); i++ {
				n := m.NextAfter(&seqs[si], i).(*next)
				for _, a := range []float64{0, 0.5, 3, 10, 40, 100, 300, 1e3, 1e4, 1e6} {
					for _, r := range []float64{1e-3, 0.5, 10} {
						dts := make([]float64, 15)
						for j := range dts {
							dts[j] = a + r*float64((j*7)%15)/14 // unsorted
						}
						got, want := make([]float64, 15*K), make([]float64, 15*K)
						n.IntensitiesAt(dts, got)
						intensities(dts, n.gamma, n.bm, n.bd, n.inv, want)
						one := make([]float64, K)
						settled := 0
						for _, s := range n.settle {
							if a > s {
								settled++
							}
						}
						switch settled {
						case 0:
							seen["none"] = true
						case K:
							seen["all"] = true
						default:
							seen["some"] = true
						}
						for j, dt := range dts {
							n.Intensities(dt, one)
							for k := 0; k < K; k++ {
								g := got[j*K+k]
								if math.Float64bits(g) != math.Float64bits(want[j*K+k]) || math.Float64bits(g) != math.Float64bits(one[k]) {
									t.Fatalf("case %d, seq %d, event %d, dt=%v, type %d (settles at %v): IntensitiesAt %v, evaluated %v, Intensities %v",
										ci, si, i, dt, k, n.settle[k], g, want[j*K+k], one[k])
								}
							}
						}
					}
				}
			}
		}
		for _, s := range []string{"none", "some", "all"} {
			if !seen[s] {
				t.Errorf("case %d: no panel with %s of the types settled", ci, s)
			}
		}
	}
}

// TestSettleTime: past settleTime the sum bm + bd·e^{−γt} rounds to bm,
// checked directly on a grid of magnitudes; the degenerate cases never
// settle (or settle at once for bd = 0).
func TestSettleTime(t *testing.T) {
	for _, bm := range []float64{1, -1, 0.75, 3e-5, -2e7, 1024, 0x1p-40} {
		for _, bd := range []float64{1, -1, 1e3, -1e-8, 5e10} {
			for _, g := range []float64{1e-3, 0.7, 50} {
				s := settleTime(bm, bd, g)
				for _, f := range []float64{1, 1.0001, 1.5, 3, 100} {
					dt := s * f
					if s == 0 {
						dt = 1e-300 * f
					}
					e := make([]float64, 1)
					e[0] = -g * dt
					vecmath.Exp(e, e)
					if v := bm + bd*e[0]; v != bm {
						t.Fatalf("bm %v, bd %v, γ %v: at %v (settle %v) the sum is %v", bm, bd, g, dt, s, v)
					}
				}
			}
		}
	}
	for _, c := range [][3]float64{{0, 1, 1}, {1, 1, 0}, {math.NaN(), 1, 1}, {1, math.NaN(), 1}, {1, 1, math.NaN()}, {math.Inf(1), 1, 1}} {
		if s := settleTime(c[0], c[1], c[2]); !math.IsInf(s, 1) {
			t.Errorf("settleTime(%v) = %v, want +Inf", c, s)
		}
	}
	if s := settleTime(2, 0, 1); s != 0 {
		t.Errorf("settleTime with bd = 0: %v, want 0", s)
	}
}
