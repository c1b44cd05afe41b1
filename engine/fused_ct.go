package engine

import (
	"fmt"

	"github.com/gotpp/gotpp/internal/vecmath"
)

// The continuous-time LSTM of the neural Hawkes process (Mei & Eisner 2017)
// lets each cell decay between events from c towards c̄ at rate δ:
//
//	c(t) = c̄ + (c − c̄)·exp(−δ·Δt),   h(t) = o ⊙ tanh(c(t)).
//
// The likelihood needs c(t) and h(t) at many time points per interval
// (events and integration nodes), which makes this the hottest loop of NHP;
// the fused ops below evaluate all points at once, keep the exponentials
// for the backward pass and skip padded rows.

func checkCT(name string, c, cbar, delta, o, dt *Tensor, rowMask []float64) (B, H, G int) {
	B, H = c.Rows(), c.Cols()
	bad := cbar.Rows() != B || cbar.Cols() != H || delta.Rows() != B || delta.Cols() != H ||
		(o != nil && (o.Rows() != B || o.Cols() != H)) || dt.Rows() != B ||
		(rowMask != nil && len(rowMask) != B)
	if bad {
		panic(fmt.Sprintf("engine: %s with c %v, c̄ %v, δ %v, Δt %v, %d mask entries (want [B, H] states, Δt [B, G], B mask entries or none)", name, c.Shape(), cbar.Shape(), delta.Shape(), dt.Shape(), len(rowMask)))
	}
	return B, H, dt.Cols()
}

// CTDecay returns c(t) = c̄ + (c − c̄)·exp(−δ·Δt) for every row b and time
// offset Δt[b, g]: c, cbar and delta are [B, H], dt is [B, G], and the
// result is [B, G, H]. Rows whose rowMask entry is 0 (rowMask may be nil)
// are skipped: their output is 0 and they pass no gradient. Gradients flow
// into c, cbar, delta and dt.
func (t *Tape) CTDecay(c, cbar, delta, dt *Tensor, rowMask []float64) *Tensor {
	B, H, G := checkCT("CTDecay", c, cbar, delta, nil, dt, rowMask)
	out := t.newTensor(sh3(B, G, H), false) // skipped rows cleared below
	e := t.floatsRaw(B * G * H)
	for b := 0; b < B; b++ {
		if rowMask != nil && rowMask[b] == 0 {
			clear(out.Data[b*G*H : (b+1)*G*H])
			continue
		}
		cr, br, dr := c.Data[b*H:(b+1)*H], cbar.Data[b*H:(b+1)*H], delta.Data[b*H:(b+1)*H]
		eb := e[b*G*H : (b+1)*G*H]
		ctExpArgs(eb, dr, dt.Data[b*G:(b+1)*G])
		vecmath.Exp(eb, eb)
		for g := 0; g < G; g++ {
			k := g * H
			o, er := out.Data[b*G*H+k:b*G*H+k+H], eb[k:k+H]
			for j := range o {
				o[j] = br[j] + (cr[j]-br[j])*er[j]
			}
		}
	}
	t.record(&Node{kind: opCTDecay, Out: [4]*Tensor{out}, In: [6]*Tensor{c, cbar, delta, dt}, Floats: rowMask, Cache: e})
	return out
}

// CTHidden returns h(t) = o ⊙ tanh(c(t)) with c(t) as in CTDecay: c, cbar,
// delta and o are [B, H], dt is [B, G], the result is [B, G, H]; rowMask as
// in CTDecay.
func (t *Tape) CTHidden(c, cbar, delta, o, dt *Tensor, rowMask []float64) *Tensor {
	B, H, G := checkCT("CTHidden", c, cbar, delta, o, dt, rowMask)
	out := t.newTensor(sh3(B, G, H), false) // skipped rows cleared below
	n := B * G * H
	cache := t.floatsRaw(2 * n) // exp(−δΔt), then tanh(c(t))
	e, tc := cache[:n], cache[n:]
	for b := 0; b < B; b++ {
		if rowMask != nil && rowMask[b] == 0 {
			clear(out.Data[b*G*H : (b+1)*G*H])
			continue
		}
		cr, br, dr, or := c.Data[b*H:(b+1)*H], cbar.Data[b*H:(b+1)*H], delta.Data[b*H:(b+1)*H], o.Data[b*H:(b+1)*H]
		eb, tb, ob := e[b*G*H:(b+1)*G*H], tc[b*G*H:(b+1)*G*H], out.Data[b*G*H:(b+1)*G*H]
		ctExpArgs(eb, dr, dt.Data[b*G:(b+1)*G])
		vecmath.Exp(eb, eb)
		for g := 0; g < G; g++ {
			er, tr := eb[g*H:(g+1)*H], tb[g*H:(g+1)*H]
			for j := range tr {
				tr[j] = br[j] + (cr[j]-br[j])*er[j] // c(t)
			}
		}
		vecmath.Tanh(tb, tb)
		for g := 0; g < G; g++ {
			ou, tr := ob[g*H:(g+1)*H], tb[g*H:(g+1)*H]
			for j := range ou {
				ou[j] = or[j] * tr[j]
			}
		}
	}
	t.record(&Node{kind: opCTHidden, Out: [4]*Tensor{out}, In: [6]*Tensor{c, cbar, delta, dt, o}, Floats: rowMask, Cache: cache})
	return out
}

