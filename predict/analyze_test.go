package predict

import (
	"math"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.15g, want %.15g (|diff| %.3g > %g)", what, got, want, math.Abs(got-want), tol)
	}
}

func TestGaussKronrodRule(t *testing.T) {
	for d := 0; d <= 23; d++ {
		exact := 0.0
		if d%2 == 0 {
			exact = 2 / float64(d+1)
		}
		var k, g float64
		for j := 0; j < nK; j++ {
			v := math.Pow(node[j], float64(d))
			k += wK[j] * v
			g += wG[j] * v
		}
		if d <= 22 {
			near(t, "K15 monomial", k, exact, 1e-14)
		}
		if d <= 13 {
			near(t, "G7 monomial", g, exact, 1e-14)
		}
		if d == 14 && math.Abs(g-exact) < 1e-6 {
			t.Errorf("G7 exact at degree 14: the pair would give no error estimate")
		}
	}
	// cumW integrates degree-14 polynomials from -1 to every node; its last
	// row... every row i equals ∫_{-1}^{x_i} ℓ_j, so Σ_j cumW[i][j]·x_j^d =
	// (x_i^{d+1} - (-1)^{d+1})/(d+1).
	for d := 0; d <= 14; d++ {
		for i := 0; i < nK; i++ {
			s := 0.0
			for j := 0; j < nK; j++ {
				s += cumW[i][j] * math.Pow(node[j], float64(d))
			}
			want := (math.Pow(node[i], float64(d+1)) - math.Pow(-1, float64(d+1))) / float64(d+1)
			near(t, "cumW", s, want, 1e-13)
		}
	}
}

func TestPoissonClosedForm(t *testing.T) {
	rates := []float64{0.5, 1.5, 2}
	for _, n := range []Next{&poisson{rates}, &poissonExact{poisson{rates}}} {
		pr, err := Analyze(n, Options{})
		if err != nil {
			t.Fatal(err)
		}
		near(t, "mean", pr.Mean, 0.25, 1e-9)
		near(t, "median", pr.Median, math.Ln2/4, 1e-12)
		for k, r := range rates {
			near(t, "P(k)", pr.MarkProbs[k], r/4, 1e-9)
		}
		if pr.Mark != 2 || pr.TopK[0] != 2 || pr.TopK[1] != 1 || pr.TopK[2] != 0 {
			t.Errorf("top marks %v (mark %d), want [2 1 0]", pr.TopK, pr.Mark)
		}
		if pr.Defective || pr.TailMass > 1e-12 {
			t.Errorf("defective %v tail %g", pr.Defective, pr.TailMass)
		}
		q, err := Quantile(n, 0.9, Options{})
		if err != nil {
			t.Fatal(err)
		}
		near(t, "q90", q, -math.Log(0.1)/4, 1e-12)
	}
}

func TestExpDecayAgainstFineQuadrature(t *testing.T) {
	base := expDecay{mu: []float64{0.2, 0.1, 0.05}, a: []float64{3, 0.5, 1}, beta: 2.5}
	S := func(x float64) float64 { return math.Exp(-base.lam(x)) }
	T := 400.0 // S(T) = e^{-140}
	// Independent reference: composite Simpson with 2e6 intervals, the
	// steep start handled by splitting at 5.
	fine := func(f func(float64) float64) float64 {
		return simpson(f, 0, 5, 1_000_000) + simpson(f, 5, T, 1_000_000)
	}
	wantMean := fine(S)
	wantMed := bisect(func(x float64) float64 { return base.lam(x) - math.Ln2 }, 0, 100)
	wantP := make([]float64, 3)
	for k := range wantP {
		k := k
		wantP[k] = fine(func(x float64) float64 { return (base.mu[k] + base.a[k]*math.Exp(-base.beta*x)) * S(x) })
	}
	for name, n := range map[string]Next{"numeric": &base, "exact": &expDecayExact{base}} {
		pr, err := Analyze(n, Options{})
		if err != nil {
			t.Fatal(err)
		}
		near(t, name+" mean", pr.Mean, wantMean, 1e-8*wantMean)
		near(t, name+" mean given event", pr.MeanGivenEvent, wantMean, 1e-8*wantMean)
		near(t, name+" median", pr.Median, wantMed, 1e-10)
		sum := 0.0
		for k := range wantP {
			near(t, name+" P(k)", pr.MarkProbs[k], wantP[k], 1e-8)
			sum += pr.MarkProbs[k]
		}
		near(t, name+" ΣP", sum, 1, 1e-8)
		if pr.ErrEst > 1e-6 {
			t.Errorf("%s: error estimate %g", name, pr.ErrEst)
		}
		t.Logf("%s: mean %.12g (ref %.12g) median %.12g evals %d", name, pr.Mean, wantMean, pr.Median, pr.Evals)
	}
}

