package compose

import (
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// DefaultQuadNodes is the default number of Gauss–Legendre nodes per
// interval of the softplus intensity decoder.
const DefaultQuadNodes = 10

// SoftplusDecoder is the softplus intensity head: with x = τ/scale,
//
//	g(τ) = tanh(h·W_h + b_h + x·w_t),   λ_k(τ) = softplus_β(g(τ)·W_o + b_o)_k,
//
// softplus_β(z) = log(1 + exp(β z))/β with a learned β_k > 0 per type (or
// β = 1), smooth everywhere and without dead zones (engine's stable
// softplus). The compensator has no closed form and is integrated with
// Gauss–Legendre quadrature, QuadNodes nodes per interval, inside the
// engine's fused SoftplusIntensityLL op.
type SoftplusDecoder struct {
	k, d, q   int
	learnBeta bool
	nodes, wq []float64
	wh, bh    *params.Param // [H, D], [D]
	wt        *params.Param // [1, D]
	wo, bo    *params.Param // [D, K], [K]
	logBeta   *params.Param // [K] or nil
	ps        []*params.Param
}

// NewSoftplusDecoder returns the decoder for states of size in, hidden
// width d, k types and q quadrature nodes per interval.
func NewSoftplusDecoder(in, d, k, q int, learnBeta bool) *SoftplusDecoder {
	sd := &SoftplusDecoder{k: k, d: d, q: q, learnBeta: learnBeta,
		wh: engine.NewParam("dec.w_h", in, d), bh: engine.NewParam("dec.b_h", d),
		wt: engine.NewParam("dec.w_t", 1, d),
		wo: engine.NewParam("dec.w_o", d, k), bo: engine.NewParam("dec.b_o", k)}
	sd.ps = []*params.Param{sd.wh, sd.bh, sd.wt, sd.wo, sd.bo}
	if learnBeta {
		sd.logBeta = engine.NewParam("dec.log_beta", k)
		sd.ps = append(sd.ps, sd.logBeta)
	}
	sd.nodes, sd.wq = engine.GaussLegendre(q)
	return sd
}

// Kind is KindSoftplus.
func (sd *SoftplusDecoder) Kind() string { return KindSoftplus }

// Params returns the decoder's parameters.
func (sd *SoftplusDecoder) Params() []*params.Param { return sd.ps }

// Init draws Xavier-uniform weights (w_t too) and zero biases and log β.
func (sd *SoftplusDecoder) Init(rng *rand.Rand) {
	engine.InitXavier(sd.wh, sd.wh.Shape[0], sd.d, rng)
	engine.InitXavier(sd.wt, 1, sd.d, rng)
	engine.InitXavier(sd.wo, sd.d, sd.k, rng)
	clear(sd.bh.Value)
	clear(sd.bo.Value)
	if sd.logBeta != nil {
		clear(sd.logBeta.Value)
	}
}

// hidden returns tanh(base[rows] + x·w_t) for one x per row.
func (sd *SoftplusDecoder) hidden(t *engine.Tape, base *engine.Tensor, rows []int, x []float64) *engine.Tensor {
	xt := t.Const(x, len(x), 1)
	return t.Tanh(t.Add(t.Gather(base, rows), t.Linear(xt, t.Param(sd.wt), nil)))
}

// LogLik is Σ_events log λ_{k_i}(Δ_i) − Σ_entries ∫_0^Δ Σ_k λ_k.
func (sd *SoftplusDecoder) LogLik(t *engine.Tape, s *engine.Tensor, iv *Intervals, st *LogGapStats) (*engine.Tensor, Split) {
	N, Q := iv.Len(), sd.q
	if N == 0 {
		return t.Scalar(0), Split{}
	}
	scale := st.Scale()
	base := t.Linear(s, t.Param(sd.wh), t.Param(sd.bh)) // [N, D]
	nev := len(iv.Events)
	evRows, types, xev := t.Ints(nev), t.Ints(nev), t.Floats(nev)
	for j, i := range iv.Events {
		evRows[j], types[j], xev[j] = i, iv.Type[i], iv.Delta[i]/scale
	}
	qRows, xq, qw := t.Ints(N*Q), t.Floats(N*Q), t.Floats(N*Q)
	for i, dl := range iv.Delta {
		for q := 0; q < Q; q++ {
			qRows[i*Q+q] = i
			xq[i*Q+q] = dl * sd.nodes[q] / scale
			qw[i*Q+q] = dl * sd.wq[q]
		}
	}
	var lb *engine.Tensor
	if sd.logBeta != nil {
		lb = t.Param(sd.logBeta)
	}
	var stats engine.IntensityStats
	ll := t.SoftplusIntensityLL(engine.IntensityLL{
		HEv: sd.hidden(t, base, evRows, xev), Types: types,
		HQ: sd.hidden(t, base, qRows, xq), QW: qw,
		W: t.Param(sd.wo), B: t.Param(sd.bo), LogBeta: lb, Stats: &stats})
	return ll, Split{TimeLL: stats.TotalLog - stats.Integral, MarkLL: stats.EventLog - stats.TotalLog}
}

// Next returns the marked intensities at τ (no closed-form compensator).
func (sd *SoftplusDecoder) Next(h []float64, st *LogGapStats) predict.Next {
	n := &spNext{sd: sd, scale: st.Scale(), base: make([]float64, sd.d), g: make([]float64, sd.d), beta: make([]float64, sd.k)}
	affine(h, sd.wh.Value, sd.bh.Value, n.base)
	for k := range n.beta {
		n.beta[k] = 1
		if sd.logBeta != nil {
			n.beta[k] = math.Exp(sd.logBeta.Value[k])
		}
	}
	return n
}

type spNext struct {
	sd      *SoftplusDecoder
	scale   float64
	base, g []float64
	beta    []float64
}

func (n *spNext) NumTypes() int { return n.sd.k }

func (n *spNext) Intensities(dt float64, out []float64) {
	x := dt / n.scale
	for j, b := range n.base {
		n.g[j] = math.Tanh(b + x*n.sd.wt.Value[j])
	}
	affine(n.g, n.sd.wo.Value, n.sd.bo.Value, out)
	for k, z := range out {
		out[k] = engine.Softplus(n.beta[k]*z) / n.beta[k]
	}
}
