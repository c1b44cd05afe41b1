package nhp

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
)

// Gate blocks of the continuous-time LSTM cell, each H wide, in the order
// they appear in the pre-activation z = x·W_x + b + h·W_h.
const (
	gateI    = iota // input gate i (sigmoid)
	gateF           // forget gate f (sigmoid)
	gateZ           // candidate z (tanh)
	gateO           // output gate o (sigmoid)
	gateIBar        // target input gate ī (sigmoid)
	gateFBar        // target forget gate f̄ (sigmoid)
	gateD           // decay rate δ (softplus)
	numGates
)

// ctCell is one update of the continuous-time LSTM at an event (Mei &
// Eisner 2017, eqs. 5–6): with z = xp + h·Wh split into the seven gate
// blocks,
//
//	c' = f ⊙ c + i ⊙ z̃,   c̄' = f̄ ⊙ c̄ + ī ⊙ z̃,   δ' = softplus(·),   o' = σ(·)
//
// where h and c are the decayed values just before the event and c̄ the
// target of the previous interval. xp is [B, 7H], h, c and cbar [B, H], wh
// [H, 7H]. It is a fused op with a hand-written backward pass: the
// engine's LSTMCell has four gates and returns h' rather than the gates
// the continuous-time decay needs.
func ctCell(t *engine.Tape, xp, h, c, cbar, wh *engine.Tensor) (cNew, cbarNew, delta, o *engine.Tensor) {
	B, H := h.Rows(), h.Cols()
	G := numGates * H
	if xp.Rows() != B || xp.Cols() != G || c.Rows() != B || c.Cols() != H || cbar.Rows() != B || cbar.Cols() != H ||
		wh.Rows() != H || wh.Cols() != G {
		panic(fmt.Sprintf("nhp: ctCell with xp %v, h %v, c %v, c̄ %v, Wh %v", xp.Shape(), h.Shape(), c.Shape(), cbar.Shape(), wh.Shape()))
	}
	cNew, cbarNew, delta, o = t.New(B, H), t.New(B, H), t.New(B, H), t.New(B, H)
	// cache: activated gates [B, 7H] (the δ block holds σ(pre), the
	// derivative of softplus), then c and c̄ inputs are read from the
	// tensors themselves in the backward pass.
	act := t.FloatsNoZero(B * G)
	t.StepMatMulAdd(wh, B, h.Data, xp.Data, G, act) // Wh packed once per tape
	for b := 0; b < B; b++ {
		a := act[b*G : (b+1)*G]
		cr, br := c.Data[b*H:(b+1)*H], cbar.Data[b*H:(b+1)*H]
		// The gate blocks are contiguous (I, F, Z, O, Ī, F̄, D): activate
		// them block-wise with internal/vecmath.
		vecmath.Sigmoid(a[gateI*H:(gateF+1)*H], a[gateI*H:(gateF+1)*H])
		vecmath.Tanh(a[gateZ*H:(gateZ+1)*H], a[gateZ*H:(gateZ+1)*H])
		vecmath.Sigmoid(a[gateO*H:(gateFBar+1)*H], a[gateO*H:(gateFBar+1)*H])
		dRow := a[gateD*H : (gateD+1)*H]
		vecmath.SoftplusSigmoid(delta.Data[b*H:(b+1)*H], dRow, dRow)
		copy(o.Data[b*H:(b+1)*H], a[gateO*H:(gateO+1)*H])
		for j := 0; j < H; j++ {
			ig, fg, zg := a[gateI*H+j], a[gateF*H+j], a[gateZ*H+j]
			ib, fb := a[gateIBar*H+j], a[gateFBar*H+j]
			k := b*H + j
			cNew.Data[k] = fg*cr[j] + ig*zg
			cbarNew.Data[k] = fb*br[j] + ib*zg
		}
	}
	t.Record(ctCellOp{}, engine.Node{
		Out:   [4]*engine.Tensor{cNew, cbarNew, delta, o},
		In:    [6]*engine.Tensor{xp, h, c, cbar, wh},
		Cache: act,
	})
	return cNew, cbarNew, delta, o
}

type ctCellOp struct{}

func (ctCellOp) Backward(t *engine.Tape, n *engine.Node) {
	cNew, cbarNew, delta, o := n.Out[0], n.Out[1], n.Out[2], n.Out[3]
	xp, h, c, cbar, wh := n.In[0], n.In[1], n.In[2], n.In[3], n.In[4]
	B, H := h.Rows(), h.Cols()
	G := numGates * H
	act := n.Cache
	gz := t.Floats(B * G)
	for b := 0; b < B; b++ {
		a := act[b*G : (b+1)*G]
		g := gz[b*G : (b+1)*G]
		for j := 0; j < H; j++ {
			k := b*H + j
			ig, fg, zg, og := a[gateI*H+j], a[gateF*H+j], a[gateZ*H+j], a[gateO*H+j]
			ib, fb, sd := a[gateIBar*H+j], a[gateFBar*H+j], a[gateD*H+j]
			gc, gcb := cNew.Grad[k], cbarNew.Grad[k]
			dz := gc*ig + gcb*ib
			g[gateI*H+j] = gc * zg * ig * (1 - ig)
			g[gateF*H+j] = gc * c.Data[k] * fg * (1 - fg)
			g[gateZ*H+j] = dz * (1 - zg*zg)
			g[gateO*H+j] = o.Grad[k] * og * (1 - og)
			g[gateIBar*H+j] = gcb * zg * ib * (1 - ib)
			g[gateFBar*H+j] = gcb * cbar.Data[k] * fb * (1 - fb)
			g[gateD*H+j] = delta.Grad[k] * sd
			if c.Grad != nil {
				c.Grad[k] += gc * fg
			}
			if cbar.Grad != nil {
				cbar.Grad[k] += gcb * fb
			}
		}
	}
	if xp.Grad != nil {
		for i, v := range gz {
			xp.Grad[i] += v
		}
	}
	if h.Grad != nil {
		t.StepMatMulT(wh, B, gz, 1, h.Grad)
	}
	if wh.Grad != nil {
		gemm(true, false, H, G, B, 1, h.Data, gz, 1, wh.Grad)
	}
}

// ctCellComposite is ctCell written with the engine's primitive ops: the
// reference the fused kernel is tested against.
func ctCellComposite(t engine.Ops, xp, h, c, cbar, wh *engine.Tensor) (cNew, cbarNew, delta, o *engine.Tensor) {
	H := h.Cols()
	z := t.Add(xp, t.MatMul(h, wh, false, false))
	gate := func(g int) *engine.Tensor { return t.SliceLast(z, g*H, (g+1)*H) }
	ig, fg, zg := t.Sigmoid(gate(gateI)), t.Sigmoid(gate(gateF)), t.Tanh(gate(gateZ))
	ib, fb := t.Sigmoid(gate(gateIBar)), t.Sigmoid(gate(gateFBar))
	cNew = t.Add(t.Mul(fg, c), t.Mul(ig, zg))
	cbarNew = t.Add(t.Mul(fb, cbar), t.Mul(ib, zg))
	return cNew, cbarNew, t.Softplus(gate(gateD)), t.Sigmoid(gate(gateO))
}

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices with
// op(A) m×k and op(B) k×n.
func gemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	lda, ldb := k, n
	if tA {
		ta, lda = blas.Trans, m
	}
	if tB {
		tb, ldb = blas.Trans, k
	}
	blas64.Implementation().Dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}
