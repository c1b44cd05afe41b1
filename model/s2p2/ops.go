package s2p2

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
)

// The three engine ops of this package, each with a hand-written backward
// pass (tested against finite differences and, for mix, against the same
// computation in primitive ops):
//
//   - evolve: the exact solution of a layer's diagonal complex linear
//     dynamics over an offset s, x(s) = e^{Λδs}⊙(x⁺ + v) − v, at many
//     offsets per interval;
//   - gelu: x·Φ(x), the activation between layers (the engine has none);
//   - mix: the nonlinear mixing that turns a layer's state into the next
//     layer's input, LayerNorm(GELU(x·C + D⊙u) + u), fused so that only
//     two H-wide rows per evaluation point are kept for the backward pass.
//
// Complex vectors of size P are stored as real rows [Re (P) | Im (P)].

// evolve returns, for every row r of x0 ([R, 2P], the states just after
// the events) and offset dt[r·G+g], the state
//
//	x = E⊙(x0_r + v_{rG+g}) − v_{rG+g},   E = exp((−e^{a} + iω)⊙δ_r·dt)
//
// as an [R·G, 2P] tensor. delta is [R, P] (positive), v is [R·G, 2P] or nil
// (zero input), logNegRe (a) and imag (ω) are [P]. dt must stay unchanged
// until Backward. Rows r with rowMask[r] = 0 (rowMask may be nil) give 0
// and pass no gradient.
func evolve(t *engine.Tape, x0, delta, v *engine.Tensor, dt []float64, logNegRe, imag *engine.Tensor, rowMask []float64) *engine.Tensor {
	R, P2 := x0.Rows(), x0.Cols()
	P := P2 / 2
	if R == 0 {
		return t.New(0, P2)
	}
	G := len(dt) / R
	if P2 != 2*P || delta.Rows() != R || delta.Cols() != P || len(dt) != R*G ||
		(v != nil && (v.Rows() != R*G || v.Cols() != P2)) || len(logNegRe.Data) != P || len(imag.Data) != P ||
		(rowMask != nil && len(rowMask) != R) {
		panic(fmt.Sprintf("s2p2: evolve with x0 %v, δ %v, v %v, %d offsets, Λ %d/%d", x0.Shape(), delta.Shape(), shapeOf(v), len(dt), len(logNegRe.Data), len(imag.Data)))
	}
	out := t.New(R*G, P2)
	lam := t.Floats(P)
	for p := range lam {
		lam[p] = math.Exp(logNegRe.Data[p])
	}
	for r := 0; r < R; r++ {
		if rowMask != nil && rowMask[r] == 0 {
			continue
		}
		xr, xi := x0.Data[r*P2:r*P2+P], x0.Data[r*P2+P:(r+1)*P2]
		dl := delta.Data[r*P : (r+1)*P]
		for g := 0; g < G; g++ {
			n := r*G + g
			s := dt[n]
			o := out.Data[n*P2 : (n+1)*P2]
			var vr, vi []float64
			if v != nil {
				vr, vi = v.Data[n*P2:n*P2+P], v.Data[n*P2+P:(n+1)*P2]
			}
			for p := 0; p < P; p++ {
				er, ei := expPair(lam[p], imag.Data[p], dl[p]*s)
				zr, zi := xr[p], xi[p]
				if v != nil {
					zr += vr[p]
					zi += vi[p]
					o[p] = er*zr - ei*zi - vr[p]
					o[P+p] = er*zi + ei*zr - vi[p]
				} else {
					o[p] = er*zr - ei*zi
					o[P+p] = er*zi + ei*zr
				}
			}
		}
	}
	t.Record(evolveOp{}, engine.Node{
		Out:    [4]*engine.Tensor{out},
		In:     [6]*engine.Tensor{x0, delta, v, logNegRe, imag},
		Floats: dt,
		Cache:  rowMaskCache(t, rowMask, R),
	})
	return out
}

// expPair returns Re and Im of exp((−lam + iω)·τ).
func expPair(lam, omega, tau float64) (er, ei float64) {
	e := math.Exp(-lam * tau)
	sn, cs := math.Sincos(omega * tau)
	return e * cs, e * sn
}

// rowMaskCache copies rowMask into the arena (all ones when nil).
func rowMaskCache(t *engine.Tape, rowMask []float64, R int) []float64 {
	c := t.Floats(R)
	if rowMask == nil {
		for i := range c {
			c[i] = 1
		}
	} else {
		copy(c, rowMask)
	}
	return c
}

