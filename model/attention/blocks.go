package attention

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
)

// Linear is an affine map x·W + b with W [in, out] and b [out] (nil for no
// bias).
type Linear struct {
	W, B *params.Param
}

// NewLinear allocates a zero Linear whose parameters are called name.w and
// name.b.
func NewLinear(name string, in, out int, bias bool) *Linear {
	l := &Linear{W: engine.NewParam(name+".w", in, out)}
	if bias {
		l.B = engine.NewParam(name+".b", out)
	}
	return l
}

// In and Out are the input and output sizes.
func (l *Linear) In() int  { return l.W.Shape[0] }
func (l *Linear) Out() int { return l.W.Shape[1] }

// Params lists W and b.
func (l *Linear) Params() []*params.Param {
	if l.B == nil {
		return []*params.Param{l.W}
	}
	return []*params.Param{l.W, l.B}
}

// Init draws W Xavier-uniform and zeroes b.
func (l *Linear) Init(rng *rand.Rand) {
	engine.InitXavier(l.W, l.In(), l.Out(), rng)
	if l.B != nil {
		engine.InitConst(l.B, 0)
	}
}

// Apply returns x·W + b for x [..., in].
func (l *Linear) Apply(t *engine.Tape, x *engine.Tensor) *engine.Tensor {
	var b *engine.Tensor
	if l.B != nil {
		b = t.Param(l.B)
	}
	return t.Linear(x, t.Param(l.W), b)
}

// ApplyVec computes x·W + b for one input vector into out (one BLAS
// matrix-vector product, no tape): the per-query path of prediction.
func (l *Linear) ApplyVec(x, out []float64) {
	in, n := l.In(), l.Out()
	beta := 0.0
	if l.B != nil {
		copy(out[:n], l.B.Value)
		beta = 1
	}
	blas64.Gemv(blas.Trans, 1, blas64.General{Rows: in, Cols: n, Stride: n, Data: l.W.Value[:in*n]},
		blas64.Vector{N: in, Inc: 1, Data: x[:in]}, beta, blas64.Vector{N: n, Inc: 1, Data: out[:n]})
}

// ApplyVecFrom is ApplyVec for an x whose entries before index from are
// zero: only rows from.. of W are read (the per-query path of prediction
// when the first inputs of a query are known to be 0).
func (l *Linear) ApplyVecFrom(x []float64, from int, out []float64) {
	in, n := l.In(), l.Out()
	beta := 0.0
	if l.B != nil {
		copy(out[:n], l.B.Value)
		beta = 1
	}
	if from >= in {
		if l.B == nil {
			clear(out[:n])
		}
		return
	}
	blas64.Gemv(blas.Trans, 1, blas64.General{Rows: in - from, Cols: n, Stride: n, Data: l.W.Value[from*n : in*n]},
		blas64.Vector{N: in - from, Inc: 1, Data: x[from:in]}, beta, blas64.Vector{N: n, Inc: 1, Data: out[:n]})
}

// MHA is multi-head attention: queries, keys and values are projections of
// the inputs to Heads heads of size DK each, attention runs per head
// (Attend), and the concatenated heads go through an output projection O
// (nil: no output projection, the result has Heads·DK columns).
type MHA struct {
	Heads, DK  int
	Q, K, V, O *Linear
}

// NewMHA allocates an MHA from din inputs to heads heads of size dk with an
// output projection to dout columns (dout = 0: none). Parameter names start
// with name.
func NewMHA(name string, din, heads, dk, dout int) *MHA {
	m := &MHA{Heads: heads, DK: dk,
		Q: NewLinear(name+".q", din, heads*dk, true),
		K: NewLinear(name+".k", din, heads*dk, true),
		V: NewLinear(name+".v", din, heads*dk, true),
	}
	if dout > 0 {
		m.O = NewLinear(name+".o", heads*dk, dout, true)
	}
	return m
}

// Params lists the projections' parameters in a fixed order.
func (m *MHA) Params() []*params.Param {
	ps := append(m.Q.Params(), m.K.Params()...)
	ps = append(ps, m.V.Params()...)
	if m.O != nil {
		ps = append(ps, m.O.Params()...)
	}
	return ps
}

// Init initialises every projection (Linear.Init).
func (m *MHA) Init(rng *rand.Rand) {
	for _, l := range []*Linear{m.Q, m.K, m.V, m.O} {
		if l != nil {
			l.Init(rng)
		}
	}
}

// OutSize is the number of output columns.
func (m *MHA) OutSize() int {
	if m.O != nil {
		return m.O.Out()
	}
	return m.Heads * m.DK
}

// Self is self-attention of the rows of x over the key rows given by sp.
func (m *MHA) Self(t *engine.Tape, x *engine.Tensor, sp Spans) *engine.Tensor {
	a := Attend(t, m.Q.Apply(t, x), m.K.Apply(t, x), m.V.Apply(t, x), m.Heads, sp, nil, nil)
	return m.output(t, a)
}

// Query lets the rows of xq attend the rows of xkv given by sp and, with
// withSelf, also their own key and value (projections of xq).
func (m *MHA) Query(t *engine.Tape, xq, xkv *engine.Tensor, sp Spans, withSelf bool) *engine.Tensor {
	var sk, sv *engine.Tensor
	if withSelf {
		sk, sv = m.K.Apply(t, xq), m.V.Apply(t, xq)
	}
	a := Attend(t, m.Q.Apply(t, xq), m.K.Apply(t, xkv), m.V.Apply(t, xkv), m.Heads, sp, sk, sv)
	return m.output(t, a)
}

