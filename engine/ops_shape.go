package engine

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/gotpp/gotpp/internal/vecmath"
)

// Reshape returns a view of a with another shape of the same size. The view
// shares a's values and gradient, so it costs nothing and records nothing.
func (t *Tape) Reshape(a *Tensor, dims ...int) *Tensor {
	s := shapeFromInts(dims)
	if s.size() != len(a.Data) {
		panic(fmt.Sprintf("engine: Reshape of %v to %v", a.Shape(), clone(dims)))
	}
	x := t.tensors.get()
	x.dims, x.nd = s.d, s.n
	x.Data, x.Grad = a.Data, a.Grad
	return x
}

// Rows returns the view a[lo:hi] along the first axis, sharing values and
// gradient with a (no copy, nothing recorded). For a time-major [L·B, H]
// tensor, Rows(a, i*B, (i+1)*B) is step i.
func (t *Tape) Rows(a *Tensor, lo, hi int) *Tensor {
	if a.nd == 0 || lo < 0 || hi > a.dims[0] || lo > hi {
		panic(fmt.Sprintf("engine: Rows(%d, %d) of %v", lo, hi, a.Shape()))
	}
	stride := 1
	for i := 1; i < a.nd; i++ {
		stride *= a.dims[i]
	}
	x := t.tensors.get()
	x.dims, x.nd = a.dims, a.nd
	x.dims[0] = hi - lo
	x.Data = a.Data[lo*stride : hi*stride : hi*stride]
	if a.Grad != nil {
		x.Grad = a.Grad[lo*stride : hi*stride : hi*stride]
	}
	return x
}

// Gather returns the rows of table (seen as [V, C]) picked by idx: the
// embedding lookup. The result has shape [len(idx), C]; an index < 0 gives a
// row of zeros (padding). idx must stay unchanged until Backward.
func (t *Tape) Gather(table *Tensor, idx []int) *Tensor {
	V, C := table.Rows(), table.Cols()
	out := t.newTensor(sh2(len(idx), C), false)
	for i, k := range idx {
		o := out.Data[i*C : (i+1)*C]
		if k < 0 {
			clear(o)
			continue
		}
		if k >= V {
			panic(fmt.Sprintf("engine: Gather index %d at %d outside table of %d rows", k, i, V))
		}
		copy(o, table.Data[k*C:(k+1)*C])
	}
	t.record(&Node{kind: opGather, Out: [4]*Tensor{out}, In: [6]*Tensor{table}, Ints: idx})
	return out
}

// Pick returns out[r] = a[r, idx[r]] for each row r of a (seen as [R, C]),
// shape [R, 1]; an index < 0 gives 0. idx must stay unchanged until
// Backward.
func (t *Tape) Pick(a *Tensor, idx []int) *Tensor {
	R, C := a.Rows(), a.Cols()
	if len(idx) != R {
		panic(fmt.Sprintf("engine: Pick with %d indices from %v (%d rows)", len(idx), a.Shape(), R))
	}
	out := t.newTensor(sh2(R, 1), false)
	for r, k := range idx {
		if k < 0 {
			out.Data[r] = 0
			continue
		}
		if k >= C {
			panic(fmt.Sprintf("engine: Pick index %d at row %d outside %d columns", k, r, C))
		}
		out.Data[r] = a.Data[r*C+k]
	}
	t.record(&Node{kind: opPick, Out: [4]*Tensor{out}, In: [6]*Tensor{a}, Ints: idx})
	return out
}

// Concat joins tensors along the last axis; all must have the same number
// of rows. The result has the first tensor's leading axes.
func (t *Tape) Concat(ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("engine: Concat of nothing")
	}
	R := ts[0].Rows()
	C := 0
	for _, x := range ts {
		if x.Rows() != R {
			panic(fmt.Sprintf("engine: Concat of %v and %v: row counts differ", ts[0].Shape(), x.Shape()))
		}
		C += x.Cols()
	}
	out := t.newTensor(shOf(ts[0]).withLast(C), false)
	off := 0
	for _, x := range ts {
		c := x.Cols()
		for r := 0; r < R; r++ {
			copy(out.Data[r*C+off:r*C+off+c], x.Data[r*c:(r+1)*c])
		}
		off += c
	}
	t.record(&Node{kind: opConcat, Out: [4]*Tensor{out}, List: t.list(ts)})
	return out
}

