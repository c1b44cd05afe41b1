package rmtpp

import (
	"iter"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/predict"
)

// next is RMTPP's law of the next event after a history whose last hidden
// state gives c = v·h + b_v and the mark distribution p: the total intensity
// exp(c + w·dt) with mark probabilities p, and its compensator in closed form.
type next struct {
	c, w float64
	p    []float64
}

func (n *next) NumTypes() int { return len(n.p) }

func (n *next) Intensities(dt float64, out []float64) {
	lam := math.Exp(n.c + n.w*dt)
	for k, p := range n.p {
		out[k] = lam * p
	}
}

func (n *next) Compensator(dt float64) float64 {
	lam, _ := expIntegral(n.c, n.w, dt)
	return lam
}

// hidden returns the RNN state after events 0..i-1 of seq, in plain scalar
// code, through the model's prefix cache (one RNN step per call when the
// prefixes of a sequence are visited in order, as prediction does).
func (m *Model) hidden(seq *data.Sequence, i int) []float64 {
	fp := predict.Fingerprint(m.h0.Value, m.emb.Value, m.wy.Value, m.bh.Value, m.wt.Value, m.wh.Value)
	return m.prefix.State(seq, i, fp,
		func() []float64 { return append([]float64(nil), m.h0.Value...) },
		m.step)
}

// step is one RNN update: the state after an event of type k that came dt
// after the previous one.
func (m *Model) step(h []float64, k int, dt float64) []float64 {
	H := m.cfg.HiddenSize
	var phi [2]float64
	x := dt / m.cfg.TimeScale
	switch m.cfg.TimeFeature {
	case FeatureLog1p:
		phi[0] = math.Log1p(x)
	case FeatureLinear:
		phi[0] = x
	default:
		phi[0], phi[1] = math.Log1p(x), x
	}
	nf := m.cfg.numFeatures()
	emb, wy, bh, wt, wh := m.emb.Value, m.wy.Value, m.bh.Value, m.wt.Value, m.wh.Value
	// z = b + e_k·W_y + h·W_h + φ·W_t, row by row (BLAS axpy on
	// contiguous rows), then tanh over the whole vector (vecmath).
	nh := make([]float64, H)
	copy(nh, bh)
	for d := 0; d < H; d++ {
		if e := emb[k*H+d]; e != 0 {
			floats.AddScaled(nh, e, wy[d*H:(d+1)*H])
		}
		if hv := h[d]; hv != 0 {
			floats.AddScaled(nh, hv, wh[d*H:(d+1)*H])
		}
	}
	for f := 0; f < nf; f++ {
		floats.AddScaled(nh, phi[f], wt[f*H:(f+1)*H])
	}
	vecmath.Tanh(nh, nh)
	return nh
}

// NextAfter implements predict.Model: the next-event law given events
// 0..i-1 of seq (from the learned initial state at seq.Start when i == 0).
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	return m.law(m.hidden(seq, i))
}

// Laws implements predict.SequenceModel: the RNN stepped once per event,
// no prefix cache.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	return predict.StepLaws(seq, append([]float64(nil), m.h0.Value...), m.step,
		func(h []float64) predict.Next { return m.law(h) })
}

// law is the next-event law after the hidden state h.
func (m *Model) law(h []float64) *next {
	H, K := m.cfg.HiddenSize, m.k
	c := m.bv.Value[0]
	for d := 0; d < H; d++ {
		c += m.v.Value[d] * h[d]
	}
	p := make([]float64, K)
	mx := math.Inf(-1)
	for k := 0; k < K; k++ {
		z := m.bm.Value[k]
		for d := 0; d < H; d++ {
			z += h[d] * m.wm.Value[d*K+k]
		}
		p[k] = z
		mx = math.Max(mx, z)
	}
	sum := 0.0
	for k := range p {
		p[k] = math.Exp(p[k] - mx)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return &next{c: c, w: m.w.Value[0], p: p}
}

var _ predict.SequenceModel = (*Model)(nil)
