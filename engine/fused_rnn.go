package engine

import (
	"fmt"

	"github.com/gotpp/gotpp/internal/vecmath"
)

// The recurrent cells take the input projection xp = x·Wx + b already
// computed for all steps at once (one large Linear over the time-major
// [L·B, in] inputs, then Rows per step), so that each step only multiplies
// the hidden state. All three are fused: one node per step, gate values
// kept for the backward pass.

func checkCell(name string, xp, h, wh *Tensor, gates int) (B, H int) {
	B, H = h.Rows(), h.Cols()
	if wh.nd != 2 || wh.dims[0] != H || wh.dims[1] != gates*H || xp.Rows() != B || xp.Cols() != gates*H {
		panic(fmt.Sprintf("engine: %s with xp %v, h %v, Wh %v (want xp [B, %d·H], h [B, H], Wh [H, %d·H])", name, xp.Shape(), h.Shape(), wh.Shape(), gates, gates))
	}
	return B, H
}

// RNNCell is one step of an Elman RNN: tanh(xp + h·Wh), with xp [B, H],
// h [B, H], Wh [H, H].
func (t *Tape) RNNCell(xp, h, wh *Tensor) *Tensor {
	B, H := checkCell("RNNCell", xp, h, wh, 1)
	out := t.newTensor(sh2(B, H), false)
	t.StepMatMulAdd(wh, B, h.Data, xp.Data, H, out.Data)
	vecmath.Tanh(out.Data, out.Data)
	t.record(&Node{kind: opRNNCell, Out: [4]*Tensor{out}, In: [6]*Tensor{xp, h, wh}})
	return out
}

func backwardRNNCell(t *Tape, n *Node) {
	out, xp, h, wh := n.Out[0], n.In[0], n.In[1], n.In[2]
	B, H := h.Rows(), h.Cols()
	gz := t.floatsRaw(B * H)
	for i, g := range out.Grad {
		o := out.Data[i]
		gz[i] = g * (1 - o*o)
	}
	cellInputGrads(t, gz, xp, h, wh, B, H, 1)
}

// cellInputGrads adds the gradient gz of the pre-activation z = xp + h·Wh
// ([B, gates·H]) into xp, h and Wh.
func cellInputGrads(t *Tape, gz []float64, xp, h, wh *Tensor, B, H, gates int) {
	if xp.Grad != nil {
		for i, v := range gz {
			xp.Grad[i] += v
		}
	}
	cellStateGrads(t, gz, h, wh, B, gates*H, H)
}

// LSTMCell is one step of an LSTM (Hochreiter & Schmidhuber 1997, with
// forget gate): with z = xp + h·Wh split into gates [i | f | g | o] (each H
// wide), c' = σ(f)⊙c + σ(i)⊙tanh(g) and h' = σ(o)⊙tanh(c'). xp is [B, 4H],
// h and c are [B, H], Wh is [H, 4H]. It returns h' and c'.
func (t *Tape) LSTMCell(xp, h, c, wh *Tensor) (hNew, cNew *Tensor) {
	B, H := checkCell("LSTMCell", xp, h, wh, 4)
	if c.Rows() != B || c.Cols() != H {
		panic(fmt.Sprintf("engine: LSTMCell with c %v, want [%d, %d]", c.Shape(), B, H))
	}
	hNew = t.newTensor(sh2(B, H), false)
	cNew = t.newTensor(sh2(B, H), false)
	// cache: activated gates [B, 4H], then tanh(c') [B, H]
	cache := t.floatsRaw(5 * B * H)
	z := cache[:4*B*H]
	tc := cache[4*B*H:]
	t.StepMatMulAdd(wh, B, h.Data, xp.Data, 4*H, z)
	for b := 0; b < B; b++ {
		zr := z[b*4*H : (b+1)*4*H]
		cr := c.Data[b*H : (b+1)*H]
		vecmath.Sigmoid(zr[:2*H], zr[:2*H])
		vecmath.Tanh(zr[2*H:3*H], zr[2*H:3*H])
		vecmath.Sigmoid(zr[3*H:], zr[3*H:])
		cn := cNew.Data[b*H : (b+1)*H]
		for j := range cn {
			cn[j] = zr[H+j]*cr[j] + zr[j]*zr[2*H+j]
		}
	}
	vecmath.Tanh(tc, cNew.Data)
	for b := 0; b < B; b++ {
		og, th, hr := z[b*4*H+3*H:(b+1)*4*H], tc[b*H:(b+1)*H], hNew.Data[b*H:(b+1)*H]
		for j := range hr {
			hr[j] = og[j] * th[j]
		}
	}
	t.record(&Node{kind: opLSTMCell, Out: [4]*Tensor{hNew, cNew}, In: [6]*Tensor{xp, h, c, wh}, Cache: cache})
	return hNew, cNew
}

