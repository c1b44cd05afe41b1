package odetpp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
)

// field holds the parameters of f(h) = tanh(W₂·tanh(W₁·h + b₁) + b₂) −
// ρ⊙tanh(h) as tape tensors.
type field struct {
	w1, b1, w2, b2, rho *engine.Tensor
}

// rk4Step is one classical RK4 step of dh/dt = f(h) for every row of h
// ([B, H]) with its own step size s[b] (0 leaves the row unchanged). It
// returns the new state and the three intermediate stage states
// h₂ = h + s/2·k₁, h₃ = h + s/2·k₂, h₄ = h + s·k₃ (the first stage state is
// h itself), at which the compensator's ODE component is evaluated. It is
// one fused op with a hand-written backward pass (reverse sweep through the
// four stages); rk4StepComposite is the same step in primitive ops. s must
// stay unchanged until Backward.
func rk4Step(t *engine.Tape, h *engine.Tensor, s []float64, f field) (hNew, h2, h3, h4 *engine.Tensor) {
	B, H := h.Rows(), h.Cols()
	if len(s) != B || f.w1.Rows() != H || f.w1.Cols() != H || f.w2.Rows() != H || f.w2.Cols() != H ||
		len(f.b1.Data) != H || len(f.b2.Data) != H || len(f.rho.Data) != H {
		panic(fmt.Sprintf("odetpp: rk4Step with h %v, %d step sizes, W₁ %v, W₂ %v", h.Shape(), len(s), f.w1.Shape(), f.w2.Shape()))
	}
	n := B * H
	hNew, h2, h3, h4 = t.New(B, H), t.New(B, H), t.New(B, H), t.New(B, H)
	// cache: per stage g, a_g = tanh(W₁h_g + b₁), o_g = tanh(W₂a_g + b₂),
	// th_g = tanh(h_g), each [B, H]
	cache := t.Floats(12 * n)
	k := t.Floats(n) // the current stage's slope
	acc := hNew.Data // accumulates h + s/6·(k₁ + 2k₂ + 2k₃ + k₄)
	copy(acc, h.Data)
	stages := [4]*engine.Tensor{h, h2, h3, h4}
	coef := [4]float64{1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6}
	next := [3]float64{0.5, 0.5, 1} // h_{g+1} = h + next[g]·s·k_g
	for g := 0; g < 4; g++ {
		hg := stages[g].Data
		a, o, th := cache[(3*g)*n:(3*g+1)*n], cache[(3*g+1)*n:(3*g+2)*n], cache[(3*g+2)*n:(3*g+3)*n]
		affineRows(hg, f.w1.Data, f.b1.Data, a, B, H)
		for i, v := range a {
			a[i] = math.Tanh(v)
		}
		affineRows(a, f.w2.Data, f.b2.Data, o, B, H)
		for i := range o {
			o[i] = math.Tanh(o[i])
			th[i] = math.Tanh(hg[i])
			k[i] = o[i] - f.rho.Data[i%H]*th[i]
		}
		for b := 0; b < B; b++ {
			sb := s[b]
			for j := b * H; j < (b+1)*H; j++ {
				acc[j] += sb * coef[g] * k[j]
				if g < 3 {
					stages[g+1].Data[j] = h.Data[j] + next[g]*sb*k[j]
				}
			}
		}
	}
	t.Record(rk4Op{}, engine.Node{
		Out:    [4]*engine.Tensor{hNew, h2, h3, h4},
		In:     [6]*engine.Tensor{h, f.w1, f.b1, f.w2, f.b2, f.rho},
		Floats: s,
		Cache:  cache,
	})
	return hNew, h2, h3, h4
}

// affineRows writes x·W + b into out for the B rows of x ([B, H] each).
func affineRows(x, w, bias, out []float64, B, H int) {
	for r := 0; r < B; r++ {
		copy(out[r*H:(r+1)*H], bias)
	}
	blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, B, H, H, 1, x, H, w, H, 1, out, H)
}

type rk4Op struct{}