// SelfAndQuery runs, with one projection of the keys and values of xe, the
// self-attention of the rows of xe (spans spE) and the attention of the
// rows of xq over the rows of xe (spans spQ) plus their own keys and
// values. It returns both outputs.
func (m *MHA) SelfAndQuery(t *engine.Tape, xe *engine.Tensor, spE Spans, xq *engine.Tensor, spQ Spans) (outE, outQ *engine.Tensor) {
	k, v := m.K.Apply(t, xe), m.V.Apply(t, xe)
	outE = m.output(t, Attend(t, m.Q.Apply(t, xe), k, v, m.Heads, spE, nil, nil))
	outQ = m.output(t, Attend(t, m.Q.Apply(t, xq), k, v, m.Heads, spQ, m.K.Apply(t, xq), m.V.Apply(t, xq)))
	return outE, outQ
}

func (m *MHA) output(t *engine.Tape, a *engine.Tensor) *engine.Tensor {
	if m.O == nil {
		return a
	}
	return m.O.Apply(t, a)
}

// FFN is the position-wise feed-forward block ReLU(x·W1 + b1)·W2 + b2.
type FFN struct {
	L1, L2 *Linear
}

// NewFFN allocates an FFN d → inner → d.
func NewFFN(name string, d, inner int) *FFN {
	return &FFN{L1: NewLinear(name+".1", d, inner, true), L2: NewLinear(name+".2", inner, d, true)}
}

// Params lists W1, b1, W2, b2.
func (f *FFN) Params() []*params.Param { return append(f.L1.Params(), f.L2.Params()...) }

// Init initialises both layers.
func (f *FFN) Init(rng *rand.Rand) { f.L1.Init(rng); f.L2.Init(rng) }

// Apply runs the block on the rows of x.
func (f *FFN) Apply(t *engine.Tape, x *engine.Tensor) *engine.Tensor {
	var b1 *engine.Tensor
	if f.L1.B != nil {
		b1 = t.Param(f.L1.B)
	}
	return f.L2.Apply(t, t.LinearReLU(x, t.Param(f.L1.W), b1))
}

// LayerNorm normalises the last axis with a learned gain and bias.
type LayerNorm struct {
	Gain, Bias *params.Param
}

// LNEps is the ε added to the variance in LayerNorm (PyTorch's default).
const LNEps = 1e-5

// NewLayerNorm allocates a layer norm over d columns (gain 1, bias 0).
func NewLayerNorm(name string, d int) *LayerNorm {
	n := &LayerNorm{Gain: engine.NewParam(name+".gain", d), Bias: engine.NewParam(name+".bias", d)}
	n.Init()
	return n
}

// Init sets the gain to 1 and the bias to 0.
func (n *LayerNorm) Init() { engine.InitConst(n.Gain, 1); engine.InitConst(n.Bias, 0) }

// Params lists gain and bias.
func (n *LayerNorm) Params() []*params.Param { return []*params.Param{n.Gain, n.Bias} }

// Apply normalises the rows of x.
func (n *LayerNorm) Apply(t *engine.Tape, x *engine.Tensor) *engine.Tensor {
	return t.LayerNorm(x, t.Param(n.Gain), t.Param(n.Bias), LNEps)
}

// ApplyAdd normalises the rows of x + y (one fused op, the residual
// connection of a post-norm layer; the same values as Apply(t.Add(x, y))).
func (n *LayerNorm) ApplyAdd(t *engine.Tape, x, y *engine.Tensor) *engine.Tensor {
	return t.AddLayerNorm(x, y, t.Param(n.Gain), t.Param(n.Bias), LNEps)
}

// Block is one Transformer encoder layer: self-attention then a
// feed-forward block. With Residual (the Transformer's and THP's layout,
// post-norm) it computes
//
//	x ← LN1(x + MHA(x)),  x ← LN2(x + FFN(x));
//
// without it, x ← MHA(x), x ← FFN(x) (no residual, no normalisation; N1 and
// N2 are nil).
type Block struct {
	Att      *MHA
	FF       *FFN
	N1, N2   *LayerNorm
	Residual bool
	// Dropout is the rate of inverted dropout on the attention and
	// feed-forward outputs before they join the residual stream (training
	// only: engine.Tape.Dropout is the identity in evaluation).
	Dropout float64
}

// NewBlock allocates a block of width d with heads heads of size d/heads,
// an output projection, and a feed-forward block of inner size ffn.
func NewBlock(name string, d, heads, ffn int, residual bool) *Block {
	b := &Block{Att: NewMHA(name+".att", d, heads, d/heads, d), FF: NewFFN(name+".ffn", d, ffn), Residual: residual}
	if residual {
		b.N1, b.N2 = NewLayerNorm(name+".ln1", d), NewLayerNorm(name+".ln2", d)
	}
	return b
}

// Params lists the block's parameters in a fixed order.
func (b *Block) Params() []*params.Param {
	ps := append(b.Att.Params(), b.FF.Params()...)
	if b.Residual {
		ps = append(ps, b.N1.Params()...)
		ps = append(ps, b.N2.Params()...)
	}
	return ps
}

// Init initialises the block.
func (b *Block) Init(rng *rand.Rand) {
	b.Att.Init(rng)
	b.FF.Init(rng)
	if b.Residual {
		b.N1.Init()
		b.N2.Init()
	}
}

// Apply runs the block on the rows of x with self-attention spans sp.
func (b *Block) Apply(t *engine.Tape, x *engine.Tensor, sp Spans) *engine.Tensor {
	if !b.Residual {
		return t.Dropout(b.FF.Apply(t, t.Dropout(b.Att.Self(t, x, sp), b.Dropout)), b.Dropout)
	}
	x = b.N1.ApplyAdd(t, x, t.Dropout(b.Att.Self(t, x, sp), b.Dropout))
	return b.N2.ApplyAdd(t, x, t.Dropout(b.FF.Apply(t, x), b.Dropout))
}
