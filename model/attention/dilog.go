package attention

import (
	"math"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
)

// bernoulliTerms are B_n/(n+1)! for n = 0, 1, 2, 4, ..., 18 (B_1 = −1/2;
// odd Bernoulli numbers above 1 vanish): the coefficients of
// Li2(z) = Σ_n B_n u^(n+1)/(n+1)! with u = −ln(1−z).
var bernoulliTerms = [...]struct {
	pow  int
	coef float64
}{
	{1, 1},
	{2, -1.0 / 4},
	{3, 1.0 / 36},
	{5, -1.0 / 3600},
	{7, 1.0 / 211680},
	{9, -1.0 / 10886400},
	{11, 1.0 / 526901760},
	{13, -691.0 / 2730 / 6227020800},
	{15, 7.0 / 6 / 1307674368000},
	{17, -3617.0 / 510 / 355687428096000},
	{19, 43867.0 / 798 / 121645100408832000},
}

// SoftplusAntiderivative is F(x) = ∫_{−∞}^x softplus(u) du = −Li2(−eˣ),
// accurate to a few ulps for every finite x. For x ≤ 0 it sums the
// Bernoulli series of the dilogarithm in u = −softplus(x) (|u| ≤ ln 2, so
// eleven terms reach double precision); for x > 0 it uses the reflection
// F(x) = x²/2 + π²/6 − F(−x).
func SoftplusAntiderivative(x float64) float64 {
	if x > 0 {
		return x*x/2 + math.Pi*math.Pi/6 - SoftplusAntiderivative(-x)
	}
	u := -engine.Softplus(x)
	u2 := u * u
	// u·(1 + c2·u + c3·u² + c5·u⁴ + ...): Horner in u² after the first two
	s := 0.0
	for i := len(bernoulliTerms) - 1; i >= 2; i-- {
		s = s*u2 + bernoulliTerms[i].coef
	}
	li2 := u + bernoulliTerms[1].coef*u2 + s*u2*u
	return -li2
}

// SoftplusAntiderivatives writes F(x[i]) (SoftplusAntiderivative) into
// dst[i] for every i, with one vectorised softplus (internal/vecmath) for
// the whole slice; the values agree with SoftplusAntiderivative to a few
// ulps. dst and x must not overlap.
func SoftplusAntiderivatives(dst, x []float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = -math.Abs(v)
	}
	vecmath.Softplus(dst, dst)
	for i, v := range x {
		u := -dst[i]
		u2 := u * u
		s := 0.0
		for j := len(bernoulliTerms) - 1; j >= 2; j-- {
			s = s*u2 + bernoulliTerms[j].coef
		}
		f := -(u + bernoulliTerms[1].coef*u2 + s*u2*u)
		if v > 0 {
			f = v*v/2 + math.Pi*math.Pi/6 - f
		}
		dst[i] = f
	}
}

// closedFormMin is the smallest |c·Δ| at which SoftplusIntegral uses the
// closed form. Below it the difference F(x1) − F(x0) would lose digits to
// cancellation, and a 3-node Gauss–Legendre rule is exact to double
// precision instead: the integrand's nearest singularities are at ±iπ in
// x, so for an interval of width w = |cΔ| the rule's error is of order
// (w/4π)^6 relative, below 1e-14 for w < 0.05. Above it the cancellation
// costs at most a factor F(x0)/(w·softplus(x0)) ≲ 20·max(1, |x0|) of
// rounding error.
const closedFormMin = 0.05

var glNodes, glWeights = engine.GaussLegendre(3)

// SoftplusIntegralValues writes into out[k] the integral
// ∫_0^Δ softplus(x0[k] + c[k]·s) ds for every k, given f0[k] =
// SoftplusAntiderivative(x0[k]), with the antiderivatives at the far end
// from one SoftplusAntiderivatives call (scratch holds len(x0) floats and
// must not overlap out). Each value is SoftplusIntegralValue's to a few
// ulps.
func SoftplusIntegralValues(out, x0, f0, c []float64, d float64, scratch []float64) {
	out, scratch = out[:len(x0)], scratch[:len(x0)]
	if d == 0 {
		clear(out)
		return
	}
	for k, v := range x0 {
		out[k] = v + c[k]*d
	}
	SoftplusAntiderivatives(scratch, out)
	for k, v := range x0 {
		if math.Abs(c[k]*d) < closedFormMin {
			out[k] = SoftplusIntegralValue(v, f0[k], c[k], d)
			continue
		}
		out[k] = (scratch[k] - f0[k]) / c[k]
	}
}