// SliceLast returns a[..., lo:hi] (a copy).
func (t *Tape) SliceLast(a *Tensor, lo, hi int) *Tensor {
	R, C := a.Rows(), a.Cols()
	if lo < 0 || hi > C || lo > hi {
		panic(fmt.Sprintf("engine: SliceLast(%d, %d) of %v", lo, hi, a.Shape()))
	}
	w := hi - lo
	out := t.newTensor(shOf(a).withLast(w), false)
	for r := 0; r < R; r++ {
		copy(out.Data[r*w:(r+1)*w], a.Data[r*C+lo:r*C+hi])
	}
	t.record(&Node{kind: opSliceLast, Out: [4]*Tensor{out}, In: [6]*Tensor{a}, Flags: lo})
	return out
}

// ConcatRows joins tensors along the first axis (all other axes equal):
// for [B, H] step outputs it builds the time-major [n·B, H] stack.
func (t *Tape) ConcatRows(ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic("engine: ConcatRows of nothing")
	}
	s := shOf(ts[0])
	if s.n == 0 {
		s = sh1(1)
	}
	rows := 0
	n := 0
	for _, x := range ts {
		xs := shOf(x)
		if xs.n == 0 {
			xs = sh1(1)
		}
		if xs.n != s.n {
			panic(fmt.Sprintf("engine: ConcatRows of %v and %v", ts[0].Shape(), x.Shape()))
		}
		for i := 1; i < s.n; i++ {
			if xs.d[i] != s.d[i] {
				panic(fmt.Sprintf("engine: ConcatRows of %v and %v", ts[0].Shape(), x.Shape()))
			}
		}
		rows += xs.d[0]
		n += len(x.Data)
	}
	s.d[0] = rows
	out := t.newTensor(s, false)
	off := 0
	for _, x := range ts {
		copy(out.Data[off:], x.Data)
		off += len(x.Data)
	}
	t.record(&Node{kind: opConcatRows, Out: [4]*Tensor{out}, List: t.list(ts)})
	return out
}

// Transpose01 swaps the first two axes of a 3-axis tensor: [A, B, C] →
// [B, A, C] (time-major ↔ batch-major).
func (t *Tape) Transpose01(a *Tensor) *Tensor {
	if a.nd != 3 {
		panic(fmt.Sprintf("engine: Transpose01 of %v (want 3 axes)", a.Shape()))
	}
	A, B, C := a.dims[0], a.dims[1], a.dims[2]
	out := t.newTensor(sh3(B, A, C), false)
	for i := 0; i < A; i++ {
		for j := 0; j < B; j++ {
			copy(out.Data[(j*A+i)*C:(j*A+i+1)*C], a.Data[(i*B+j)*C:(i*B+j+1)*C])
		}
	}
	t.record(&Node{kind: opTranspose01, Out: [4]*Tensor{out}, In: [6]*Tensor{a}})
	return out
}

// Sum returns the sum of all elements (a scalar, shape []).
func (t *Tape) Sum(a *Tensor) *Tensor {
	out := t.newTensor(sh0(), false)
	s := 0.0
	for _, v := range a.Data {
		s += v
	}
	out.Data[0] = s
	t.record(&Node{kind: opSum, Out: [4]*Tensor{out}, In: [6]*Tensor{a}})
	return out
}

// WeightedSum returns Σ w_i a_i (a scalar): with a 0/1 mask it is the masked
// sum. w has one weight per element of a and must stay unchanged until
// Backward.
func (t *Tape) WeightedSum(a *Tensor, w []float64) *Tensor {
	if len(w) != len(a.Data) {
		panic(fmt.Sprintf("engine: WeightedSum of %v with %d weights", a.Shape(), len(w)))
	}
	out := t.newTensor(sh0(), false)
	s := 0.0
	for i, v := range a.Data {
		if w[i] != 0 {
			s += w[i] * v
		}
	}
	out.Data[0] = s
	t.record(&Node{kind: opWeightedSum, Out: [4]*Tensor{out}, In: [6]*Tensor{a}, Floats: w})
	return out
}

