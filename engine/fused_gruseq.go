package engine

import (
	"fmt"

	"gonum.org/v1/gonum/floats"
)

// GRUSeq runs a whole GRU layer, L steps of GRUCell, as one recorded op.
// xp is the time-major input projection [L·B, 3H] (step j is rows
// j·B..(j+1)·B), h0 the initial state [B, H], Wh [H, 3H] and bh [3H] (may
// be nil) as for GRUCell. It returns the states h_0..h_L stacked
// time-major as one [(L+1)·B, H] tensor (rows 0..B are a copy of h0, rows
// (j+1)·B.. the state after step j): the values
// ConcatRows(h0, GRUCell(Rows(xp, 0, B), h0, Wh, bh), ...) gives, bit for
// bit, without the per-step tensors, nodes and copies. L = 0 (xp with no
// rows) returns a copy of h0.
//
// The forward pass writes each step's state straight into its rows of the
// output, with the cell's kernels (StepMatMulAdd with Wh packed once, the
// vectorised sigmoid and tanh). The backward pass runs the steps in
// reverse: each step's gradient rows of the output, complete once the
// later steps have added into them, go through the cell's backward row
// kernel (gruBackRow), which adds the input gradient straight into xp's
// and the direct part of the previous state's gradient into the previous
// step's rows of the output's gradient, then g·Whᵀ is added there too. The
// pre-activation gradients of all steps are kept in one [L·B, 3H] buffer
// GP, so that Wh's gradient is one product over all steps, H_prevᵀ·GP
// with H_prev = rows 0..L·B of the output (computed as its transpose
// GPᵀ·H_prev, a shape the matrix kernel runs faster) and bh's one column sum, instead of
// L small ones. The output's gradient rows serve as the accumulators of the
// states' gradients: after Backward they hold the total gradient of every
// state, not only what the later ops passed in.
func (t *Tape) GRUSeq(xp, h0, wh, bh *Tensor) *Tensor {
	B, H := h0.Rows(), h0.Cols()
	L := 0
	if B > 0 {
		L = xp.Rows() / B
	}
	if wh.nd != 2 || wh.dims[0] != H || wh.dims[1] != 3*H || xp.Cols() != 3*H || xp.Rows() != L*B || (bh != nil && len(bh.Data) != 3*H) {
		panic(fmt.Sprintf("engine: GRUSeq with xp %v, h0 %v, Wh %v, bh %v (want xp [L·B, 3H], h0 [B, H], Wh [H, 3H], bh [3H])", xp.Shape(), h0.Shape(), wh.Shape(), shapeOrNil(bh)))
	}
	out := t.newTensor(sh2((L+1)*B, H), false)
	copy(out.Data[:B*H], h0.Data)
	sn, hn := 3*B*H, B*H
	// cache: hp of every step [L·B, 3H] (with bias), then r, u, n [L·B, 3H];
	// without recording, one step's worth reused
	rec := t.NeedsGrad(xp, h0, wh, bh)
	steps := L
	if !rec {
		steps = min(L, 1)
	}
	cache := t.floatsRaw(2 * steps * sn)
	hpAll, actAll := cache[:steps*sn], cache[steps*sn:]
	for j := 0; j < L; j++ {
		s := j
		if !rec {
			s = 0
		}
		hp, act := hpAll[s*sn:(s+1)*sn], actAll[s*sn:(s+1)*sn]
		h := out.Data[j*hn : (j+1)*hn]
		if bh != nil {
			t.StepMatMulAdd(wh, B, h, bh.Data, 0, hp)
		} else {
			t.StepMatMul(wh, B, h, 0, hp)
		}
		gruGates(B, H, xp.Data[j*sn:(j+1)*sn], hp, act, h, out.Data[(j+1)*hn:(j+2)*hn])
	}
	t.record(&Node{kind: opGRUSeq, Out: [4]*Tensor{out}, In: [6]*Tensor{xp, h0, wh, bh}, Cache: cache})
	return out
}

func backwardGRUSeq(t *Tape, n *Node) {
	out := n.Out[0]
	xp, h0, wh, bh := n.In[0], n.In[1], n.In[2], n.In[3]
	B, H := h0.Rows(), h0.Cols()
	if B == 0 {
		return
	}
	L := xp.Rows() / B
	sn, hn := 3*B*H, B*H
	hpAll, actAll := n.Cache[:L*sn], n.Cache[L*sn:]
	gp := t.floatsRaw(L * sn) // gradients of hp, all steps
	g := out.Grad
	for j := L - 1; j >= 0; j-- {
		gOut := g[(j+1)*hn : (j+2)*hn] // gradient of h_{j+1}: complete
		// gradient of h_j: only h0's, if it takes none, is not needed
		var gPrev []float64
		if j > 0 || h0.Grad != nil {
			gPrev = g[j*hn : (j+1)*hn]
		}
		hPrev := out.Data[j*hn : (j+1)*hn]
		hp, act, gpj := hpAll[j*sn:(j+1)*sn], actAll[j*sn:(j+1)*sn], gp[j*sn:(j+1)*sn]
		var gx []float64
		if xp.Grad != nil {
			gx = xp.Grad[j*sn : (j+1)*sn]
		}
		gruBackRows(B, H, gOut, act, hp, hPrev, gpj, gx, gPrev)
		if gPrev != nil {
			t.StepMatMulT(wh, B, gpj, 1, gPrev)
		}
	}
	if h0.Grad != nil {
		floats.Add(h0.Grad[:hn], g[:hn])
	}
	if wh.Grad != nil && L > 0 {
		// Whᵀ's gradient GPᵀ·H_prev ([3H, H]), then added transposed:
		// the kernel takes this shape ~1.4× faster than H_prevᵀ·GP
		N := 3 * H
		gt := t.floatsRaw(N * H)
		gemm(true, false, N, H, L*B, 1, gp, out.Data[:L*hn], 0, gt)
		for i := 0; i < H; i++ {
			row := wh.Grad[i*N : (i+1)*N]
			for j := range row {
				row[j] += gt[j*H+i]
			}
		}
	}
	if bh != nil && bh.Grad != nil {
		colSumInto(bh.Grad, gp, L*B, 3*H)
	}
}
