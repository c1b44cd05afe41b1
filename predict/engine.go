package predict

import (
	"errors"
	"fmt"
	"math"

	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/likelihood"
)

// Options tune the quadrature and the batch helpers. The zero value gives the
// documented defaults.
type Options struct {
	// Tol is the error allowed per integration panel (default 1e-7): the
	// embedded Gauss-Kronrod estimate |K15 - G7| must be <= Tol for the
	// probability mass integrated on the panel, <= Tol·(panel width) for
	// ∫S, and <= Tol/S(panel start) for the compensator increment. The
	// accumulated estimate is reported in Prediction.ErrEst; with a few dozen
	// panels per prediction the probabilities are accurate to ~1e-6 and the
	// mean to ~1e-6 relative, for smooth intensities (the embedded estimate is
	// pessimistic: on Taxi, RMSE agreed with Tol = 1e-9 to 1e-10).
	Tol float64
	// TailTol ends the integration once S(t) <= TailTol (default 1e-10).
	// The neglected tail of the mean is S(t)·(mean residual life), relative
	// error ~TailTol for tails that are not much heavier than exponential.
	TailTol float64
	// MaxHorizon bounds the integration (time since the last event). When
	// S is still above TailTol there, the law is reported as Defective
	// (a zero-intensity tail, or a tail heavier than the horizon resolves).
	// Default: 1e12 / λ(0+) (1e12 when λ(0+) = 0).
	MaxHorizon float64
	// MaxEvals caps intensity evaluations per prediction (default 2e6).
	MaxEvals int
	// TopK is the number of most probable marks reported (default 3).
	TopK int

	// Convention selects the target events of the batch helpers: under
	// likelihood.Full every event is predicted (event 0 from an empty
	// history starting at seq.Start); under likelihood.EasyTPP event 0 is
	// history only, as in EasyTPP's evaluation.
	Convention likelihood.Convention
	// Draw adds EasyTPP's single-random-draw prediction to every row.
	Draw bool
	// Seed seeds the draws (sequence s uses the PCG stream (Seed, s)).
	Seed uint64
	// Workers is the number of goroutines of Dataset (default 2). Results do
	// not depend on it.
	Workers int
}