// SumLast sums over the last axis: [..., C] → [..., 1].
func (t *Tape) SumLast(a *Tensor) *Tensor {
	R, C := a.Rows(), a.Cols()
	out := t.newTensor(shOf(a).withLast(1), false)
	for r := 0; r < R; r++ {
		s := 0.0
		for _, v := range a.Data[r*C : (r+1)*C] {
			s += v
		}
		out.Data[r] = s
	}
	t.record(&Node{kind: opSumLast, Out: [4]*Tensor{out}, In: [6]*Tensor{a}})
	return out
}

// LogSoftmax normalises the last axis: out = a − log Σ exp(a) per row.
func (t *Tape) LogSoftmax(a *Tensor) *Tensor {
	R, C := a.Rows(), a.Cols()
	out := t.newTensor(shOf(a), false)
	for r := 0; r < R; r++ {
		x := a.Data[r*C : (r+1)*C]
		o := out.Data[r*C : (r+1)*C]
		m := math.Inf(-1)
		for _, v := range x {
			m = max(m, v)
		}
		for i, v := range x {
			o[i] = v - m
		}
		vecmath.Exp(o, o)
		s := 0.0
		for _, e := range o {
			s += e
		}
		lse := m + math.Log(s)
		for i, v := range x {
			o[i] = v - lse
		}
	}
	t.record(&Node{kind: opLogSoftmax, Out: [4]*Tensor{out}, In: [6]*Tensor{a}})
	return out
}

// Softmax normalises the last axis: out = exp(a)/Σ exp(a) per row. Use a
// large negative additive mask (e.g. −1e30) to exclude entries.
func (t *Tape) Softmax(a *Tensor) *Tensor {
	R, C := a.Rows(), a.Cols()
	out := t.newTensor(shOf(a), false)
	for r := 0; r < R; r++ {
		vecmath.Softmax(out.Data[r*C:(r+1)*C], a.Data[r*C:(r+1)*C])
	}
	t.record(&Node{kind: opSoftmax, Out: [4]*Tensor{out}, In: [6]*Tensor{a}})
	return out
}

// LayerNorm normalises the last axis of x to zero mean and unit variance
// (biased variance, eps added inside the square root, as in Ba et al. 2016)
// and applies gain and bias ([C] each; either may be nil).
func (t *Tape) LayerNorm(x, gain, bias *Tensor, eps float64) *Tensor {
	return t.layerNorm(x, nil, gain, bias, eps)
}

// AddLayerNorm is LayerNorm(x + y, gain, bias, eps) for x and y of one
// shape, fused (the residual connection of a post-norm Transformer
// layer): the sum is not materialised as a tensor, and the backward pass
// adds the gradient of the sum into both x and y. Values and gradients
// are bit-identical to the unfused ops.
func (t *Tape) AddLayerNorm(x, y, gain, bias *Tensor, eps float64) *Tensor {
	if len(y.Data) != len(x.Data) || y.Cols() != x.Cols() {
		panic(fmt.Sprintf("engine: AddLayerNorm of %v and %v", x.Shape(), y.Shape()))
	}
	return t.layerNorm(x, y, gain, bias, eps)
}

// layerNorm is LayerNorm of x (y nil) or of x + y.
func (t *Tape) layerNorm(x, y, gain, bias *Tensor, eps float64) *Tensor {
	R, C := x.Rows(), x.Cols()
	if (gain != nil && len(gain.Data) != C) || (bias != nil && len(bias.Data) != C) {
		panic(fmt.Sprintf("engine: LayerNorm of %v with gain/bias of the wrong size", x.Shape()))
	}
	out := t.newTensor(shOf(x), false)
	// cache: per row mean and 1/σ, then the normalised values
	cache := t.floatsRaw(2*R + R*C)
	xh := cache[2*R:]
	var gd, bd []float64
	if gain != nil {
		gd = gain.Data[:C]
	}
	if bias != nil {
		bd = bias.Data[:C]
	}
	fC := float64(C)
	for r := 0; r < R; r++ {
		h := xh[r*C : (r+1)*C]
		xr := x.Data[r*C : (r+1)*C]
		if y != nil {
			// h holds x + y until it is normalised
			floats.AddTo(h, xr, y.Data[r*C:(r+1)*C])
			xr = h
		}
		// the sums by gonum's unrolled kernels (several partial sums, no
		// chain of dependent additions); h holds x − m before scaling
		m := floats.Sum(xr) / fC
		for i, v := range xr {
			h[i] = v - m
		}
		vr := floats.Dot(h, h) / fC
		rs := 1 / math.Sqrt(vr+eps)
		cache[2*r], cache[2*r+1] = m, rs
		o := out.Data[r*C : (r+1)*C]
		switch {
		case gd != nil && bd != nil:
			lnAffine(h, o, gd, bd, rs)
		default:
			for i, v := range h {
				hv := v * rs
				h[i] = hv
				yv := hv
				if gd != nil {
					yv *= gd[i]
				}
				if bd != nil {
					yv += bd[i]
				}
				o[i] = yv
			}
		}
	}
	kind := opLayerNorm
	if y != nil {
		kind = opAddLayerNorm
	}
	t.record(&Node{kind: kind, Out: [4]*Tensor{out}, In: [6]*Tensor{x, gain, bias, y}, Cache: cache})
	return out
}