func (rk4Op) Backward(t *engine.Tape, nd *engine.Node) {
	hNew, h2, h3, h4 := nd.Out[0], nd.Out[1], nd.Out[2], nd.Out[3]
	h, w1, b1, w2, b2, rho := nd.In[0], nd.In[1], nd.In[2], nd.In[3], nd.In[4], nd.In[5]
	s := nd.Floats
	B, H := h.Rows(), h.Cols()
	n := B * H
	cache := nd.Cache
	impl := blas64.Implementation()
	stages := [4]*engine.Tensor{h, h2, h3, h4}
	coef := [4]float64{1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6}
	next := [3]float64{0.5, 0.5, 1}

	// dk[g]: gradient of the loss with respect to the slope k_g; the state
	// h receives G_new directly and every stage's gradient.
	dk := [4][]float64{t.Floats(n), t.Floats(n), t.Floats(n), t.Floats(n)}
	dh := t.Floats(n)
	copy(dh, hNew.Grad)
	for g := 0; g < 4; g++ {
		for b := 0; b < B; b++ {
			for j := b * H; j < (b+1)*H; j++ {
				dk[g][j] = s[b] * coef[g] * hNew.Grad[j]
			}
		}
	}
	dhg := t.Floats(n) // gradient of the current stage state
	u := t.Floats(n)
	w := t.Floats(n)
	for g := 3; g >= 0; g-- {
		a, o, th := cache[(3*g)*n:(3*g+1)*n], cache[(3*g+1)*n:(3*g+2)*n], cache[(3*g+2)*n:(3*g+3)*n]
		// back through k_g = f(h_g): u = dk⊙(1−o²), w = (u·W₂ᵀ)⊙(1−a²)
		for i, v := range dk[g] {
			u[i] = v * (1 - o[i]*o[i])
		}
		if w2.Grad != nil {
			impl.Dgemm(blas.Trans, blas.NoTrans, H, H, B, 1, a, H, u, H, 1, w2.Grad, H)
		}
		if b2.Grad != nil {
			colSum(b2.Grad, u, B, H)
		}
		impl.Dgemm(blas.NoTrans, blas.Trans, B, H, H, 1, u, H, w2.Data, H, 0, w, H)
		for i := range w {
			w[i] *= 1 - a[i]*a[i]
		}
		hg := stages[g].Data
		if w1.Grad != nil {
			impl.Dgemm(blas.Trans, blas.NoTrans, H, H, B, 1, hg, H, w, H, 1, w1.Grad, H)
		}
		if b1.Grad != nil {
			colSum(b1.Grad, w, B, H)
		}
		// dh_g = (stage output gradient) + Jᵀ dk_g
		if g > 0 {
			copy(dhg, stages[g].Grad)
		} else {
			clear(dhg)
		}
		impl.Dgemm(blas.NoTrans, blas.Trans, B, H, H, 1, w, H, w1.Data, H, 1, dhg, H)
		for i, v := range dk[g] {
			r := rho.Data[i%H]
			dhg[i] -= r * (1 - th[i]*th[i]) * v
			if rho.Grad != nil {
				rho.Grad[i%H] -= v * th[i]
			}
		}
		// h_g = h + next[g−1]·s·k_{g−1}
		for i, v := range dhg {
			dh[i] += v
		}
		if g > 0 {
			for b := 0; b < B; b++ {
				c := next[g-1] * s[b]
				for j := b * H; j < (b+1)*H; j++ {
					dk[g-1][j] += c * dhg[j]
				}
			}
		}
	}
	if h.Grad != nil {
		for i, v := range dh {
			h.Grad[i] += v
		}
	}
}

// colSum adds the column sums of the [B, H] matrix x into dst.
func colSum(dst, x []float64, B, H int) {
	for b := 0; b < B; b++ {
		for j, v := range x[b*H : (b+1)*H] {
			dst[j] += v
		}
	}
}

// rk4StepComposite is rk4Step written with the engine's primitive ops: the
// reference the fused op is tested against.
func rk4StepComposite(t engine.Ops, h *engine.Tensor, s []float64, f field) (hNew, h2, h3, h4 *engine.Tensor) {
	B := h.Rows()
	fn := func(x *engine.Tensor) *engine.Tensor {
		return t.Sub(t.Tanh(t.Linear(t.Tanh(t.Linear(x, f.w1, f.b1)), f.w2, f.b2)), t.Mul(t.Tanh(x), f.rho))
	}
	col := func(c float64) *engine.Tensor {
		v := make([]float64, B)
		for b := range v {
			v[b] = c * s[b]
		}
		return t.Const(v, B, 1)
	}
	k1 := fn(h)
	h2 = t.Add(h, t.Mul(k1, col(0.5)))
	k2 := fn(h2)
	h3 = t.Add(h, t.Mul(k2, col(0.5)))
	k3 := fn(h3)
	h4 = t.Add(h, t.Mul(k3, col(1)))
	k4 := fn(h4)
	sum := t.Add(t.Add(k1, k4), t.Scale(t.Add(k2, k3), 2))
	hNew = t.Add(h, t.Mul(sum, col(1.0/6)))
	return hNew, h2, h3, h4
}
