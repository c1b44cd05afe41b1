package engine

import (
	"math"

	"github.com/gotpp/gotpp/params"
)

// Ops is the set of operations models are written against. *Tape
// implements it (recording for reverse mode, or plain evaluation with
// SetNoGrad); Composite implements the fused ops by composing primitives.
// Writing a model against Ops rather than *Tape keeps it independent of how
// the operations are executed.
type Ops interface {
	// leaves
	Param(p *params.Param) *Tensor
	Const(data []float64, dims ...int) *Tensor
	Scalar(v float64) *Tensor
	New(dims ...int) *Tensor

	// elementwise, broadcasting a row, a column [..., 1] or a scalar
	Add(a, b *Tensor) *Tensor
	Sub(a, b *Tensor) *Tensor
	Mul(a, b *Tensor) *Tensor
	Div(a, b *Tensor) *Tensor
	Scale(a *Tensor, s float64) *Tensor
	AddScalar(a *Tensor, s float64) *Tensor
	Neg(a *Tensor) *Tensor
	Exp(a *Tensor) *Tensor
	Log(a *Tensor) *Tensor
	Tanh(a *Tensor) *Tensor
	Sigmoid(a *Tensor) *Tensor
	Softplus(a *Tensor) *Tensor
	ReLU(a *Tensor) *Tensor
	Square(a *Tensor) *Tensor

	// last-axis normalisations
	LogSoftmax(a *Tensor) *Tensor
	Softmax(a *Tensor) *Tensor
	LayerNorm(x, gain, bias *Tensor, eps float64) *Tensor

	// indexing and shapes
	Gather(table *Tensor, idx []int) *Tensor
	Pick(a *Tensor, idx []int) *Tensor
	Concat(ts ...*Tensor) *Tensor
	SliceLast(a *Tensor, lo, hi int) *Tensor
	ConcatRows(ts ...*Tensor) *Tensor
	Rows(a *Tensor, lo, hi int) *Tensor
	Reshape(a *Tensor, dims ...int) *Tensor
	Transpose01(a *Tensor) *Tensor

	// products
	MatMul(a, b *Tensor, transA, transB bool) *Tensor
	BatchMatMul(a, b *Tensor, transA, transB bool) *Tensor
	Linear(x, w, bias *Tensor) *Tensor

	// reductions
	Sum(a *Tensor) *Tensor
	SumLast(a *Tensor) *Tensor
	WeightedSum(a *Tensor, w []float64) *Tensor

	// fused ops
	RNNCell(xp, h, wh *Tensor) *Tensor
	LSTMCell(xp, h, c, wh *Tensor) (hNew, cNew *Tensor)
	GRUCell(xp, h, wh, bh *Tensor) *Tensor
	GRUSeq(xp, h0, wh, bh *Tensor) *Tensor
	EmbedProject(table *Tensor, idx []int, feats, wf, bias *Tensor) *Tensor
	CTDecay(c, cbar, delta, dt *Tensor, rowMask []float64) *Tensor
	CTHidden(c, cbar, delta, o, dt *Tensor, rowMask []float64) *Tensor
	PickLogSoftmax(a *Tensor, idx []int) *Tensor
	SoftplusIntensityLL(a IntensityLL) *Tensor
}

var (
	_ Ops = (*Tape)(nil)
	_ Ops = Composite{}
)

// Composite evaluates the fused ops of Ops as compositions of the primitive
// ops of the wrapped implementation (usually a *Tape). It is the reference
// the fused kernels are tested against, and the route by which a new
// backend only needs the primitives to run every model.
type Composite struct{ Ops }

// RNNCell composes tanh(xp + h·Wh).
func (c Composite) RNNCell(xp, h, wh *Tensor) *Tensor {
	return c.Tanh(c.Add(xp, c.MatMul(h, wh, false, false)))
}

// LSTMCell composes the LSTM step from slices, sigmoids and tanh.
func (c Composite) LSTMCell(xp, h, cc, wh *Tensor) (hNew, cNew *Tensor) {
	H := h.Cols()
	z := c.Add(xp, c.MatMul(h, wh, false, false))
	ig := c.Sigmoid(c.SliceLast(z, 0, H))
	fg := c.Sigmoid(c.SliceLast(z, H, 2*H))
	gg := c.Tanh(c.SliceLast(z, 2*H, 3*H))
	og := c.Sigmoid(c.SliceLast(z, 3*H, 4*H))
	cNew = c.Add(c.Mul(fg, cc), c.Mul(ig, gg))
	hNew = c.Mul(og, c.Tanh(cNew))
	return hNew, cNew
}