func backwardShapeReduce(t *Tape, n *Node) {
	out := n.Out[0]
	g := out.Grad
	switch n.kind {
	case opGather:
		tab := n.In[0]
		if tab.Grad == nil {
			return
		}
		C := tab.Cols()
		for i, k := range n.Ints {
			if k < 0 {
				continue
			}
			floats.Add(tab.Grad[k*C:(k+1)*C], g[i*C:(i+1)*C])
		}
	case opPick:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		C := a.Cols()
		for r, k := range n.Ints {
			if k >= 0 {
				a.Grad[r*C+k] += g[r]
			}
		}
	case opConcat:
		R, C := out.Rows(), out.Cols()
		off := 0
		for _, x := range n.List {
			c := x.Cols()
			if x.Grad != nil {
				for r := 0; r < R; r++ {
					floats.Add(x.Grad[r*c:(r+1)*c], g[r*C+off:r*C+off+c])
				}
			}
			off += c
		}
	case opSliceLast:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		R, C, w, lo := a.Rows(), a.Cols(), out.Cols(), n.Flags
		for r := 0; r < R; r++ {
			floats.Add(a.Grad[r*C+lo:r*C+lo+w], g[r*w:(r+1)*w])
		}
	case opConcatRows:
		off := 0
		for _, x := range n.List {
			if x.Grad != nil {
				floats.Add(x.Grad[:len(x.Data)], g[off:off+len(x.Data)])
			}
			off += len(x.Data)
		}
	case opTranspose01:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		A, B, C := a.dims[0], a.dims[1], a.dims[2]
		for i := 0; i < A; i++ {
			for j := 0; j < B; j++ {
				dst := a.Grad[(i*B+j)*C : (i*B+j+1)*C]
				for k, v := range g[(j*A+i)*C : (j*A+i+1)*C] {
					dst[k] += v
				}
			}
		}
	case opSum:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		for i := range a.Grad {
			a.Grad[i] += g[0]
		}
	case opWeightedSum:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		for i, w := range n.Floats {
			a.Grad[i] += g[0] * w
		}
	case opSumLast:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		R, C := a.Rows(), a.Cols()
		for r := 0; r < R; r++ {
			dst := a.Grad[r*C : (r+1)*C]
			for j := range dst {
				dst[j] += g[r]
			}
		}
	case opLogSoftmax:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		R, C := a.Rows(), a.Cols()
		p := t.floatsRaw(R * C) // softmax = exp(out)
		vecmath.Exp(p, out.Data[:R*C])
		for r := 0; r < R; r++ {
			gr := g[r*C : (r+1)*C]
			pr := p[r*C : (r+1)*C]
			s := 0.0
			for _, v := range gr {
				s += v
			}
			dst := a.Grad[r*C : (r+1)*C]
			for j, v := range gr {
				dst[j] += v - pr[j]*s
			}
		}
	case opSoftmax:
		a := n.In[0]
		if a.Grad == nil {
			return
		}
		R, C := a.Rows(), a.Cols()
		for r := 0; r < R; r++ {
			gr := g[r*C : (r+1)*C]
			o := out.Data[r*C : (r+1)*C]
			s := 0.0
			for j, v := range gr {
				s += v * o[j]
			}
			dst := a.Grad[r*C : (r+1)*C]
			for j, v := range gr {
				dst[j] += o[j] * (v - s)
			}
		}
	case opLayerNorm, opAddLayerNorm:
		backwardLayerNorm(t, n)
	}
}

