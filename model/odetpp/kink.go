package odetpp

import (
	"math"
)

// kinkWork holds the work vectors of kinkFromStages, and the activations
// of the field at the stages of the last grid step (rk4FromKeep).
type kinkWork struct {
	keep            [3][3][]float64
	dk              [3][]float64 // the stage slopes' derivatives in s
	v, da, do, left []float64
	zero, z, dz     []float64
}

func newKinkWork(H, kp int) *kinkWork {
	buf := make([]float64, 16*H+3*kp)
	vec := func(i int) []float64 { return buf[i*H : (i+1)*H : (i+1)*H] }
	w := &kinkWork{v: vec(12), da: vec(13), do: vec(14), left: vec(15)}
	for g := 0; g < 3; g++ {
		for a := 0; a < 3; a++ {
			w.keep[g][a] = vec(3*g + a)
		}
		w.dk[g] = vec(9 + g)
	}
	rest := buf[16*H:]
	w.zero, w.z, w.dz = rest[:kp], rest[kp:2*kp], rest[2*kp:3*kp]
	return w
}

// kinkFromStages returns κ_j = Σ_k |λ_k'(jM⁺) − λ_k'(jM⁻)| at grid point
// j, right after the grid step from grid[j−1] (stored at index i0) to
// grid[j] (equal to the stored state i1, whose slope gridK1[i1] is set),
// whose stage slopes are in n.sc and stage activations in n.kw.keep: the
// jump of the slopes of the discretised intensities where the remainder
// step from grid[j−1] (of size M at jM⁻) hands over to the remainder step
// from grid[j] (of size 0 at jM⁺). The slope from the left is the
// derivative of the RK4 step Φ(s) = y₀ + s/6·(k₁ + 2k₂ + 2k₃ + k₄) in its
// size s at s = M (forward mode through the stages, with the field's
// Jacobian J·v = ((v·W₁)⊙(1−a₁²))·W₂⊙(1−a₂²) − ρ⊙(1−tanh²y)⊙v from the
// kept activations); from the right it is f(grid[j]).
func (n *next) kinkFromStages(i0, i1 int) float64 {
	m := n.m
	H, K := m.cfg.HiddenSize, m.k
	w, sc := n.kw, n.sc
	rho := sc.rho
	s := m.cfg.MaxStep
	zero := w.zero[:H]
	k1 := n.gridK1[i0]
	ks := [3][]float64{sc.k2, sc.k3, sc.k4}
	dks := w.dk
	// stage tangents: y₂' = k₁/2, y₃' = k₂/2 + s/2·k₂', y₄' = k₃ + s·k₃'
	for g := 0; g < 3; g++ {
		switch g {
		case 0:
			for i := range w.v {
				w.v[i] = k1[i] / 2
			}
		case 1:
			for i := range w.v {
				w.v[i] = ks[0][i]/2 + s/2*dks[0][i]
			}
		case 2:
			for i := range w.v {
				w.v[i] = ks[1][i] + s*dks[1][i]
			}
		}
		t1, t2, th := w.keep[g][0], w.keep[g][1], w.keep[g][2]
		affineRowsFMA(1, H, H, w.v, m.w1.Value, zero, w.da)
		for i, t := range t1 {
			w.da[i] *= 1 - t*t
		}
		affineRowsFMA(1, H, H, w.da, m.w2.Value, zero, w.do)
		for i, d := range w.do {
			dks[g][i] = d*(1-t2[i]*t2[i]) - rho[i]*(1-th[i]*th[i])*w.v[i]
		}
	}
	right := n.gridK1[i1]
	for i := range w.left {
		left := (k1[i]+2*ks[0][i]+2*ks[1][i]+ks[2][i])/6 + s/6*(2*dks[0][i]+2*dks[1][i]+dks[2][i])
		w.left[i] = right[i] - left
	}
	// slopes of λ_k: sigmoid(β_k z_k)·(h'·w_k)
	affineRowsFMA(1, H, n.kp, n.grid[i1], n.woutP, n.boutP, w.z)
	affineRowsFMA(1, H, n.kp, w.left, n.woutP, w.zero, w.dz)
	kappa := 0.0
	for k := 0; k < K; k++ {
		kappa += math.Abs(w.dz[k]) / (1 + math.Exp(-n.beta[k]*w.z[k]))
	}
	return kappa
}

// kinkTol is ε of NextBreak's criterion: the bound on the quadrature error
// that the kinks left inside one panel may add, 1/100 of predict's default
// per-panel tolerance (1e-7).
const kinkTol = 1e-9

// kinkLookahead bounds how far NextBreak(dt) scans beyond the first grid
// point j₀ after dt: j₀ + max(j₀/2, 16) cells while the grid has to be
// computed, so that it is not built far past the end of the integration,
// and 4·j₀ + 64 once the scan has reached the grid's cycle (gridAt), past
// which the grid costs nothing. A break is reported at the end of the
// scan if the criterion still holds there.
func (n *next) kinkLookahead(j0, j int) bool {
	if n.period > 0 && j > n.cycleAt {
		return j <= 5*j0+64
	}
	return j <= j0+max(j0/2, 16)
}