func (o Options) resolved() Options {
	if o.Tol <= 0 {
		o.Tol = 1e-7
	}
	if o.TailTol <= 0 {
		o.TailTol = 1e-10
	}
	if o.MaxEvals <= 0 {
		o.MaxEvals = 2_000_000
	}
	if o.TopK <= 0 {
		o.TopK = 3
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	return o
}

// ErrTooManyEvals is returned when a prediction needs more than
// Options.MaxEvals intensity evaluations (typically an intensity with
// discontinuities the panels keep refining, or NaN-free garbage).
var ErrTooManyEvals = errors.New("predict: too many intensity evaluations")

type mode int

const (
	numeric mode = iota // only λ_k: Λ integrated on the fly
	exact               // λ_k and Λ in closed form
	dens                // f, S and mark probabilities
)

type engine struct {
	n    Next
	k    int
	mode mode
	comp Compensated
	d    *densityNext
	o    Options

	lam   [nK][]float64 // λ_k at the nodes of the current panel
	tot   [nK]float64   // Σ_k λ_k (density mode: f)
	lamN  [nK]float64   // Λ at the nodes
	sN    [nK]float64   // S at the nodes
	mass  []float64     // per-type mass of the current panel (K15)
	gmass []float64     // the same by the embedded Gauss rule (G7)
	scr   []float64
	evals int
	h0    float64
	maxH  float64

	closed ClosedForm   // n's closed form, if it has one
	brk    Breakpointed // n's breakpoints, if it has them
	bat    BatchIntensities
	lamAll []float64 // e.lam's backing array, node-major [nK·k]
	// interpLam makes lamAt use the panel's interpolant also when a
	// closed-form compensator exists (Analyze's quantiles: the accepted
	// panel's Λ is already checked against the closed form at its end,
	// and the closed form can cost more than an intensity evaluation);
	// the samplers keep inverting the closed form.
	interpLam bool
	prepared  bool    // prepare has run (mode, h0, maxH set)
	panels    []panel // analyze's walked panels, kept for the next law
	// cur is march's current panel and xs the nodes of intensAt: fields
	// rather than locals, which would escape to the heap at every panel
	// (the panel through march's visit callback, the nodes through the
	// BatchIntensities interface)
	cur panel
	xs  [nK]float64
}

func newEngine(n Next, o Options) (*engine, error) {
	e := &engine{}
	if err := e.reset(n, o.resolved()); err != nil {
		return nil, err
	}
	if err := e.ensurePrepared(); err != nil {
		return nil, err
	}
	return e, nil
}

// ensurePrepared runs prepare if reset skipped it (a ClosedForm Next).
func (e *engine) ensurePrepared() error {
	if e.prepared {
		return nil
	}
	return e.prepare()
}

// reset prepares e for n (o already resolved), reusing e's buffers when the
// number of types allows. A ClosedForm n gets no intensity evaluation here:
// analyze may not need any.
func (e *engine) reset(n Next, o Options) error {
	if n == nil {
		return errors.New("predict: nil Next")
	}
	k := n.NumTypes()
	if k < 1 {
		return fmt.Errorf("predict: Next has %d mark types", k)
	}
	if e.k != k || e.mass == nil {
		buf := make([]float64, (nK+3)*k)
		for j := range e.lam {
			e.lam[j] = buf[j*k : (j+1)*k : (j+1)*k]
		}
		e.mass = buf[nK*k : (nK+1)*k : (nK+1)*k]
		e.gmass = buf[(nK+1)*k : (nK+2)*k : (nK+2)*k]
		e.scr = buf[(nK+2)*k:]
		e.lamAll = buf[:nK*k]
	}
	*e = engine{n: n, k: k, o: o, lam: e.lam, lamAll: e.lamAll, mass: e.mass, gmass: e.gmass, scr: e.scr, panels: e.panels[:0]}
	e.brk, _ = n.(Breakpointed)
	e.bat, _ = n.(BatchIntensities)
	if cf, ok := n.(ClosedForm); ok {
		e.closed = cf
		return nil
	}
	return e.prepare()
}

// prepare sets the mode and the time scale of the first panel (one
// evaluation at 0+).
func (e *engine) prepare() error {
	e.prepared = true
	switch v := e.n.(type) {
	case *densityNext:
		e.mode, e.d = dens, v
		s := 0.0
		for i, p := range v.p {
			if !(p >= 0) || math.IsInf(p, 0) {
				return fmt.Errorf("predict: mark probability [%d] = %v", i, p)
			}
			s += p
		}
		if math.Abs(s-1) > 1e-6 {
			return fmt.Errorf("predict: mark probabilities sum to %v, want 1", s)
		}
	case Compensated:
		e.mode, e.comp = exact, v
	}
	// Time scale from the hazard at 0+.
	var h0 float64
	if e.mode == dens {
		f, s, err := e.densAt(0)
		if err != nil {
			return err
		}
		if s > 0 && f > 0 {
			h0 = 2 * s / f
		}
	} else {
		tot, err := e.intens(0, e.scr)
		if err != nil {
			return err
		}
		if tot > 0 {
			h0 = 2 / tot
		}
	}
	if !(h0 > 0) || math.IsInf(h0, 0) {
		h0 = 1
	}
	e.h0 = h0
	e.maxH = e.o.MaxHorizon
	if e.maxH <= 0 {
		e.maxH = 5e11 * h0 // 1e12 / λ(0+)
	}
	return nil
}

// intens evaluates and checks λ_k(dt), returning the total.
func (e *engine) intens(dt float64, out []float64) (float64, error) {
	e.evals++
	if e.evals > e.o.MaxEvals {
		return 0, fmt.Errorf("%w (%d)", ErrTooManyEvals, e.o.MaxEvals)
	}
	e.n.Intensities(dt, out)
	tot := 0.0
	for k, v := range out {
		if !(v >= 0) || math.IsInf(v, 1) {
			return 0, fmt.Errorf("predict: intensity of type %d at dt=%g is %v (want finite >= 0)", k, dt, v)
		}
		tot += v
	}
	return tot, nil
}

// intensAt evaluates and checks λ_k at the panel's nodes a + r(1+node[j])
// in one BatchIntensities call, filling e.lam and e.tot.
func (e *engine) intensAt(a, r float64) error {
	e.evals += nK
	if e.evals > e.o.MaxEvals {
		return fmt.Errorf("%w (%d)", ErrTooManyEvals, e.o.MaxEvals)
	}
	xs := &e.xs
	for j := range xs {
		xs[j] = a + r*(1+node[j])
	}
	e.bat.IntensitiesAt(xs[:], e.lamAll)
	for j := range xs {
		tot := 0.0
		for k, v := range e.lam[j] {
			if !(v >= 0) || math.IsInf(v, 1) {
				return fmt.Errorf("predict: intensity of type %d at dt=%g is %v (want finite >= 0)", k, xs[j], v)
			}
			tot += v
		}
		e.tot[j] = tot
	}
	return nil
}

func (e *engine) densAt(dt float64) (f, s float64, err error) {
	e.evals++
	if e.evals > e.o.MaxEvals {
		return 0, 0, fmt.Errorf("%w (%d)", ErrTooManyEvals, e.o.MaxEvals)
	}
	f, s = e.d.d.TimeDensity(dt), e.d.d.Survival(dt)
	if !(f >= 0) || math.IsInf(f, 1) {
		return 0, 0, fmt.Errorf("predict: time density at dt=%g is %v (want finite >= 0)", dt, f)
	}
	if !(s >= 0 && s <= 1) {
		return 0, 0, fmt.Errorf("predict: survival at dt=%g is %v (want in [0, 1])", dt, s)
	}
	return f, s, nil
}

func (e *engine) compAt(dt float64) (float64, error) {
	v := e.comp.Compensator(dt)
	if math.IsNaN(v) || v < 0 {
		return 0, fmt.Errorf("predict: compensator at dt=%g is %v (want >= 0)", dt, v)
	}
	return v, nil
}

// panel is the result of one Gauss-Kronrod panel [a, a+h].
type panel struct {
	a, h       float64
	lamA, lamB float64 // Λ at both ends
	intS       float64 // ∫ S over the panel (K15)
	intTF      float64 // ∫ t·f(t) over the panel, f = Σλ_k·S the density
	errS       float64
	errM       float64 // Σ_k |K15 - G7| of ∫ λ_k S
	errLam     float64 // |K15 - G7| of ∫ λ (numeric mode)
	// tot holds Σλ_k at the panel's nodes (numeric and exact modes), and
	// leg, once legendre has run, the Legendre coefficients of their
	// interpolant: Λ inside the panel comes from it without new intensity
	// evaluations. Only the panels a quantile falls in need leg.
	tot    [nK]float64
	leg    [nK]float64
	hasLeg bool
}

// legendre fills p.leg from p.tot (once).
func (p *panel) legendre() {
	if p.hasLeg {
		return
	}
	for m := 0; m < nK; m++ {
		c := 0.0
		for j := 0; j < nK; j++ {
			c += legC[m][j] * p.tot[j]
		}
		p.leg[m] = c
	}
	p.hasLeg = true
}

// evalPanel evaluates the panel [a, a+h] given Λ(a). When withMass is
// false only Λ is computed (for the samplers).
func (e *engine) evalPanel(a, h, lamA float64, withMass bool) (panel, error) {
	p := panel{a: a, h: h, lamA: lamA}
	r := h / 2
	if e.bat != nil && e.mode != dens {
		if err := e.intensAt(a, r); err != nil {
			return p, err
		}
	}
	for j := 0; j < nK && (e.bat == nil || e.mode == dens); j++ {
		x := a + r*(1+node[j])
		if e.mode == dens {
			f, s, err := e.densAt(x)
			if err != nil {
				return p, err
			}
			e.tot[j], e.sN[j] = f, s
			e.lamN[j] = -math.Log(s)
			continue
		}
		tot, err := e.intens(x, e.lam[j])
		if err != nil {
			return p, err
		}
		e.tot[j] = tot
	}
	switch e.mode {
	case numeric, exact:
		// Λ at the nodes from the interpolant of Σλ_k through them. With
		// a closed-form compensator, Λ(b) is exact and its gap to the
		// interpolant's integral is the error estimate; otherwise the
		// Kronrod-Gauss difference is.
		var kv, gv float64
		for j := 0; j < nK; j++ {
			kv += wK[j] * e.tot[j]
			gv += wG[j] * e.tot[j]
			c := 0.0
			for l := 0; l < nK; l++ {
				c += cumW[j][l] * e.tot[l]
			}
			e.lamN[j] = lamA + r*c
			e.sN[j] = -e.lamN[j]
		}
		vecmath.Exp(e.sN[:], e.sN[:]) // S = e^{−Λ} at the nodes
		p.lamB = lamA + r*kv
		p.errLam = abs(r * (kv - gv))
		if e.mode == exact {
			lb, err := e.compAt(a + h)
			if err != nil {
				return p, err
			}
			// Λ(a) is exact too (the previous panel's end), so the
			// interpolant's increment is checked against the exact one.
			p.errLam = abs(p.lamB - lb)
			p.lamB = lb
		}
		p.tot = e.tot
	case dens:
		_, s, err := e.densAt(a + h)
		if err != nil {
			return p, err
		}
		p.lamB = -math.Log(s)
	}
	if !withMass {
		return p, nil
	}
	var ks, gs, tf float64
	for j := 0; j < nK; j++ {
		ks += wK[j] * e.sN[j]
		gs += wG[j] * e.sN[j]
		f := e.tot[j]
		if e.mode != dens {
			f *= e.sN[j]
		}
		tf += wK[j] * (a + r*(1+node[j])) * f
	}
	p.intS, p.errS = r*ks, abs(r*(ks-gs))
	p.intTF = r * tf
	p.errM = 0
	if e.mode == dens {
		for k := 0; k < e.k; k++ {
			var km, gm float64
			for j := 0; j < nK; j++ {
				g := e.d.p[k] * e.tot[j]
				km += wK[j] * g
				gm += wG[j] * g
			}
			e.mass[k] = r * km
			p.errM += abs(r * (km - gm))
		}
		return p, nil
	}
	// ∫λ_k S by both rules, node by node over the types (λ is stored
	// node-major): the Gauss sum only at the Gauss nodes (wG is 0 at the
	// others)
	km, gm := e.mass[:e.k], e.gmass[:e.k]
	clear(km)
	clear(gm)
	for j := 0; j < nK; j++ {
		row := e.lam[j][:len(km)]
		ck := wK[j] * e.sN[j]
		for k, v := range row {
			km[k] += ck * v
		}
		if wG[j] != 0 {
			cg := wG[j] * e.sN[j]
			for k, v := range row {
				gm[k] += cg * v
			}
		}
	}
	for k, v := range km {
		p.errM += abs(r * (v - gm[k]))
		km[k] = r * v
	}
	return p, nil
}

// ratio is the panel error relative to what Options.Tol allows (<= 1 is
// acceptable).
func (e *engine) ratio(p *panel, withMass bool) float64 {
	tol := e.o.Tol
	sA := math.Exp(-p.lamA)
	r := p.errLam * sA / tol
	if withMass {
		r = math.Max(r, p.errM/tol)
		r = math.Max(r, p.errS/(tol*p.h))
	}
	return r
}

// march walks panels from dt = 0 until stop(panel) is true, S falls below
// TailTol (when withMass) or MaxHorizon is passed. Panels are halved until
// their error is acceptable (or too narrow to halve) and doubled when the
// error is far below the tolerance. visit sees every accepted panel, with
// e.mass filled when withMass.
func (e *engine) march(withMass bool, visit func(p *panel) (stop bool)) (end float64, lamEnd float64, reachedMax bool, err error) {
	t, lam, h := 0.0, 0.0, e.h0
	for {
		if t >= e.maxH {
			return t, lam, true, nil
		}
		// A panel ends at the next breakpoint of a Breakpointed Next
		// (the planned width h is kept for the panels after it).
		w, next := h, t+h
		if e.brk != nil {
			if b := e.brk.NextBreak(t); b > t && b < next {
				w, next = b-t, b
			}
		}
		var err error
		e.cur, err = e.evalPanel(t, w, lam, withMass)
		if err != nil {
			return t, lam, false, err
		}
		p := &e.cur
		r := e.ratio(p, withMass)
		if !(r <= 1) && w > 1e-13*math.Max(t, e.h0) { // NaN (overflowed panel) too
			h = w / 2
			continue
		}
		if p.lamB < lam {
			p.lamB = lam // Λ is non-decreasing; guard rounding
		}
		if visit(p) {
			return next, p.lamB, false, nil
		}
		t = next
		lam = p.lamB
		if withMass && math.Exp(-lam) <= e.o.TailTol {
			return t, lam, false, nil
		}
		if f := stepFactor(r, 0.5, 4); w < h {
			h = max(h, w*f) // cut at a breakpoint: keep the planned width
		} else {
			h = w * f
		}
	}
}

// stepFactor is the factor of the next panel width after a panel whose error
// was r times the tolerance, clamped to [lo, hi]: the embedded estimate of a
// smooth integrand falls like (width)^q with q ≈ 14 for the 7-point Gauss
// rule; q = 8 and the safety factor 0.8 keep rejections rare when the
// integrand changes character (a rise of the intensity, the tail).
func stepFactor(r, lo, hi float64) float64 {
	if !(r > 0) {
		return hi
	}
	return min(hi, max(lo, 0.8*math.Pow(r, -1.0/8)))
}

// lamAt is Λ(x) for x inside the accepted panel p.
func (e *engine) lamAt(p *panel, x float64) (float64, error) {
	switch {
	case e.mode == exact && !e.interpLam:
		return e.compAt(x)
	case e.mode == dens:
		_, s, err := e.densAt(x)
		return -math.Log(s), err
	}
	if x <= p.a {
		return p.lamA, nil
	}
	// Integrate the panel's interpolant of Σλ_k (the same polynomial that
	// gave Λ at the nodes and was accepted by the error test): no new
	// intensity evaluations.
	r := p.h / 2
	xi := min((x-p.a)/r-1, 1)
	p.legendre()
	return max(p.lamA+r*interpIntegral(&p.leg, xi), p.lamA), nil
}

// solveLam finds x in panel p with Λ(x) = target (Λ(a) < target <= Λ(b)) by
// Brent's method.
func (e *engine) solveLam(p *panel, target float64) (float64, error) {
	f := func(x float64) (float64, error) {
		v, err := e.lamAt(p, x)
		return v - target, err
	}
	fa := p.lamA - target
	fb := p.lamB - target
	if fb < 0 {
		fb = 0 // rounding at the bracket end
	}
	xtol := 1e-14*(p.a+p.h) + 1e-300
	return brent(f, p.a, p.a+p.h, fa, fb, xtol, 200)
}

// brent finds a root of f in [a, b] given f(a)·f(b) <= 0 with Brent's
// method (inverse quadratic interpolation or secant steps, falling back to
// bisection whenever they do not shrink the bracket fast enough).
func brent(f func(float64) (float64, error), a, b, fa, fb, xtol float64, maxIter int) (float64, error) {
	if fa == 0 {
		return a, nil
	}
	if fb == 0 {
		return b, nil
	}
	if fa*fb > 0 {
		return 0, fmt.Errorf("predict: root not bracketed in [%g, %g] (f = %g, %g)", a, b, fa, fb)
	}
	if abs(fa) < abs(fb) {
		a, b, fa, fb = b, a, fb, fa
	}
	c, fc := a, fa
	d := 0.0
	bisected := true
	for it := 0; it < maxIter; it++ {
		if fb == 0 || abs(b-a) <= xtol {
			return b, nil
		}
		var s float64
		if fa != fc && fb != fc {
			s = a*fb*fc/((fa-fb)*(fa-fc)) + b*fa*fc/((fb-fa)*(fb-fc)) + c*fa*fb/((fc-fa)*(fc-fb))
		} else {
			s = b - fb*(b-a)/(fb-fa)
		}
		lo, hi := (3*a+b)/4, b
		if lo > hi {
			lo, hi = hi, lo
		}
		if !(s > lo && s < hi) ||
			(bisected && abs(s-b) >= abs(b-c)/2) ||
			(!bisected && abs(s-b) >= abs(c-d)/2) ||
			(bisected && abs(b-c) < xtol) ||
			(!bisected && abs(c-d) < xtol) {
			s = (a + b) / 2
			bisected = true
		} else {
			bisected = false
		}
		fs, err := f(s)
		if err != nil {
			return 0, err
		}
		d, c, fc = c, b, fb
		if fa*fs < 0 {
			b, fb = s, fs
		} else {
			a, fa = s, fs
		}
		if abs(fa) < abs(fb) {
			a, b, fa, fb = b, a, fb, fa
		}
	}
	return b, nil
}