func backwardLayerNorm(t *Tape, n *Node) {
	x, gain, bias, y := n.In[0], n.In[1], n.In[2], n.In[3]
	g := n.Out[0].Grad
	R, C := x.Rows(), x.Cols()
	cache := n.Cache
	xh := cache[2*R:]
	dxh := t.floatsRaw(C)
	var gd, gg, bg []float64
	if gain != nil {
		gd = gain.Data[:C]
		if gain.Grad != nil {
			gg = gain.Grad[:C]
		}
	}
	if bias != nil && bias.Grad != nil {
		bg = bias.Grad[:C]
	}
	var xg, yg []float64
	xg = x.Grad
	if y != nil {
		yg = y.Grad
		if xg == nil {
			xg, yg = yg, nil
		}
	}
	for r := 0; r < R; r++ {
		gr := g[r*C : (r+1)*C]
		h := xh[r*C : (r+1)*C]
		d := gr
		if gg != nil && bg != nil && gd != nil {
			d = dxh
			lnBackParams(gr, h, gd, gg, bg, d)
		} else {
			if gg != nil {
				for j, v := range gr {
					gg[j] += v * h[j]
				}
			}
			if bg != nil {
				floats.Add(bg, gr)
			}
			if gd != nil && xg != nil {
				d = dxh
				for j, v := range gr {
					d[j] = v * gd[j]
				}
			}
		}
		if xg == nil {
			continue
		}
		m1 := floats.Sum(d) / float64(C)
		m2 := floats.Dot(d, h) / float64(C)
		var dy []float64
		if yg != nil {
			dy = yg[r*C : (r+1)*C]
		}
		lnBackInput(d, h, xg[r*C:(r+1)*C], dy, m1, m2, cache[2*r+1])
	}
}

// PickLogSoftmax returns out[r] = log softmax(a[r, :])[idx[r]], shape
// [R, 1]: the log-probability of one class per row (the negative
// cross-entropy), fused so that the softmax is computed once and kept for
// the backward pass. Rows with idx[r] < 0 are skipped (output 0, no
// gradient). idx must stay unchanged until Backward.
func (t *Tape) PickLogSoftmax(a *Tensor, idx []int) *Tensor {
	R, C := a.Rows(), a.Cols()
	if len(idx) != R {
		panic(fmt.Sprintf("engine: PickLogSoftmax with %d indices from %v (%d rows)", len(idx), a.Shape(), R))
	}
	out := t.newTensor(sh2(R, 1), false)
	rec := t.NeedsGrad(a)
	var prob, tmp []float64
	if rec {
		prob = t.floatsRaw(R * C)
	} else {
		tmp = t.floatsRaw(C) // exp(a − max) of one row
	}
	for r, k := range idx {
		if k < 0 {
			out.Data[r] = 0
			continue
		}
		if k >= C {
			panic(fmt.Sprintf("engine: PickLogSoftmax index %d at row %d outside %d columns", k, r, C))
		}
		x := a.Data[r*C : (r+1)*C]
		m := math.Inf(-1)
		for _, v := range x {
			m = max(m, v)
		}
		p := tmp
		if rec {
			p = prob[r*C : (r+1)*C]
		}
		for i, v := range x {
			p[i] = v - m
		}
		vecmath.Exp(p, p)
		s := 0.0
		for _, e := range p {
			s += e
		}
		if rec {
			inv := 1 / s
			for i := range p {
				p[i] *= inv
			}
		}
		out.Data[r] = x[k] - m - math.Log(s)
	}
	if rec {
		t.record(&Node{kind: opPickLogSoftmax, Out: [4]*Tensor{out}, In: [6]*Tensor{a}, Ints: idx, Cache: prob})
	}
	return out
}

func backwardPickLogSoftmax(n *Node) {
	a := n.In[0]
	if a.Grad == nil {
		return
	}
	g := n.Out[0].Grad
	C := a.Cols()
	for r, k := range n.Ints {
		if k < 0 || g[r] == 0 {
			continue
		}
		p := n.Cache[r*C : (r+1)*C]
		dst := a.Grad[r*C : (r+1)*C]
		for i, v := range p {
			dst[i] -= g[r] * v
		}
		dst[k] += g[r]
	}
}