// NextBreak implements predict.Breakpointed. The discretised intensity is
// smooth except at the offsets where the step rule changes (Config.gridBreak):
// Steps·MaxStep, and every grid point j·MaxStep (Steps < j <=
// maxGridSteps), where the remainder step from grid[j−1] (of size MaxStep
// at j·MaxStep⁻) hands over to the one from grid[j] (of size 0 at
// j·MaxStep⁺). The values agree there, the slopes jump by the derivative
// of the local error of the grid step. Far from the last event the state
// relaxes towards a fixed point of f, the local errors (∝ the size of f's
// derivatives along the trajectory) die out geometrically, and the kinks
// stop mattering: NextBreak reports only the grid points whose kinks could
// matter for a panel, so that the quadrature's panels can span many
// cells there, each panel still checked by the Gauss–Kronrod error
// estimate. On Taobao (laws of ~80–150 time units, κ_j falling from ~1e-1
// at j = 3 to ~1e-9 at j = 20 and to rounding by j ≈ 80) every cell up to
// ~10 time units stays a panel and the rest takes ~8 panels: 426
// evaluations per event instead of 2,576, predictions within 2.3e-8.
//
// The criterion. Write M = MaxStep and κ_j = Σ_k |Δλ_k'(j·M)| (kinkFromStages,
// exact to rounding: forward-mode derivative of the grid step) for the
// jump of the slopes at grid point j. On cell j−1 the discretised state is
// Φ_{j−1}(r), one RK4 step of size r from grid[j−1]; it differs from the
// exact flow from grid[j−1] by the local error e(r) ≈ C·r⁵, whose slope
// 5C·M⁴ at r = M is the kink's jump (in h; in λ through the head's
// Jacobian, ≤ Σ_k |w_k·Δh'|, which κ_j measures), so the cell's local error
// is ≈ M·κ_j/5 in λ units. On a panel [a, b] the discretised intensity
// therefore differs from a smooth function (the intensity of the exact
// flow through the panel's first grid state) by at most
// A = Σ_{a < jM <= b} M·κ_j/5, the local errors of the cells the panel
// overlaps (propagated without growth: near a stable fixed point the flow
// contracts). A quadrature rule with positive weights summing to b − a
// integrates a function within A of a smooth one with at most 2(b−a)·A
// more error than it makes on the smooth one, and its Gauss–Kronrod
// estimate moves by at most as much (for each of K15 and G7), so the kinks
// inside a panel cost at most 2(b−a)·A = 0.4·M·(b−a)·Σκ_j (this also
// bounds their higher-order parts, which a bound on the first-order jump
// alone, ≈ 1e-3·(b−a)²·κ for the K15 rule, would miss on wide panels). The
// integrands are λ_k·S, S and λ (for Λ, whose tolerance is Tol/S); with
// S <= 1 the rough part of S over the panel is at most (t−a)·A·S(t) and
// that of λ_k·S at most S(a)·A·(1 + λ_k·(t−a)·e^{−Λ(t)+Λ(a)}), a factor
// of order 1 (λ·w·e^{−λw} <= 1/e for a slowly varying λ), so it is enough
// that
//
//	M·(b − a)·Σ_{a < jM <= b} κ_j <= ε = kinkTol = 1e-9,
//
// a factor 2.5 over the bound and 100 below predict's default Tol. NextBreak(dt)
// returns the largest grid point b > dt that satisfies it with a = dt (at
// least the next grid point: a panel up to it has no kink inside; the
// break at Steps·MaxStep is always returned), scanning at most
// kinkLookahead cells ahead (a break at the end of the scan is harmless: a
// panel ends there and the next one resumes its planned width). Once the
// grid has reached its cycle at rounding level (gridAt) the κ_j repeat
// with it and cost nothing; in a cycle of period 1 they are 0 exactly
// (the pieces on both sides are the same function).
//
// Where the state has not relaxed (κ large) every grid point is a break as
// before. The criterion does not use S (unknown to the law), so it is
// conservative in the tail, and a kink that is not negligible still only
// costs the error control some halving of its panel.
func (n *next) NextBreak(dt float64) float64 {
	c := n.m.cfg
	M := c.MaxStep
	j0 := c.gridBreak(dt)
	switch {
	case j0 > maxGridSteps:
		return math.Inf(1)
	case j0 <= c.Steps:
		return float64(j0) * M
	}
	best, sum := j0, 0.0
	for j := j0; j <= maxGridSteps && n.kinkLookahead(j0, j); j++ {
		sum += n.kink(j)
		if M*(float64(j)*M-dt)*sum > kinkTol {
			break
		}
		best = j
	}
	if best == maxGridSteps {
		// no kinks beyond the last grid point: the panel may be as wide as
		// the kinks up to it allow
		if sum == 0 {
			return math.Inf(1)
		}
		return max(dt+kinkTol/(M*sum), float64(best)*M)
	}
	return float64(best) * M
}

// kink is κ_j (kinkFromStages, computed with the grid by gridAt). κ_j
// depends on grid[j−1] and grid[j] only, so past the start of a cycle of
// the grid it repeats with the grid's period.
func (n *next) kink(j int) float64 {
	if n.k1 == nil {
		n.k1 = make([]float64, n.m.cfg.HiddenSize)
		n.m.field(n.s, n.k1, n.sc)
	}
	i1 := n.gridAt(j)
	if n.period == 0 || j < n.cycleAt {
		return n.kinks[j]
	}
	if i0 := n.gridAt(j - 1); i1 == i0+1 {
		return n.kinks[i1]
	}
	return n.kinkCycle // the step into the cycle (or its repeat)
}
