package attention

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
)

// Shape is the form of the pre-activation z(s) of an IntervalLL on a gap,
// as a function of the time s ≥ 0 since the gap's start.
type Shape int

const (
	// LinearShape is z(s) = A + B·s (THP).
	LinearShape Shape = iota
	// DecayShape is z(s) = A + B·exp(−C·s) (SAHP).
	DecayShape
)

// IntervalLL describes one call of IntervalIntensityLL. On each of R gaps
// (rows) the K type intensities are
//
//	λ_{r,k}(s) = softplus(β_k·z_{r,k}(s)) / β_k,   β_k = exp(LogBeta_k),
//
// with z of the given Shape, for s ∈ [0, Delta_r]. The op returns
//
//	Σ_{r: Types_r ≥ 0} log λ_{r,Types_r}(Delta_r)
//	  − Σ_{r: IntMask_r ≠ 0} IntMask_r · Delta_r · Σ_q Weights_q Σ_k λ_{r,k}(Delta_r·Nodes_q),
//
// the event term minus the compensator by the quadrature rule (Nodes,
// Weights) on [0, 1] — as written for LinearShape without Exact and for
// DecayShape with PlainRule; Exact uses the closed form instead, and
// DecayShape by default applies the rule after a change of variable (see
// the fields). A is [R, K]; B and C are [R, K] or [K] (one row for all
// gaps); C is only read for DecayShape; LogBeta is [K] or nil (β = 1).
// Rows that are neither scored nor integrated are skipped (padding). The
// slices must stay unchanged until the tape is reset (take them from the
// tape's arena).
type IntervalLL struct {
	Shape          Shape
	A, B, C        *engine.Tensor
	LogBeta        *engine.Tensor
	Delta          []float64
	Types          []int
	IntMask        []float64
	Nodes, Weights []float64
	// Exact, for LinearShape, computes the compensator in closed form
	// (SoftplusIntegral) instead of by the rule (Nodes and Weights are then
	// not used).
	Exact bool
	// PlainRule, for DecayShape, applies the rule to the intensity in s
	// directly; by default it is applied after the substitution
	// u = exp(−C·s) (DecayIntegral), which is far more accurate when the
	// decay is fast compared with the gap.
	PlainRule bool
	// Stats, when not nil, receives the parts of the result.
	Stats *engine.IntensityStats
}

// intervalCall is what the backward pass needs (the slices of the call
// live until the tape is reset).
type intervalCall struct {
	shape          Shape
	exact          bool // closed-form linear compensator
	subst          bool // substituted decay compensator
	r, k           int
	bRow, cRow     bool // B, C given per row
	delta          []float64
	types          []int
	intMask        []float64
	nodes, weights []float64
}

// z returns z_{r,k}(s) with ∂z/∂B and ∂z/∂C.
func (c *intervalCall) z(a, b, cc *engine.Tensor, r, k int, s float64) (z, dB, dC float64) {
	K := c.k
	bv := b.Data[k]
	if c.bRow {
		bv = b.Data[r*K+k]
	}
	if c.shape == LinearShape {
		return a.Data[r*K+k] + bv*s, s, 0
	}
	cv := cc.Data[k]
	if c.cRow {
		cv = cc.Data[r*K+k]
	}
	e := math.Exp(-cv * s)
	return a.Data[r*K+k] + bv*e, e, -bv * s * e
}

// zRow writes z_{r,k}(Delta) for every k into dst, with one vectorised
// exponential for DecayShape.
func (c *intervalCall) zRow(a, b, cc *engine.Tensor, r int, s float64, dst []float64) {
	K := c.k
	bv := b.Data[:K]
	if c.bRow {
		bv = b.Data[r*K : (r+1)*K]
	}
	av := a.Data[r*K : (r+1)*K]
	if c.shape == LinearShape {
		for j := range dst {
			dst[j] = av[j] + bv[j]*s
		}
		return
	}
	cv := cc.Data[:K]
	if c.cRow {
		cv = cc.Data[r*K : (r+1)*K]
	}
	for j := range dst {
		dst[j] = -cv[j] * s
	}
	vecmath.Exp(dst, dst)
	for j := range dst {
		dst[j] = av[j] + bv[j]*dst[j]
	}
}