// SoftplusIntegralValue is SoftplusIntegral's I alone (the same value, bit
// for bit), given f0 = SoftplusAntiderivative(x0): a caller integrating
// from the same x0 many times (prediction's compensator at every panel
// end) computes f0 once, and no derivative is formed.
func SoftplusIntegralValue(x0, f0, c, d float64) float64 {
	if d == 0 {
		return 0
	}
	if math.Abs(c*d) < closedFormMin {
		I := 0.0
		for q, u := range glNodes {
			I += d * glWeights[q] * engine.Softplus(x0+c*(d*u))
		}
		return I
	}
	return (SoftplusAntiderivative(x0+c*d) - f0) / c
}

// SoftplusIntegral returns I = ∫_0^Δ softplus(x0 + c·s) ds and its partial
// derivatives ∂I/∂x0 and ∂I/∂c, exactly (to rounding): by the
// antiderivative, I = (F(x0 + cΔ) − F(x0))/c, when |cΔ| ≥ 0.05, and by
// 3-node Gauss–Legendre (exact to double precision there) below.
func SoftplusIntegral(x0, c, d float64) (I, dx0, dc float64) {
	if d == 0 {
		return 0, 0, 0
	}
	if math.Abs(c*d) < closedFormMin {
		for q, u := range glNodes {
			s := d * u
			sp, sg := softplusSigmoid(x0 + c*s)
			w := d * glWeights[q]
			I += w * sp
			dx0 += w * sg
			dc += w * sg * s
		}
		return I, dx0, dc
	}
	x1 := x0 + c*d
	I = (SoftplusAntiderivative(x1) - SoftplusAntiderivative(x0)) / c
	sp1 := engine.Softplus(x1)
	dx0 = (sp1 - engine.Softplus(x0)) / c
	dc = (d*sp1 - I) / c
	return I, dx0, dc
}

// DecayIntegral returns I = ∫_0^Δ softplus(x0 + a·exp(−γs)) ds (γ > 0) by
// the substitution u = exp(−γs):
//
//	I = Δ·softplus(x0) + (1/γ)·∫_{u0}^1 h(u) du,  h(u) = (softplus(x0 + a·u) − softplus(x0))/u,  u0 = exp(−γΔ),
//
// with the Gauss–Legendre rule (nodes, weights on [0, 1]) applied to the
// smooth h on [u0, 1]. The asymptote softplus(x0) is integrated exactly and
// the transient is resolved equally well whatever γΔ, which a rule in s
// cannot do when the decay is fast compared with the gap. It also returns
// the partial derivatives of this discretisation with respect to x0, a
// and γ.
func DecayIntegral(x0, a, gamma, d float64, nodes, weights []float64) (I, dx0, da, dg float64) {
	if d == 0 {
		return 0, 0, 0, 0
	}
	sp0, sg0 := softplusSigmoid(x0)
	om := -math.Expm1(-gamma * d) // 1 − u0, accurate for small γΔ
	u0 := math.Exp(-gamma * d)
	// softplus and sigmoid at every node in one vectorised call
	var buf [3 * 32]float64
	nq := len(nodes)
	var args, sps, sgs []float64
	if nq <= 32 {
		args, sps, sgs = buf[:nq], buf[32:32+nq], buf[64:64+nq]
	} else {
		args, sps, sgs = make([]float64, nq), make([]float64, nq), make([]float64, nq)
	}
	for q, xq := range nodes {
		args[q] = x0 + a*(u0+om*xq)
	}
	vecmath.SoftplusSigmoid(sps, sgs, args)
	var J, jx, ja, jh, jdh float64
	for q, xq := range nodes {
		u := u0 + om*xq
		sp, sg := sps[q], sgs[q]
		h := (sp - sp0) / u
		w := weights[q]
		J += w * h
		jx += w * (sg - sg0) / u
		ja += w * sg
		jh += w * h
		jdh += w * (a*sg - h) / u * (1 - xq)
	}
	J *= om
	I = d*sp0 + J/gamma
	dx0 = d*sg0 + om*jx/gamma
	da = om * ja / gamma
	// ∂J/∂u0 = −Σ w h + om Σ w h'(u)(1 − x), ∂u0/∂γ = −Δ·u0
	dJ := -jh + om*jdh
	dg = -J/(gamma*gamma) + dJ*(-d*u0)/gamma
	return I, dx0, da, dg
}