// ctExpArgs fills dst ([G, H], one batch row) with the exponents −δ_j·Δt_g
// of the decay, to be passed through vecmath.Exp in one call.
func ctExpArgs(dst, dr, dts []float64) {
	H := len(dr)
	for g, s := range dts {
		d := dst[g*H : (g+1)*H]
		for j := range d {
			d[j] = -dr[j] * s
		}
	}
}

func backwardCT(t *Tape, n *Node) {
	out := n.Out[0]
	c, cbar, delta, dt, o := n.In[0], n.In[1], n.In[2], n.In[3], n.In[4]
	B, H, G := c.Rows(), c.Cols(), dt.Cols()
	hidden := n.kind == opCTHidden
	nn := B * G * H
	e := n.Cache[:nn]
	var tc []float64
	if hidden {
		tc = n.Cache[nn:]
	}
	// Per row b the gradients are sums over the G time points; with
	// w = ḡ⊙e (ḡ the gradient of c(t) at one point):
	//
	//	∂c += Σ_g w,   ∂c̄ += Σ_g (ḡ − w),   ∂δ −= (c − c̄)⊙Σ_g Δt_g·w,
	//	∂Δt_g = −Σ_j w_j·(c_j − c̄_j)·δ_j,
	//
	// so one pass over the points accumulates three H-vectors and the
	// row's parameters are updated once.
	buf := t.floatsRaw(5 * H)
	junk, sw, sg, sd, cd := buf[:H], buf[H:2*H], buf[2*H:3*H], buf[3*H:4*H], buf[4*H:]
	for b := 0; b < B; b++ {
		if n.Floats != nil && n.Floats[b] == 0 {
			continue
		}
		cr, br, dr := c.Data[b*H:(b+1)*H], cbar.Data[b*H:(b+1)*H], delta.Data[b*H:(b+1)*H]
		cr, br, dr = cr[:H], br[:H], dr[:H]
		for j := range cd {
			cd[j] = (cr[j] - br[j]) * dr[j]
		}
		clear(sw)
		clear(sg)
		clear(sd)
		var or, og []float64
		if hidden {
			or, og = o.Data[b*H:(b+1)*H], junk // o needs no gradient: discarded
			if o.Grad != nil {
				og = o.Grad[b*H : (b+1)*H]
			}
		}
		for g := 0; g < G; g++ {
			s := dt.Data[b*G+g]
			k := (b*G + g) * H
			var acc float64
			if hidden {
				acc = ctBackHidden(out.Grad[k:k+H], tc[k:k+H], e[k:k+H], or, cd, og, sw, sg, sd, s)
			} else {
				acc = ctBackDecay(out.Grad[k:k+H], e[k:k+H], cd, sw, sg, sd, s)
			}
			if dt.Grad != nil {
				dt.Grad[b*G+g] -= acc
			}
		}
		if c.Grad != nil {
			cg := c.Grad[b*H : (b+1)*H]
			for j, v := range sw {
				cg[j] += v
			}
		}
		if cbar.Grad != nil {
			bg := cbar.Grad[b*H : (b+1)*H]
			for j, v := range sg {
				bg[j] += v - sw[j]
			}
		}
		if delta.Grad != nil {
			dg := delta.Grad[b*H : (b+1)*H]
			for j, v := range sd {
				dg[j] -= (cr[j] - br[j]) * v
			}
		}
	}
}