// ab returns A_{r,k} and B_{r,k}.
func (c *intervalCall) ab(a, b *engine.Tensor, r, k int) (float64, float64) {
	if c.bRow {
		return a.Data[r*c.k+k], b.Data[r*c.k+k]
	}
	return a.Data[r*c.k+k], b.Data[k]
}

// cAt returns C_{r,k}.
func (c *intervalCall) cAt(cc *engine.Tensor, r, k int) float64 {
	if c.cRow {
		return cc.Data[r*c.k+k]
	}
	return cc.Data[k]
}

func betas(lb *engine.Tensor, k int, dst []float64) {
	for i := 0; i < k; i++ {
		dst[i] = 1
		if lb != nil {
			dst[i] = math.Exp(lb.Data[i])
		}
	}
}

// IntervalIntensityLL evaluates an IntervalLL and returns a scalar. Its
// backward pass is hand-written and recomputes the intensities instead of
// storing them.
func IntervalIntensityLL(t *engine.Tape, a IntervalLL) *engine.Tensor {
	R, K := a.A.Rows(), a.A.Cols()
	c := &intervalCall{shape: a.Shape, exact: a.Exact && a.Shape == LinearShape, subst: !a.PlainRule && a.Shape == DecayShape, r: R, k: K, delta: a.Delta, types: a.Types, intMask: a.IntMask, nodes: a.Nodes, weights: a.Weights}
	perRow := func(x *engine.Tensor, name string) bool {
		switch len(x.Data) {
		case R * K:
			return true
		case K:
			return false
		}
		panic(fmt.Sprintf("attention: IntervalIntensityLL: %s %v does not match A %v", name, x.Shape(), a.A.Shape()))
	}
	c.bRow = perRow(a.B, "B")
	if a.Shape == DecayShape {
		c.cRow = perRow(a.C, "C")
	}
	if len(a.Delta) != R || len(a.Types) != R || len(a.IntMask) != R || len(a.Nodes) != len(a.Weights) ||
		(!c.exact && len(a.Nodes) == 0) ||
		(a.LogBeta != nil && len(a.LogBeta.Data) != K) {
		panic(fmt.Sprintf("attention: IntervalIntensityLL with A %v, %d deltas, %d types, %d masks, %d nodes, %d weights",
			a.A.Shape(), len(a.Delta), len(a.Types), len(a.IntMask), len(a.Nodes), len(a.Weights)))
	}
	beta := t.Floats(K)
	betas(a.LogBeta, K, beta)
	// With gradients, the forward pass keeps λ and σ(βz) (and, for
	// DecayShape, exp(−C·s)) at every node so that the backward pass needs
	// no transcendental function.
	need := t.NeedsGrad(a.A, a.B, a.C, a.LogBeta)
	// In exact mode it keeps Λ_k, ∂I/∂x0 and ∂I/∂c per row and type; with
	// the substituted decay, Λ_k and the three partials of DecayIntegral.
	per, nodes := 2, len(a.Nodes)
	switch {
	case c.exact:
		per, nodes = 3, 1
	case c.subst:
		per, nodes = 4, 1
	case a.Shape == DecayShape:
		per = 3
	}
	var cache []float64
	if need {
		n := 0
		for r := 0; r < R; r++ {
			if a.IntMask[r] != 0 && a.Delta[r] != 0 {
				n++
			}
		}
		cache = t.Floats(n * nodes * K * per)
	}
	var st engine.IntensityStats
	ci := 0
	// per-row work space: K values of z, softplus, log β and the
	// batched integrals' outputs and scratch
	nw := max(3*len(a.Nodes)+4, 9)
	ws := t.Floats(K * (7 + nw))
	zs, sps, logb := ws[:K], ws[K:2*K], ws[2*K:3*K]
	o1, o2, o3, o4 := ws[3*K:4*K], ws[4*K:5*K], ws[5*K:6*K], ws[6*K:7*K]
	scr := ws[7*K:]
	for j := range logb {
		logb[j] = math.Log(beta[j])
	}
	for r := 0; r < R; r++ {
		if k := a.Types[r]; k >= 0 {
			if k >= K {
				panic(fmt.Sprintf("attention: IntervalIntensityLL: type %d at row %d, K = %d", k, r, K))
			}
			st.NumEvents++
			c.zRow(a.A, a.B, a.C, r, a.Delta[r], zs)
			for j := range zs {
				zs[j] *= beta[j]
			}
			vecmath.Softplus(sps, zs)
			tot := 0.0
			for j, v := range sps {
				tot += v / beta[j]
			}
			lk := zs[k]
			if lk >= -700 {
				lk = math.Log(sps[k])
			}
			st.EventLog += lk - logb[k]
			st.TotalLog += math.Log(tot)
		}
		if w := a.IntMask[r]; w != 0 && a.Delta[r] != 0 && c.exact {
			d := a.Delta[r]
			for j := 0; j < K; j++ {
				av, bv := c.ab(a.A, a.B, r, j)
				zs[j], sps[j] = beta[j]*av, beta[j]*bv
			}
			softplusIntegrals(zs, sps, d, o1, o2, o3, scr)
			for j := 0; j < K; j++ {
				lam := o1[j] / beta[j]
				st.Integral += w * lam
				if need {
					cache[ci], cache[ci+1], cache[ci+2] = lam, o2[j], o3[j]
					ci += 3
				}
			}
		} else if w != 0 && a.Delta[r] != 0 && c.subst {
			d := a.Delta[r]
			for j := 0; j < K; j++ {
				av, bv := c.ab(a.A, a.B, r, j)
				zs[j], sps[j], o4[j] = beta[j]*av, beta[j]*bv, c.cAt(a.C, r, j)
			}
			// o4 (γ) is read before decayIntegrals writes dg into it
			decayIntegrals(zs, sps, o4, d, a.Nodes, a.Weights, o1, o2, o3, o4, scr)
			for j := 0; j < K; j++ {
				lam := o1[j] / beta[j]
				st.Integral += w * lam
				if need {
					cache[ci], cache[ci+1], cache[ci+2], cache[ci+3] = lam, o2[j], o3[j], o4[j]
					ci += 4
				}
			}
		} else if w != 0 && a.Delta[r] != 0 {
			d := a.Delta[r]
			sum := 0.0
			for q, x := range a.Nodes {
				s := 0.0
				for j := 0; j < K; j++ {
					z, dB, _ := c.z(a.A, a.B, a.C, r, j, d*x)
					lam, sg := softplusSigmoid(beta[j] * z)
					lam /= beta[j]
					s += lam
					if need {
						cache[ci], cache[ci+1] = lam, sg
						if per == 3 {
							cache[ci+2] = dB
						}
						ci += per
					}
				}
				sum += a.Weights[q] * s
			}
			st.Integral += w * d * sum
		}
	}
	if a.Stats != nil {
		*a.Stats = st
	}
	out := t.New()
	out.Data[0] = st.EventLog - st.Integral
	t.Record(intervalOp{c: c}, engine.Node{Out: [4]*engine.Tensor{out}, In: [6]*engine.Tensor{a.A, a.B, a.C, a.LogBeta}, Floats: beta, Cache: cache})
	return out
}

