package compose

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// Decoder kinds (DecoderConfig.Kind).
const (
	KindCumHazard  = "cumhazard"  // FullyNN's cumulative-hazard network
	KindLogNormMix = "lognormmix" // mark head + log-normal mixture time density
	KindSoftplus   = "softplus"   // softplus intensity head, Gauss–Legendre compensator
)

// Split is the time and mark parts of a log-likelihood (see
// likelihood.Parts).
type Split struct {
	TimeLL, MarkLL float64
}

// Decoder is the second half of a composed model: from the history state
// of each scored interval it computes that interval's log-likelihood terms,
// and from one history state the law of the next event.
type Decoder interface {
	// Kind is the decoder's DecoderConfig.Kind.
	Kind() string
	// Params returns the decoder's parameters in a fixed order.
	Params() []*params.Param
	// Init draws the parameters.
	Init(rng *rand.Rand)
	// LogLik returns the summed log-likelihood of the entries of iv as a
	// scalar tensor on t, and its time and mark parts. s holds the entries'
	// history states, one row per entry, in iv's order.
	LogLik(t *engine.Tape, s *engine.Tensor, iv *Intervals, st *LogGapStats) (*engine.Tensor, Split)
	// Next returns the law of the next event after a history whose state is
	// h (the decoder copies what it needs from h).
	Next(h []float64, st *LogGapStats) predict.Next
}

// MarkHead is the mark-distribution block: p(k | h) = softmax(h·W + b)_k
// over the K event types (no padding class).
type MarkHead struct {
	W, B *params.Param // [H, K], [K]
}

// NewMarkHead returns a mark head from states of size h to k types.
func NewMarkHead(prefix string, h, k int) *MarkHead {
	return &MarkHead{W: engine.NewParam(prefix+"w", h, k), B: engine.NewParam(prefix+"b", k)}
}

// Init draws Xavier-uniform weights and zero biases.
func (m *MarkHead) Init(rng *rand.Rand) {
	engine.InitXavier(m.W, m.W.Shape[0], m.W.Shape[1], rng)
	clear(m.B.Value)
}

// LogProbs returns log p(· | s_r) for every row of s, as [R, K].
func (m *MarkHead) LogProbs(t *engine.Tape, s *engine.Tensor) *engine.Tensor {
	return t.LogSoftmax(t.Linear(s, t.Param(m.W), t.Param(m.B)))
}

// LogProbsOf writes log p(· | h) into out (len K).
func (m *MarkHead) LogProbsOf(h, out []float64) {
	affine(h, m.W.Value, m.B.Value, out)
	lse := logSumExp(out)
	for k := range out {
		out[k] -= lse
	}
}

// affine writes x·W + b into out (W row-major [len(x), len(out)]).
func affine(x, w, b, out []float64) {
	copy(out, b)
	n := len(out)
	for i, v := range x {
		if v == 0 {
			continue
		}
		row := w[i*n : (i+1)*n]
		for j, wv := range row {
			out[j] += v * wv
		}
	}
}

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices with
// op(A) m×k and op(B) k×n, through gonum's BLAS.
func gemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	ar, ac := m, k
	ta := blas.NoTrans
	if tA {
		ar, ac, ta = k, m, blas.Trans
	}
	br, bc := k, n
	tb := blas.NoTrans
	if tB {
		br, bc, tb = n, k, blas.Trans
	}
	blas64.Gemm(ta, tb, alpha,
		blas64.General{Rows: ar, Cols: ac, Stride: max(ac, 1), Data: a},
		blas64.General{Rows: br, Cols: bc, Stride: max(bc, 1), Data: b},
		beta, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
}

// softplusInv is the inverse of softplus for w > 0: log(eʷ − 1).
func softplusInv(w float64) float64 { return w + math.Log(-math.Expm1(-w)) }

// initPositive fills a raw parameter so that softplus(raw) is U(lo, hi).
func initPositive(p *params.Param, lo, hi float64, rng *rand.Rand) {
	for i := range p.Value {
		p.Value[i] = softplusInv(lo + (hi-lo)*rng.Float64())
	}
}

// softplusVec writes softplus(x) elementwise into out.
func softplusVec(x, out []float64) {
	for i, v := range x {
		out[i] = engine.Softplus(v)
	}
}