func shapeOf(x *engine.Tensor) []int {
	if x == nil {
		return nil
	}
	return x.Shape()
}

type evolveOp struct{}

func (evolveOp) Backward(t *engine.Tape, n *engine.Node) {
	out := n.Out[0]
	x0, delta, v, a, w := n.In[0], n.In[1], n.In[2], n.In[3], n.In[4]
	dt, mask := n.Floats, n.Cache
	R, P2 := x0.Rows(), x0.Cols()
	P := P2 / 2
	G := len(dt) / R
	for r := 0; r < R; r++ {
		if mask[r] == 0 {
			continue
		}
		xr, xi := x0.Data[r*P2:r*P2+P], x0.Data[r*P2+P:(r+1)*P2]
		dl := delta.Data[r*P : (r+1)*P]
		for g := 0; g < G; g++ {
			k := r*G + g
			s := dt[k]
			gr, gi := out.Grad[k*P2:k*P2+P], out.Grad[k*P2+P:(k+1)*P2]
			for p := 0; p < P; p++ {
				lam := math.Exp(a.Data[p])
				tau := dl[p] * s
				er, ei := expPair(lam, w.Data[p], tau)
				zr, zi := xr[p], xi[p]
				if v != nil {
					zr += v.Data[k*P2+p]
					zi += v.Data[k*P2+P+p]
				}
				// x = E·z − v: gradients of z (= of x0) and of v
				dzr := gr[p]*er + gi[p]*ei
				dzi := -gr[p]*ei + gi[p]*er
				if x0.Grad != nil {
					x0.Grad[r*P2+p] += dzr
					x0.Grad[r*P2+P+p] += dzi
				}
				if v != nil && v.Grad != nil {
					v.Grad[k*P2+p] += dzr - gr[p]
					v.Grad[k*P2+P+p] += dzi - gi[p]
				}
				// through E = e^{ρ}(cos φ + i sin φ), ρ = −λδs, φ = ωδs
				ger := gr[p]*zr + gi[p]*zi
				gei := -gr[p]*zi + gi[p]*zr
				dRho := ger*er + gei*ei
				dPhi := -ger*ei + gei*er
				if a.Grad != nil {
					a.Grad[p] += dRho * (-lam * tau) // ∂ρ/∂a = ρ
				}
				if w.Grad != nil {
					w.Grad[p] += dPhi * tau
				}
				if delta.Grad != nil {
					delta.Grad[r*P+p] += s * (-dRho*lam + dPhi*w.Data[p])
				}
			}
		}
	}
}

// normCDF and normPDF are Φ and φ of the standard normal.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// geluScalar is x·Φ(x) (the exact GELU of Hendrycks & Gimpel, as
// PyTorch's default), geluGrad its derivative Φ(x) + x·φ(x).
func geluScalar(x float64) float64 { return x * normCDF(x) }
func geluGrad(x float64) float64   { return normCDF(x) + x*normPDF(x) }

// gelu applies GELU elementwise.
func gelu(t *engine.Tape, x *engine.Tensor) *engine.Tensor {
	out := t.New(x.Shape()...)
	for i, v := range x.Data {
		out.Data[i] = geluScalar(v)
	}
	t.Record(geluOp{}, engine.Node{Out: [4]*engine.Tensor{out}, In: [6]*engine.Tensor{x}})
	return out
}

type geluOp struct{}

func (geluOp) Backward(t *engine.Tape, n *engine.Node) {
	x, out := n.In[0], n.Out[0]
	if x.Grad == nil {
		return
	}
	for i, g := range out.Grad {
		x.Grad[i] += g * geluGrad(x.Data[i])
	}
}

// lnEps is the LayerNorm epsilon (PyTorch's default).
const lnEps = 1e-5