// softplusSigmoid returns softplus(x) and sigmoid(x) from one exponential.
func softplusSigmoid(x float64) (sp, sg float64) {
	if x >= 0 {
		e := math.Exp(-x)
		return x + math.Log1p(e), 1 / (1 + e)
	}
	e := math.Exp(x)
	return math.Log1p(e), e / (1 + e)
}

type intervalOp struct{ c *intervalCall }

func (op intervalOp) Backward(_ *engine.Tape, n *engine.Node) {
	c := op.c
	A, B, C, lb := n.In[0], n.In[1], n.In[2], n.In[3]
	g := n.Out[0].Grad[0]
	beta, cache := n.Floats, n.Cache
	K := c.k
	decay := c.shape == DecayShape
	per := 2
	if decay {
		per = 3
	}
	// add adds gradient gz of z_{r,k}(s) into A, B and C.
	add := func(r, k int, gz, dB, dC float64) {
		if A.Grad != nil {
			A.Grad[r*K+k] += gz
		}
		if B.Grad != nil {
			if c.bRow {
				B.Grad[r*K+k] += gz * dB
			} else {
				B.Grad[k] += gz * dB
			}
		}
		if decay && C.Grad != nil {
			if c.cRow {
				C.Grad[r*K+k] += gz * dC
			} else {
				C.Grad[k] += gz * dC
			}
		}
	}
	ci := 0
	for r := 0; r < c.r; r++ {
		if k := c.types[r]; k >= 0 {
			z, dB, dC := c.z(A, B, C, r, k, c.delta[r])
			x := beta[k] * z
			sos := engine.SigmoidOverSoftplus(x)
			add(r, k, g*beta[k]*sos, dB, dC)
			if lb != nil && lb.Grad != nil {
				lb.Grad[k] += g * (x*sos - 1)
			}
		}
		if w := c.intMask[r]; w != 0 && c.delta[r] != 0 && c.exact {
			// Λ = I(βa, βb, Δ)/β: ∂Λ/∂a = ∂I/∂x0, ∂Λ/∂b = ∂I/∂c,
			// ∂Λ/∂log β = −Λ + a·∂I/∂x0 + b·∂I/∂c
			f := -g * w
			for j := 0; j < K; j++ {
				lam, dx0, dc := cache[ci], cache[ci+1], cache[ci+2]
				ci += 3
				av, bv := c.ab(A, B, r, j)
				if A.Grad != nil {
					A.Grad[r*K+j] += f * dx0
				}
				if B.Grad != nil {
					if c.bRow {
						B.Grad[r*K+j] += f * dc
					} else {
						B.Grad[j] += f * dc
					}
				}
				if lb != nil && lb.Grad != nil {
					lb.Grad[j] += f * (-lam + av*dx0 + bv*dc)
				}
			}
		} else if w != 0 && c.delta[r] != 0 && c.subst {
			// Λ = I(βa, βb, c, Δ)/β: ∂Λ/∂a = ∂I/∂x0, ∂Λ/∂b = ∂I/∂(βb),
			// ∂Λ/∂c = (∂I/∂γ)/β, ∂Λ/∂log β = −Λ + a·∂I/∂x0 + b·∂I/∂(βb)
			f := -g * w
			for j := 0; j < K; j++ {
				lam, dx0, da, dg := cache[ci], cache[ci+1], cache[ci+2], cache[ci+3]
				ci += 4
				av, bv := c.ab(A, B, r, j)
				if A.Grad != nil {
					A.Grad[r*K+j] += f * dx0
				}
				if B.Grad != nil {
					if c.bRow {
						B.Grad[r*K+j] += f * da
					} else {
						B.Grad[j] += f * da
					}
				}
				if C.Grad != nil {
					if c.cRow {
						C.Grad[r*K+j] += f * dg / beta[j]
					} else {
						C.Grad[j] += f * dg / beta[j]
					}
				}
				if lb != nil && lb.Grad != nil {
					lb.Grad[j] += f * (-lam + av*dx0 + bv*da)
				}
			}
		} else if w != 0 && c.delta[r] != 0 {
			d := c.delta[r]
			for q, xq := range c.nodes {
				f := -g * w * d * c.weights[q]
				s := d * xq
				for j := 0; j < K; j++ {
					lam, sg := cache[ci], cache[ci+1]
					var z, dB, dC float64
					if decay {
						// z = A + B·e, ∂z/∂B = e, ∂z/∂C = −B·s·e
						e := cache[ci+2]
						bv := B.Data[j]
						if c.bRow {
							bv = B.Data[r*K+j]
						}
						z, dB, dC = A.Data[r*K+j]+bv*e, e, -bv*s*e
					} else {
						z, dB, _ = c.z(A, B, C, r, j, s)
					}
					ci += per
					add(r, j, f*sg, dB, dC)
					if lb != nil && lb.Grad != nil {
						lb.Grad[j] += f * (z*sg - lam)
					}
				}
			}
		}
	}
}