func backwardLSTMCell(t *Tape, n *Node) {
	hNew, cNew := n.Out[0], n.Out[1]
	xp, h, c, wh := n.In[0], n.In[1], n.In[2], n.In[3]
	B, H := h.Rows(), h.Cols()
	z := n.Cache[:4*B*H]
	tc := n.Cache[4*B*H:]
	gz := t.floatsRaw(4 * B * H)
	for b := 0; b < B; b++ {
		zr := z[b*4*H : (b+1)*4*H]
		gr := gz[b*4*H : (b+1)*4*H]
		for j := 0; j < H; j++ {
			k := b*H + j
			ig, fg, gg, og := zr[j], zr[H+j], zr[2*H+j], zr[3*H+j]
			gh := hNew.Grad[k]
			th := tc[k]
			dc := cNew.Grad[k] + gh*og*(1-th*th)
			do := gh * th
			gr[j] = dc * gg * ig * (1 - ig)
			gr[H+j] = dc * c.Data[k] * fg * (1 - fg)
			gr[2*H+j] = dc * ig * (1 - gg*gg)
			gr[3*H+j] = do * og * (1 - og)
			if c.Grad != nil {
				c.Grad[k] += dc * fg
			}
		}
	}
	cellInputGrads(t, gz, xp, h, wh, B, H, 4)
}

// GRUCell is one step of a GRU (Cho et al. 2014) in the form PyTorch uses:
// with hp = h·Wh + bh split into [r | u | n] blocks and xp likewise,
// r = σ(xp_r + hp_r), u = σ(xp_u + hp_u), n = tanh(xp_n + r⊙hp_n) and
// h' = (1−u)⊙n + u⊙h. xp is [B, 3H], h [B, H], Wh [H, 3H], bh [3H] (may be
// nil).
func (t *Tape) GRUCell(xp, h, wh, bh *Tensor) *Tensor {
	B, H := checkCell("GRUCell", xp, h, wh, 3)
	if bh != nil && len(bh.Data) != 3*H {
		panic(fmt.Sprintf("engine: GRUCell with bh %v, want [%d]", bh.Shape(), 3*H))
	}
	out := t.newTensor(sh2(B, H), false)
	// cache: hp [B, 3H] (with bias), then r, u, n [B, 3H]
	cache := t.floatsRaw(6 * B * H)
	hp := cache[:3*B*H]
	act := cache[3*B*H:]
	if bh != nil {
		t.StepMatMulAdd(wh, B, h.Data, bh.Data, 0, hp)
	} else {
		t.StepMatMul(wh, B, h.Data, 0, hp)
	}
	gruGates(B, H, xp.Data, hp, act, h.Data, out.Data)
	t.record(&Node{kind: opGRUCell, Out: [4]*Tensor{out}, In: [6]*Tensor{xp, h, wh, bh}, Cache: cache})
	return out
}

// gruGates runs the GRU's element loop over B rows of H units: from the
// input pre-activations xp and the recurrent ones hp ([B, 3H] each) and the
// state h ([B, H]) it writes the activations [r | u | n] into act
// ([B, 3H]) and the new state into out ([B, H]).
func gruGates(B, H int, xp, hp, act, h, out []float64) {
	for b := 0; b < B; b++ {
		x := xp[b*3*H : (b+1)*3*H]
		p := hp[b*3*H : (b+1)*3*H]
		a := act[b*3*H : (b+1)*3*H]
		// r and u by one vectorised sigmoid over their two blocks, then n
		for j := 0; j < 2*H; j++ {
			a[j] = x[j] + p[j]
		}
		vecmath.Sigmoid(a[:2*H], a[:2*H])
		nb := a[2*H : 3*H]
		for j := range nb {
			nb[j] = x[2*H+j] + a[j]*p[2*H+j]
		}
		vecmath.Tanh(nb, nb)
		hr, or := h[b*H:(b+1)*H], out[b*H:(b+1)*H]
		for j := 0; j < H; j++ {
			u, nn := a[H+j], nb[j]
			or[j] = (1-u)*nn + u*hr[j]
		}
	}
}

func backwardGRUCell(t *Tape, n *Node) {
	out := n.Out[0]
	xp, h, wh, bh := n.In[0], n.In[1], n.In[2], n.In[3]
	B, H := h.Rows(), h.Cols()
	hp := n.Cache[:3*B*H]
	act := n.Cache[3*B*H:]
	gp := t.floatsRaw(3 * B * H) // gradient of hp
	gruBackRows(B, H, out.Grad, act, hp, h.Data, gp, xp.Grad, h.Grad)
	cellStateGrads(t, gp, h, wh, B, 3*H, H)
	if bh != nil && bh.Grad != nil {
		colSumInto(bh.Grad, gp, B, 3*H)
	}
}

// cellStateGrads adds the gradients of z = h·Wh ([B, N], gz its gradient)
// into h (gz·Whᵀ, Whᵀ packed once per tape) and Wh (hᵀ·gz).
func cellStateGrads(t *Tape, gz []float64, h, wh *Tensor, B, N, H int) {
	if h.Grad != nil {
		t.StepMatMulT(wh, B, gz, 1, h.Grad)
	}
	if wh.Grad != nil {
		gemm(true, false, H, N, B, 1, h.Data, gz, 1, wh.Grad)
	}
}