// softplusIntegrals is SoftplusIntegral for the K pairs (x0[j], c[j])
// sharing one Δ, with one vectorised softplus/sigmoid call (internal/vecmath)
// for the Gauss–Legendre nodes of every pair below closedFormMin (the
// values agree with SoftplusIntegral's to a few ulps). It writes I, ∂I/∂x0
// and ∂I/∂c into in, dx0 and dc; scratch holds at least 9·K floats.
func softplusIntegrals(x0, c []float64, d float64, in, dx0, dc, scratch []float64) {
	K := len(x0)
	nq := len(glNodes)
	args, sps, sgs := scratch[:nq*K], scratch[nq*K:2*nq*K], scratch[2*nq*K:3*nq*K]
	for j, x := range x0 {
		cj := c[j]
		a := args[j*nq : (j+1)*nq]
		if d == 0 || math.Abs(cj*d) >= closedFormMin {
			clear(a)
			continue
		}
		for q, u := range glNodes {
			a[q] = x + cj*(d*u)
		}
	}
	vecmath.SoftplusSigmoid(sps, sgs, args)
	for j, x := range x0 {
		cj := c[j]
		if d == 0 {
			in[j], dx0[j], dc[j] = 0, 0, 0
			continue
		}
		if math.Abs(cj*d) < closedFormMin {
			var I, gx, gc float64
			for q, u := range glNodes {
				s := d * u
				sp, sg := sps[j*nq+q], sgs[j*nq+q]
				w := d * glWeights[q]
				I += w * sp
				gx += w * sg
				gc += w * sg * s
			}
			in[j], dx0[j], dc[j] = I, gx, gc
			continue
		}
		in[j], dx0[j], dc[j] = SoftplusIntegral(x, cj, d)
	}
}

// decayIntegrals is DecayIntegral for the K triples (x0[j], a[j],
// gamma[j]) sharing one Δ and rule, with one vectorised softplus/sigmoid
// call for the nodes of every triple and one for the asymptotes (the
// values agree with DecayIntegral's to a few ulps). It writes I and the
// partials into in, dx0, da and dg; scratch holds at least
// K·(3·len(nodes)+4) floats. d must not be 0. dg may be gamma itself.
func decayIntegrals(x0, a, gamma []float64, d float64, nodes, weights []float64, in, dx0, da, dg, scratch []float64) {
	K, nq := len(x0), len(nodes)
	args, sps, sgs := scratch[:nq*K], scratch[nq*K:2*nq*K], scratch[2*nq*K:3*nq*K]
	sp0, sg0 := scratch[3*nq*K:3*nq*K+K], scratch[3*nq*K+K:3*nq*K+2*K]
	u0s, oms := scratch[3*nq*K+2*K:3*nq*K+3*K], scratch[3*nq*K+3*K:3*nq*K+4*K]
	for j, g := range gamma {
		u0s[j] = -g * d
	}
	vecmath.Exp(u0s, u0s)
	for j, x := range x0 {
		u0 := u0s[j]
		// 1 − u0: exact enough once u0 <= 1/2, by expm1 (accurate for
		// small γΔ) above
		om := 1 - u0
		if u0 > 0.5 {
			om = -math.Expm1(-gamma[j] * d)
		}
		oms[j] = om
		aj := a[j]
		ar := args[j*nq : (j+1)*nq]
		for q, xq := range nodes {
			ar[q] = x + aj*(u0+om*xq)
		}
	}
	vecmath.SoftplusSigmoid(sps, sgs, args)
	vecmath.SoftplusSigmoid(sp0, sg0, x0)
	for j := range x0 {
		om, u0, aj, g := oms[j], u0s[j], a[j], gamma[j]
		s0, s0g := sp0[j], sg0[j]
		var J, jx, ja, jdh float64
		for q, xq := range nodes {
			iu := 1 / (u0 + om*xq)
			sp, sg := sps[j*nq+q], sgs[j*nq+q]
			h := (sp - s0) * iu
			w := weights[q]
			J += w * h
			jx += w * (sg - s0g) * iu
			ja += w * sg
			jdh += w * (aj*sg - h) * iu * (1 - xq)
		}
		jh := J
		J *= om
		in[j] = d*s0 + J/g
		dx0[j] = d*s0g + om*jx/g
		da[j] = om * ja / g
		dJ := -jh + om*jdh
		dg[j] = -J/(g*g) + dJ*(-d*u0)/g
	}
}