// GRUCell composes the GRU step.
func (c Composite) GRUCell(xp, h, wh, bh *Tensor) *Tensor {
	H := h.Cols()
	hp := c.MatMul(h, wh, false, false)
	if bh != nil {
		hp = c.Add(hp, bh)
	}
	r := c.Sigmoid(c.Add(c.SliceLast(xp, 0, H), c.SliceLast(hp, 0, H)))
	u := c.Sigmoid(c.Add(c.SliceLast(xp, H, 2*H), c.SliceLast(hp, H, 2*H)))
	n := c.Tanh(c.Add(c.SliceLast(xp, 2*H, 3*H), c.Mul(r, c.SliceLast(hp, 2*H, 3*H))))
	// (1−u)⊙n + u⊙h = n + u⊙(h − n)
	return c.Add(n, c.Mul(u, c.Sub(h, n)))
}

// GRUSeq composes the layer from GRUCell steps (Composite's) over Rows of
// xp and stacks h0 and the states with ConcatRows.
func (c Composite) GRUSeq(xp, h0, wh, bh *Tensor) *Tensor {
	B := h0.Rows()
	L := 0
	if B > 0 {
		L = xp.Rows() / B
	}
	hs := make([]*Tensor, L+1)
	hs[0] = h0
	h := h0
	for j := 0; j < L; j++ {
		h = c.GRUCell(c.Rows(xp, j*B, (j+1)*B), h, wh, bh)
		hs[j+1] = h
	}
	return c.ConcatRows(hs...)
}

// EmbedProject composes Gather(table, idx) + Linear(feats, wf, bias).
func (c Composite) EmbedProject(table *Tensor, idx []int, feats, wf, bias *Tensor) *Tensor {
	return c.Add(c.Gather(table, idx), c.Linear(feats, wf, bias))
}

// ctDecayed returns c(t) for one column g of dt as a [B, H] tensor.
func (c Composite) ctDecayed(cc, cbar, delta, dt *Tensor, g int) *Tensor {
	s := c.SliceLast(dt, g, g+1) // [B, 1]
	e := c.Exp(c.Neg(c.Mul(delta, s)))
	return c.Add(cbar, c.Mul(c.Sub(cc, cbar), e))
}

func (c Composite) stackNodes(parts []*Tensor, rowMask []float64) *Tensor {
	B, H, G := parts[0].Rows(), parts[0].Cols(), len(parts)
	out := c.Concat(parts...) // [B, G·H]
	if rowMask != nil {
		out = c.Mul(out, c.Const(rowMask, B, 1))
	}
	return c.Reshape(out, B, G, H)
}

// CTDecay composes c̄ + (c − c̄)·exp(−δ·Δt) one node column at a time.
func (c Composite) CTDecay(cc, cbar, delta, dt *Tensor, rowMask []float64) *Tensor {
	parts := make([]*Tensor, dt.Cols())
	for g := range parts {
		parts[g] = c.ctDecayed(cc, cbar, delta, dt, g)
	}
	return c.stackNodes(parts, rowMask)
}

// CTHidden composes o ⊙ tanh(c(t)).
func (c Composite) CTHidden(cc, cbar, delta, o, dt *Tensor, rowMask []float64) *Tensor {
	parts := make([]*Tensor, dt.Cols())
	for g := range parts {
		parts[g] = c.Mul(o, c.Tanh(c.ctDecayed(cc, cbar, delta, dt, g)))
	}
	return c.stackNodes(parts, rowMask)
}

// PickLogSoftmax composes Pick(LogSoftmax(a), idx).
func (c Composite) PickLogSoftmax(a *Tensor, idx []int) *Tensor {
	return c.Pick(c.LogSoftmax(a), idx)
}

// SoftplusIntensityLL composes the intensity head from Linear, Softplus,
// Log, Pick and weighted sums.
func (c Composite) SoftplusIntensityLL(a IntensityLL) *Tensor {
	lambda := func(h *Tensor) *Tensor {
		var z *Tensor
		if a.B != nil {
			z = c.Linear(h, a.W, a.B)
		} else {
			z = c.Linear(h, a.W, nil)
		}
		if a.LogBeta == nil {
			return c.Softplus(z)
		}
		beta := c.Exp(a.LogBeta)
		return c.Div(c.Softplus(c.Mul(z, beta)), beta)
	}
	lEv := lambda(a.HEv)
	mask := make([]float64, len(a.Types))
	idx := make([]int, len(a.Types))
	var st IntensityStats
	K := a.W.Cols()
	for i, k := range a.Types {
		idx[i] = -1
		if k >= 0 {
			mask[i], idx[i] = 1, k
			st.NumEvents++
			st.TotalLog += math.Log(sumSlice(lEv.Data[i*K : (i+1)*K]))
		}
	}
	ev := c.WeightedSum(c.Log(c.Pick(lEv, idx)), mask)
	// rows with idx < 0 pick 0: WeightedSum skips their log(0) = −Inf, and
	// Pick passes no gradient to them.
	st.EventLog = ev.Data[0]
	ll := ev
	if a.HQ != nil {
		integral := c.WeightedSum(c.SumLast(lambda(a.HQ)), a.QW)
		st.Integral = integral.Data[0]
		ll = c.Sub(ev, integral)
	}
	if a.Stats != nil {
		*a.Stats = st
	}
	return ll
}

func sumSlice(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