func TestDefectiveIntensity(t *testing.T) {
	// λ(t) = a e^{-βt} split over two types: Λ(∞) = a/β, S(∞) = e^{-a/β}.
	for _, c := range []struct{ a, beta float64 }{{3, 2}, {1, 2}} {
		base := expDecay{mu: []float64{0, 0}, a: []float64{c.a / 3, 2 * c.a / 3}, beta: c.beta}
		sInf := math.Exp(-c.a / c.beta)
		for name, n := range map[string]Next{"numeric": &base, "exact": &expDecayExact{base}} {
			pr, err := Analyze(n, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !pr.Defective || !math.IsInf(pr.Mean, 1) {
				t.Errorf("%s a=%g: defective %v mean %g, want true, +Inf", name, c.a, pr.Defective, pr.Mean)
			}
			near(t, name+" tail mass", pr.TailMass, sInf, 1e-9)
			near(t, name+" P0", pr.MarkProbs[0], (1-sInf)/3, 1e-9)
			near(t, name+" P1", pr.MarkProbs[1], 2*(1-sInf)/3, 1e-9)
			// Median: Λ(t) = ln 2 -> t = -ln(1 - β ln2 / a)/β when a/β > ln 2.
			if c.a/c.beta > math.Ln2 {
				near(t, name+" median", pr.Median, -math.Log(1-c.beta*math.Ln2/c.a)/c.beta, 1e-10)
			} else if !math.IsInf(pr.Median, 1) {
				t.Errorf("%s: median %g, want +Inf (P(no event) = %g > 1/2)", name, pr.Median, sInf)
			}
			// Conditional law: density a e^{-βt} S(t) / (1 - S∞).
			S := func(x float64) float64 { return math.Exp(-base.lam(x)) }
			wantMean := simpson(func(x float64) float64 { return x * c.a * math.Exp(-c.beta*x) * S(x) }, 0, 60, 2_000_000) / (1 - sInf)
			near(t, name+" mean given event", pr.MeanGivenEvent, wantMean, 1e-8)
			wantMed := bisect(func(x float64) float64 { return (1-S(x))/(1-sInf) - 0.5 }, 0, 60)
			near(t, name+" median given event", pr.MedianGivenEvent, wantMed, 1e-9)
		}
	}
}

// lognormal is a mark-first density model (as IntensityFree, with one
// component): Δt ~ LogNormal(mu, sigma), marks independent of time.
type lognormal struct {
	d      distuv.LogNormal
	marks  []float64
	defect float64 // P(no event): S(t) = defect + (1-defect)·S_LN(t)
}

func (l *lognormal) NumTypes() int { return len(l.marks) }
func (l *lognormal) TimeDensity(dt float64) float64 {
	if dt <= 0 {
		return 0
	}
	return (1 - l.defect) * l.d.Prob(dt)
}
func (l *lognormal) Survival(dt float64) float64 {
	if dt <= 0 {
		return 1
	}
	return l.defect + (1-l.defect)*l.d.Survival(dt)
}
func (l *lognormal) MarkProbs(out []float64) { copy(out, l.marks) }

func TestDensityModel(t *testing.T) {
	ln := &lognormal{d: distuv.LogNormal{Mu: 0.3, Sigma: 0.8}, marks: []float64{0.2, 0.5, 0.3}}
	pr, err := Analyze(FromDensity(ln), Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "lognormal mean", pr.Mean, math.Exp(0.3+0.8*0.8/2), 1e-8)
	near(t, "lognormal median", pr.Median, math.Exp(0.3), 1e-10)
	for k, p := range ln.marks {
		near(t, "P(k)", pr.MarkProbs[k], p, 1e-9)
	}
	if pr.Mark != 1 {
		t.Errorf("mark %d, want 1", pr.Mark)
	}
	// Defective density: 10% of no event.
	ln.defect = 0.1
	pr, err = Analyze(FromDensity(ln), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Defective {
		t.Error("defective density not reported")
	}
	near(t, "density tail mass", pr.TailMass, 0.1, 1e-9)
	near(t, "density mean given event", pr.MeanGivenEvent, math.Exp(0.3+0.8*0.8/2), 1e-8)
	near(t, "density median given event", pr.MedianGivenEvent, math.Exp(0.3), 1e-10)
	// Unconditional median: 0.9·F_LN(t) = 1/2.
	near(t, "density median", pr.Median, ln.d.Quantile(0.5/0.9), 1e-9)
}

// badNext returns a NaN or negative intensity after dt = 1.
type badNext struct{ v float64 }

func (b *badNext) NumTypes() int { return 2 }
func (b *badNext) Intensities(dt float64, out []float64) {
	out[0] = 1
	out[1] = 0
	if dt > 1 {
		out[1] = b.v
	}
}

func TestBadIntensities(t *testing.T) {
	for _, v := range []float64{math.NaN(), -1, math.Inf(1)} {
		_, err := Analyze(&badNext{v}, Options{})
		if err == nil || !strings.Contains(err.Error(), "type 1") {
			t.Errorf("intensity %v: error %v, want one naming type 1", v, err)
		}
	}
	if _, err := Analyze(&poisson{nil}, Options{}); err == nil {
		t.Error("zero types accepted")
	}
	// An intensity that is zero everywhere: nothing ever happens.
	pr, err := Analyze(&poisson{[]float64{0, 0}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Defective || pr.TailMass != 1 || !math.IsInf(pr.Median, 1) || !math.IsNaN(pr.MeanGivenEvent) {
		t.Errorf("zero intensity: %+v", pr)
	}
	rows, err := Sequence(&poisson{[]float64{0, 0}}, &data.Sequence{Times: []float64{1}, Types: []int{0}, End: 1}, Options{Draw: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; !r.Defective || r.Mean != pr.Horizon || r.Median != pr.Horizon || r.DrawDt != pr.Horizon {
		t.Errorf("zero-intensity row %+v, want mean = median = draw = horizon %g", r, pr.Horizon)
	}
	if _, err := Analyze(&expDecay{mu: []float64{1}, a: []float64{1}, beta: 1}, Options{MaxEvals: 20}); err == nil {
		t.Error("MaxEvals not enforced")
	}
}

// step has λ = lo before t0 and hi after, a discontinuity the panels must
// resolve by halving.
type step struct{ lo, hi, t0 float64 }

func (s *step) NumTypes() int { return 2 }
func (s *step) Intensities(dt float64, out []float64) {
	v := s.lo
	if dt >= s.t0 {
		v = s.hi
	}
	out[0], out[1] = v/2, v/2
}

// rayleigh has λ(t) = c·t: zero at the start, rising.
type rayleigh struct{ c float64 }

func (r *rayleigh) NumTypes() int { return 1 }
func (r *rayleigh) Intensities(dt float64, out []float64) {
	out[0] = r.c * dt
}

func TestHardShapesAndScales(t *testing.T) {
	// Step at t0 = 2.3 (not a panel edge) from rate 1 to rate 5: S = e^{-t}
	// before t0, e^{-t0-5(t-t0)} after; mean = 1 - e^{-t0} + e^{-t0}/5;
	// median = ln 2 (< t0).
	pr, err := Analyze(&step{1, 5, 2.3}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "step mean", pr.Mean, 1-math.Exp(-2.3)+math.Exp(-2.3)/5, 1e-8)
	near(t, "step median", pr.Median, math.Ln2, 1e-10)
	t.Logf("step: evals %d", pr.Evals)
	// Rayleigh: Λ = c t²/2, mean √(π/(2c)), median √(2 ln2 / c).
	for _, c := range []float64{1e-6, 1, 1e6} {
		pr, err := Analyze(&rayleigh{c}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		mean := math.Sqrt(math.Pi / (2 * c))
		near(t, "rayleigh mean", pr.Mean, mean, 1e-8*mean)
		near(t, "rayleigh median", pr.Median, math.Sqrt(2*math.Ln2/c), 1e-10*mean)
	}
	// Poisson at very different time scales (raw Taobao-like times).
	for _, scale := range []float64{1e-6, 1e5} {
		pr, err := Analyze(&poisson{[]float64{scale, 3 * scale}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		near(t, "scaled mean", pr.Mean*scale, 0.25, 1e-9)
		near(t, "scaled P1", pr.MarkProbs[1], 0.75, 1e-9)
	}
}

// The panel interpolant's integral (used for Λ between nodes in numeric
// mode) must integrate polynomials of degree <= 14 exactly.
func TestInterpIntegralPolynomial(t *testing.T) {
	coef := []float64{0.3, -1.2, 0.7, 2.1, -0.4, 0.05, 1.3, -0.8, 0.2, 0.9, -0.6, 0.11, 0.45, -0.33, 0.27}
	poly := func(x float64) float64 {
		v := 0.0
		for m := len(coef) - 1; m >= 0; m-- {
			v = v*x + coef[m]
		}
		return v
	}
	anti := func(x float64) float64 {
		v := 0.0
		for m := len(coef) - 1; m >= 0; m-- {
			v = v*x + coef[m]/float64(m+1)
		}
		return v * x
	}
	var c [nK]float64
	for m := 0; m < nK; m++ {
		for j := 0; j < nK; j++ {
			c[m] += legC[m][j] * poly(node[j])
		}
	}
	for _, xi := range []float64{-1, -0.93, -0.5, -0.1, 0, 0.37, 0.8, 0.999, 1} {
		near(t, "∫ interpolant", interpIntegral(&c, xi), anti(xi)-anti(-1), 1e-12)
	}
}

// lognormalMean is lognormal with its closed-form mean (a MeanDensity).
type lognormalMean struct{ lognormal }

func (l *lognormalMean) Mean() float64 { return math.Exp(l.d.Mu + l.d.Sigma*l.d.Sigma/2) }

// TestMeanDensity: the closed-form path (mean given, median by root
// finding) agrees with the quadrature walk over the same density, and with
// the log-normal's own median, for narrow and very wide laws.
func TestMeanDensity(t *testing.T) {
	for _, c := range []struct{ mu, sigma float64 }{{0.3, 0.8}, {-4, 0.1}, {2, 3}, {0, 0}} {
		if c.sigma == 0 {
			continue
		}
		base := lognormal{d: distuv.LogNormal{Mu: c.mu, Sigma: c.sigma}, marks: []float64{0.2, 0.5, 0.3}}
		quad, err := Analyze(FromDensity(&base), Options{})
		if err != nil {
			t.Fatal(err)
		}
		fast, err := Analyze(FromDensity(&lognormalMean{base}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if fast.Evals >= quad.Evals {
			t.Errorf("mu %v sigma %v: closed form used %d evaluations, quadrature %d", c.mu, c.sigma, fast.Evals, quad.Evals)
		}
		near(t, "median vs lognormal", fast.Median, math.Exp(c.mu), 1e-12*math.Exp(c.mu))
		// The walk stops at S = TailTol, which for σ = 3 drops ~1.6e-4 of
		// the mean in the heavy tail; the closed form has no such loss.
		rel := 1e-6
		if c.sigma > 2 {
			rel = 1e-3
		}
		if !quad.Defective {
			near(t, "closed-form mean vs quadrature", fast.Mean, quad.Mean, rel*quad.Mean)
		}
		near(t, "median vs quadrature", fast.Median, quad.MedianGivenEvent, 1e-9*fast.Median)
		for k := range base.marks {
			near(t, "P(k)", fast.MarkProbs[k], quad.MarkProbs[k], 1e-9)
		}
		if fast.Mark != quad.Mark || fast.Defective || fast.TailMass != 0 {
			t.Errorf("mark %d (quadrature %d), defective %v, tail %v", fast.Mark, quad.Mark, fast.Defective, fast.TailMass)
		}
	}
}

// expRise has λ(t) = e^{c+w·t}, w > 0: with c = -1, w = 8 the first panel
// (2/λ(0+) ≈ 5.4 wide) overflows Λ and S, and its error estimate is NaN; the
// panel must be refined, not accepted.
type expRise struct{ c, w float64 }

func (r *expRise) NumTypes() int { return 1 }
func (r *expRise) Intensities(dt float64, out []float64) {
	out[0] = math.Exp(r.c + r.w*dt)
}

func TestOverflowingFirstPanelIsRefined(t *testing.T) {
	r := &expRise{-1, 8}
	pr, err := Analyze(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// S(t) = exp(-A(e^{wt}-1)), A = e^c/w, integrated on a fine grid up to
	// where S < 1e-300.
	a := math.Exp(r.c) / r.w
	s := func(t float64) float64 { return math.Exp(-a * math.Expm1(r.w*t)) }
	want := 0.0
	for lo := 0.0; lo < 1; lo += 0.01 {
		want += quad.Fixed(s, lo, lo+0.01, 20, nil, 0)
	}
	near(t, "mean", pr.Mean, want, 1e-7*want)
	median := math.Log1p(math.Ln2/a) / r.w
	near(t, "median", pr.Median, median, 1e-9*median)
	if math.Abs(pr.MarkProbs[0]-1) > 1e-7 {
		t.Errorf("P(mark 0) = %v, want 1", pr.MarkProbs[0])
	}
}

// stepBrk is step with its jump declared as a breakpoint.
type stepBrk struct{ step }

func (s *stepBrk) NextBreak(dt float64) float64 {
	if dt < s.t0 {
		return s.t0
	}
	return math.Inf(1)
}

// TestBreakpointsEndPanels: a Next that declares its jump as a breakpoint
// gets panels that end there, so the quadrature is exact to rounding on
// each smooth piece, with a fraction of the evaluations the halving needs.
func TestBreakpointsEndPanels(t *testing.T) {
	plain, err := Analyze(&step{1, 5, 2.3}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	brk, err := Analyze(&stepBrk{step{1, 5, 2.3}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mean := 1 - math.Exp(-2.3) + math.Exp(-2.3)/5
	near(t, "mean with breakpoint", brk.Mean, mean, 1e-13)
	near(t, "median with breakpoint", brk.Median, math.Ln2, 1e-13)
	near(t, "P(mark 0) with breakpoint", brk.MarkProbs[0], 0.5, 1e-13)
	if brk.Evals*5 > plain.Evals {
		t.Errorf("%d evaluations with the breakpoint, %d without: want at least 5× fewer", brk.Evals, plain.Evals)
	}
	t.Logf("evaluations: %d with the breakpoint, %d without", brk.Evals, plain.Evals)
}

// dying has λ(t) = a·e^{−c·t} split evenly over two marks: Λ(∞) = a/c, a
// defective law with P(no event) = e^{−a/c}.
type dying struct{ a, c float64 }

func (d *dying) NumTypes() int { return 2 }
func (d *dying) Intensities(dt float64, out []float64) {
	v := d.a * math.Exp(-d.c*dt)
	out[0], out[1] = v/2, v/2
}

// TestDeadIntensityStopsEarly: a law whose intensity dies out is not
// walked to MaxHorizon (1e12/λ(0+)): the walk stops once the geometric
// extrapolation of the remaining Λ, mass and ∫t·f is negligible, and the
// tail mass, mark probabilities and conditional mean are still right.
func TestDeadIntensityStopsEarly(t *testing.T) {
	for _, d := range []*dying{{1, 1}, {3, 0.5}, {0.2, 2}} {
		pr, err := Analyze(d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b := d.a / d.c
		tail := math.Exp(-b)
		if !pr.Defective || math.Abs(pr.TailMass-tail) > 1e-9*tail {
			t.Errorf("a=%g c=%g: defective %v, tail mass %.12g, want %.12g", d.a, d.c, pr.Defective, pr.TailMass, tail)
		}
		near(t, "P(mark 0)", pr.MarkProbs[0], (1-tail)/2, 1e-9)
		// E[Δt | event] = ∫ t·λ(t)·S(t) dt / (1 − e^{−B}) on a fine grid.
		f := func(x float64) float64 {
			return x * d.a * math.Exp(-d.c*x) * math.Exp(-b*(1-math.Exp(-d.c*x)))
		}
		num := 0.0
		for lo := 0.0; lo < 80/d.c; lo += 0.05 / d.c {
			num += quad.Fixed(f, lo, lo+0.05/d.c, 20, nil, 0)
		}
		want := num / (1 - tail)
		near(t, "mean given event", pr.MeanGivenEvent, want, 1e-8*want)
		if pr.Evals > 400 || pr.Horizon > 1e3/d.c {
			t.Errorf("a=%g c=%g: %d evaluations, horizon %g: the walk did not stop early", d.a, d.c, pr.Evals, pr.Horizon)
		}
		t.Logf("a=%g c=%g: %d evaluations, horizon %.3g", d.a, d.c, pr.Evals, pr.Horizon)
	}
}

// dyingExact is dying with its closed-form compensator.
type dyingExact struct{ dying }

func (d *dyingExact) Compensator(dt float64) float64 {
	return d.a / d.c * -math.Expm1(-d.c*dt)
}

// TestClosedCompensatorCatchesMissedSpike: λ = e^{−6}·e^{−8t} lives on a
// scale of 1/8 while the first panel is 2/λ(0+) ≈ 807 wide, so the panel's
// nodes see λ ≈ 0 and its embedded estimate is ≈ 0; the closed-form
// compensator at the panel's end disagrees and forces refinement, so the
// tail mass e^{−Λ(∞)} is right. (Integrating only the nodes would report
// P(no event) = 1 − 1e-14 instead of 0.99969.)
func TestClosedCompensatorCatchesMissedSpike(t *testing.T) {
	d := &dyingExact{dying{math.Exp(-6), 8}}
	pr, err := Analyze(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tail := math.Exp(-d.a / d.c)
	near(t, "tail mass", pr.TailMass, tail, 1e-9)
	near(t, "P(mark 0)", pr.MarkProbs[0], (1-tail)/2, 1e-9)
}
