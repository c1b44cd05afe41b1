package engine

import (
	"fmt"
	"math"
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
		for g := 0; g < G; g++ {
			s := dt.Data[b*G+g]
			k := (b*G + g) * H
			o, er := out.Data[k:k+H], e[k:k+H]
			for j := range o {
				x := math.Exp(-dr[j] * s)
				er[j] = x
				o[j] = br[j] + (cr[j]-br[j])*x
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
		for g := 0; g < G; g++ {
			s := dt.Data[b*G+g]
			k := (b*G + g) * H
			ou, er, tr := out.Data[k:k+H], e[k:k+H], tc[k:k+H]
			for j := range ou {
				x := math.Exp(-dr[j] * s)
				er[j] = x
				th := math.Tanh(br[j] + (cr[j]-br[j])*x)
				tr[j] = th
				ou[j] = or[j] * th
			}
		}
	}
	t.record(&Node{kind: opCTHidden, Out: [4]*Tensor{out}, In: [6]*Tensor{c, cbar, delta, dt, o}, Floats: rowMask, Cache: cache})
	return out
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
	for b := 0; b < B; b++ {
		if n.Floats != nil && n.Floats[b] == 0 {
			continue
		}
		cr, br, dr := c.Data[b*H:(b+1)*H], cbar.Data[b*H:(b+1)*H], delta.Data[b*H:(b+1)*H]
		for g := 0; g < G; g++ {
			s := dt.Data[b*G+g]
			k := (b*G + g) * H
			gr, er := out.Grad[k:k+H], e[k:k+H]
			gdt := 0.0
			for j, gv := range gr {
				if hidden {
					th := tc[k+j]
					if o.Grad != nil {
						o.Grad[b*H+j] += gv * th
					}
					gv *= o.Data[b*H+j] * (1 - th*th) // now the gradient of c(t)
				}
				x := er[j]
				d := cr[j] - br[j]
				if c.Grad != nil {
					c.Grad[b*H+j] += gv * x
				}
				if cbar.Grad != nil {
					cbar.Grad[b*H+j] += gv * (1 - x)
				}
				if delta.Grad != nil {
					delta.Grad[b*H+j] -= gv * d * x * s
				}
				gdt -= gv * d * x * dr[j]
			}
			if dt.Grad != nil {
				dt.Grad[b*G+g] += gdt
			}
		}
	}
}
