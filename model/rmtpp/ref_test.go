package rmtpp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// refModel is an independent scalar implementation of RMTPP used to check
// the batched engine code: plain loops over one sequence, and the
// compensator by 60-point Gauss–Legendre quadrature of the intensity on each
// interval (not the closed form).
type refModel struct {
	H, K, F                    int
	tau                        float64
	feature                    string
	emb, wy, bh, wt, wh, h0, v []float64
	bv, w                      float64
	wm, bm                     []float64
}

func refOf(m *Model) refModel {
	return refModel{
		H: m.cfg.HiddenSize, K: m.k, F: m.cfg.numFeatures(), tau: m.cfg.TimeScale, feature: m.cfg.TimeFeature,
		emb: m.emb.Value, wy: m.wy.Value, bh: m.bh.Value, wt: m.wt.Value, wh: m.wh.Value, h0: m.h0.Value,
		v: m.v.Value, bv: m.bv.Value[0], w: m.w.Value[0], wm: m.wm.Value, bm: m.bm.Value,
	}
}

func (r refModel) features(dt float64) []float64 {
	x := dt / r.tau
	switch r.feature {
	case FeatureLog1p:
		return []float64{math.Log1p(x)}
	case FeatureLinear:
		return []float64{x}
	}
	return []float64{math.Log1p(x), x}
}

// seqLL returns the time and mark log-likelihood of s under convention c and
// the number of events scored.
func (r refModel) seqLL(s *data.Sequence, c likelihood.Convention) (timeLL, markLL float64, n int) {
	h := append([]float64(nil), r.h0...)
	anchor := s.Start
	intensity := func(t float64) float64 {
		z := r.bv + r.w*(t-anchor)
		for d := 0; d < r.H; d++ {
			z += r.v[d] * h[d]
		}
		return math.Exp(z)
	}
	integral := func(a, b float64) float64 {
		if b <= a {
			return 0
		}
		return quad.Fixed(intensity, a, b, 60, quad.Legendre{}, 0)
	}
	for i, ti := range s.Times {
		k := s.Types[i]
		counted := c == likelihood.Full || i >= 1
		if counted {
			timeLL -= integral(anchor, ti)
			timeLL += math.Log(intensity(ti))
			// mark: log softmax(W_mᵀ h + b_m)[k]
			logits := make([]float64, r.K)
			mx := math.Inf(-1)
			for j := 0; j < r.K; j++ {
				z := r.bm[j]
				for d := 0; d < r.H; d++ {
					z += h[d] * r.wm[d*r.K+j]
				}
				logits[j] = z
				mx = math.Max(mx, z)
			}
			sum := 0.0
			for _, z := range logits {
				sum += math.Exp(z - mx)
			}
			markLL += logits[k] - mx - math.Log(sum)
			n++
		}
		phi := r.features(ti - anchor)
		next := make([]float64, r.H)
		for j := 0; j < r.H; j++ {
			z := r.bh[j]
			for d := 0; d < r.H; d++ {
				z += r.emb[k*r.H+d]*r.wy[d*r.H+j] + h[d]*r.wh[d*r.H+j]
			}
			for f, x := range phi {
				z += x * r.wt[f*r.H+j]
			}
			next[j] = math.Tanh(z)
		}
		h = next
		anchor = ti
	}
	if c == likelihood.Full {
		timeLL -= integral(anchor, s.End)
	}
	return timeLL, markLL, n
}

// randomSeqs draws n sequences with lengths 0..maxLen (one empty), a few
// ties, random windows that start before the first event and end after the
// last.
func randomSeqs(seed uint64, n, maxLen, k int) []data.Sequence {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]data.Sequence, n)
	for i := range out {
		m := rng.IntN(maxLen + 1)
		if i == 1 {
			m = 0
		}
		if i == 0 {
			m = maxLen
		}
		start := rng.Float64() * 2
		s := data.Sequence{ID: fmt.Sprintf("s%d", i), Start: start}
		t := start
		for j := 0; j < m; j++ {
			if j == 0 || rng.IntN(6) > 0 {
				t += rng.ExpFloat64() * 0.8
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, rng.IntN(k))
		}
		s.End = t + rng.Float64()*1.5
		out[i] = s
	}
	return out
}

// randomise sets every parameter of m to a U(−a, a) draw and w to wv.
func randomise(m *Model, seed uint64, a, wv float64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, p := range m.ps {
		for i := range p.Value {
			p.Value[i] = (rng.Float64()*2 - 1) * a
		}
	}
	m.w.Value[0] = wv
}