// mix returns LayerNorm(GELU(x·C + D⊙u) + u)·gain + bias for every row of
// x ([R, 2P]) with C [2P, H]; u ([R, H]) and d ([H]) may both be nil (the
// first layer, which has no input). The variance is the biased one with
// lnEps inside the square root.
func mix(t *engine.Tape, x, c, u, d, gain, bias *engine.Tensor) *engine.Tensor {
	R, P2, H := x.Rows(), x.Cols(), c.Cols()
	if c.Rows() != P2 || (u != nil && (u.Rows() != R || u.Cols() != H)) || (u == nil) != (d == nil) ||
		(d != nil && len(d.Data) != H) || len(gain.Data) != H || len(bias.Data) != H {
		panic(fmt.Sprintf("s2p2: mix with x %v, C %v, u %v", x.Shape(), c.Shape(), shapeOf(u)))
	}
	out := t.New(R, H)
	// cache: GELU'(y) [R, H] (y, the pre-activation, is computed in place
	// there), then the normalised rows [R, H], then 1/σ per row
	cache := t.Floats(2*R*H + R)
	dg, nrm, rstd := cache[:R*H], cache[R*H:2*R*H], cache[2*R*H:]
	gemm(false, false, R, H, P2, 1, x.Data, c.Data, 0, dg)
	for r := 0; r < R; r++ {
		yr, nr := dg[r*H:(r+1)*H], nrm[r*H:(r+1)*H]
		mean := 0.0
		for j := range yr {
			y := yr[j]
			if u != nil {
				y += d.Data[j] * u.Data[r*H+j]
			}
			cdf := normCDF(y)
			a := y * cdf
			yr[j] = cdf + y*normPDF(y)
			if u != nil {
				a += u.Data[r*H+j]
			}
			nr[j] = a
			mean += a
		}
		mean /= float64(H)
		vr := 0.0
		for j := range nr {
			nr[j] -= mean
			vr += nr[j] * nr[j]
		}
		rs := 1 / math.Sqrt(vr/float64(H)+lnEps)
		rstd[r] = rs
		o := out.Data[r*H : (r+1)*H]
		for j := range nr {
			nr[j] *= rs
			o[j] = nr[j]*gain.Data[j] + bias.Data[j]
		}
	}
	t.Record(mixOp{}, engine.Node{
		Out:   [4]*engine.Tensor{out},
		In:    [6]*engine.Tensor{x, c, u, d, gain, bias},
		Cache: cache,
	})
	return out
}

type mixOp struct{}

func (mixOp) Backward(t *engine.Tape, n *engine.Node) {
	out := n.Out[0]
	x, c, u, d, gain, bias := n.In[0], n.In[1], n.In[2], n.In[3], n.In[4], n.In[5]
	R, P2, H := x.Rows(), x.Cols(), c.Cols()
	dg, nrm, rstd := n.Cache[:R*H], n.Cache[R*H:2*R*H], n.Cache[2*R*H:]
	dy := t.Floats(R * H)
	for r := 0; r < R; r++ {
		g := out.Grad[r*H : (r+1)*H]
		nr := nrm[r*H : (r+1)*H]
		// LayerNorm: dn = g⊙gain, da = (dn − mean(dn) − n·mean(dn⊙n))/σ
		m1, m2 := 0.0, 0.0
		for j, gv := range g {
			if gain.Grad != nil {
				gain.Grad[j] += gv * nr[j]
			}
			if bias.Grad != nil {
				bias.Grad[j] += gv
			}
			dn := gv * gain.Data[j]
			m1 += dn
			m2 += dn * nr[j]
		}
		m1 /= float64(H)
		m2 /= float64(H)
		for j, gv := range g {
			da := rstd[r] * (gv*gain.Data[j] - m1 - nr[j]*m2)
			k := r*H + j
			dyv := da * dg[k]
			dy[k] = dyv
			if u != nil {
				if u.Grad != nil {
					u.Grad[k] += da + dyv*d.Data[j]
				}
				if d.Grad != nil {
					d.Grad[j] += dyv * u.Data[k]
				}
			}
		}
	}
	if x.Grad != nil {
		gemm(false, true, R, P2, H, 1, dy, c.Data, 1, x.Grad)
	}
	if c.Grad != nil {
		gemm(true, false, P2, H, R, 1, x.Data, dy, 1, c.Grad)
	}
}

// mixComposite is mix written with primitive ops (and gelu): the reference
// the fused op is tested against.
func mixComposite(t *engine.Tape, x, c, u, d, gain, bias *engine.Tensor) *engine.Tensor {
	y := t.Linear(x, c, nil)
	if u != nil {
		y = t.Add(y, t.Mul(u, d))
	}
	a := gelu(t, y)
	if u != nil {
		a = t.Add(a, u)
	}
	return t.LayerNorm(a, gain, bias, lnEps)
}

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices with
// op(A) m×k and op(B) k×n.
func gemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range c[:m*n] {
			c[i] *= beta
		}
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
