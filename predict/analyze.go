package predict

import (
	"fmt"
	"math"
	"sort"

	"github.com/gotpp/gotpp/metrics"
)

// Prediction is the next-event distribution of one Next, summarised.
type Prediction struct {
	// Mean is E[Δt] = ∫_0^∞ S(t) dt; +Inf when Defective.
	Mean float64 `json:"mean"`
	// Median solves Λ(t) = ln 2; +Inf when TailMass >= 1/2.
	Median float64 `json:"median"`
	// MeanGivenEvent and MedianGivenEvent are the mean and median of Δt
	// conditioned on an event happening (within the horizon); equal to Mean
	// and Median up to the tolerance when not Defective, NaN when no event
	// can happen at all (TailMass = 1).
	MeanGivenEvent   float64 `json:"mean_given_event"`
	MedianGivenEvent float64 `json:"median_given_event"`
	// MarkProbs[k] = P(next mark = k) = ∫_0^∞ λ_k(t) S(t) dt. They sum to
	// 1 - TailMass.
	MarkProbs []float64 `json:"mark_probs"`
	// Mark is the most probable mark (lowest index on ties).
	Mark int `json:"mark"`
	// TopK are the Options.TopK most probable marks, most probable first,
	// with their probabilities.
	TopK      []int     `json:"topk"`
	TopKProbs []float64 `json:"topk_probs"`
	// TailMass is S at the end of the integration: ~0 (< TailTol) for a
	// proper law; the defect P(no next event) when Defective.
	TailMass float64 `json:"tail_mass"`
	// Defective reports that S(MaxHorizon) > TailTol: the intensity dies out
	// (zero-intensity tail) or the tail is heavier than the horizon resolves.
	Defective bool `json:"defective"`
	// Horizon is where the integration stopped (time since the last event);
	// 0 when no integration was needed (a MeanDensity).
	Horizon float64 `json:"horizon"`
	// ErrEst is the accumulated Gauss-Kronrod error estimate on the
	// probabilities; ErrMean the one on Mean.
	ErrEst  float64 `json:"err_est"`
	ErrMean float64 `json:"err_mean"`
	// Evals is the number of intensity (or density) evaluations used.
	Evals int `json:"evals"`
}

// Analyze computes the next-event distribution of n by adaptive quadrature
// (no sampling): the waiting-time mean and median, the mark probabilities and
// the top marks.
//
// Method: the time axis from the last event is cut into panels, walked left
// to right, starting with width 2/λ(0+). On each panel the intensities are
// evaluated at the 15 Gauss-Kronrod nodes; the compensator Λ at those nodes
// comes from -ln S (Density), or else from integrating the degree-14
// interpolant of Σλ_k through the nodes from the panel start, so that one
// set of evaluations gives Λ, S = e^{-Λ}, ∫S and ∫λ_k S. When the Next is
// Compensated, the closed form gives Λ at the panel ends and its gap to the
// interpolant's integral is the panel's compensator error (one closed-form
// evaluation per panel instead of one per node). A panel whose embedded G7/K15 error estimates exceed
// Options.Tol is halved; one far inside the tolerance lets the next panel
// double. The infinite upper limit is handled by this doubling: the walk
// stops when S <= Options.TailTol, or at Options.MaxHorizon, where a
// survival still above TailTol is reported as a defective law (TailMass,
// Defective) rather than silently renormalised. The median (and any
// quantile) is the root of Λ(t) = -ln(1-p) inside the bracketing panel,
// found by Brent's method.
func Analyze(n Next, opts Options) (Prediction, error) {
	e := &engine{}
	if err := e.reset(n, opts.resolved()); err != nil {
		return Prediction{}, err
	}
	return e.analyze()
}

func (e *engine) analyze() (Prediction, error) {
	if e.closed != nil {
		if law, ok := e.closed.Closed(); ok {
			return e.analyzeLaw(law)
		}
	}
	if err := e.ensurePrepared(); err != nil {
		return Prediction{}, err
	}
	e.interpLam = true
	defer func() { e.interpLam = false }()
	if e.mode == dens {
		if md, ok := e.d.d.(MeanDensity); ok {
			if m := md.Mean(); m >= 0 && !math.IsInf(m, 1) {
				return e.analyzeClosed(m)
			}
		}
	}
	var pr Prediction
	pr.MarkProbs = make([]float64, e.k)
	panels := e.panels[:0] // reused across laws (Dataset's engine is reused)
	defer func() { e.panels = panels[:0] }()
	var mean, tf, errMean, errProb float64
	var died tailWatch
	end, lamEnd, atMax, err := e.march(true, func(p *panel) bool {
		panels = append(panels, *p)
		mean += p.intS
		tf += p.intTF
		errMean += p.errS
		errProb += p.errM + p.errLam*math.Exp(-p.lamA)
		dm := 0.0
		for k := range pr.MarkProbs {
			pr.MarkProbs[k] += e.mass[k]
			dm += e.mass[k]
		}
		if rest, ok := died.add(p, dm, tf, e.o.TailTol); ok {
			errProb += rest
			return true
		}
		return false
	})
	if err != nil {
		return pr, err
	}
	atMax = atMax || died.stopped
	tail := math.Exp(-lamEnd)
	pr.Horizon = end
	pr.TailMass = tail
	pr.ErrEst = errProb
	pr.ErrMean = errMean
	pr.Defective = atMax && tail > e.o.TailTol
	for k, v := range pr.MarkProbs {
		if v < 0 {
			pr.MarkProbs[k] = 0 // quadrature noise on a vanishing mass
		}
	}
	occurred := 1 - tail
	if pr.Defective {
		pr.Mean = math.Inf(1)
		// E[Δt | Δt <= T] = ∫_0^T t f(t) dt / (1 - S(T)), accumulated
		// directly (∫S - T·S(T) would cancel catastrophically).
		pr.MeanGivenEvent = tf / occurred
	} else {
		pr.Mean = mean
		pr.MeanGivenEvent = mean
	}
	if occurred > 0 {
		if pr.MedianGivenEvent, err = e.quantileFromPanels(panels, -math.Log1p(-0.5*occurred)); err != nil {
			return pr, err
		}
	} else {
		// No event can happen (zero intensity throughout): nothing to
		// condition on.
		pr.MeanGivenEvent, pr.MedianGivenEvent = math.NaN(), math.NaN()
	}
	if tail >= 0.5 {
		pr.Median = math.Inf(1)
	} else if pr.Defective {
		if pr.Median, err = e.quantileFromPanels(panels, math.Ln2); err != nil {
			return pr, err
		}
	} else {
		pr.Median = pr.MedianGivenEvent
	}
	return e.finish(pr), nil
}

// finish fills pr's top marks (from MarkProbs) and evaluation count.
func (e *engine) finish(pr Prediction) Prediction {
	pr.TopK = metrics.TopK(pr.MarkProbs, e.o.TopK)
	pr.TopKProbs = make([]float64, len(pr.TopK))
	for i, k := range pr.TopK {
		pr.TopKProbs[i] = pr.MarkProbs[k]
	}
	pr.Mark = pr.TopK[0]
	pr.Evals = e.evals
	return pr
}

// tailWatch stops the walk of a law whose intensity has died out (a
// defective law: Λ(∞) < ∞), which would otherwise be walked to
// Options.MaxHorizon: once three consecutive panels (each at least as wide
// as the one before) have each added at most half of what the previous one
// added to Λ, to the mark probabilities and to ∫t·f, the rest of each is
// extrapolated geometrically (the last increment times q/(1−q), q the
// largest of the last ratios); the walk stops when the extrapolated rest of
// Λ is below TailTol (so S(∞) is known to relative TailTol), that of the
// probabilities below TailTol and that of ∫t·f below TailTol times what was
// accumulated. The extrapolated probability is added to ErrEst. A law
// whose increments do not shrink that way (a proper law, or one with a
// heavy tail) is walked as before.
type tailWatch struct {
	prevLam, prevM, prevTF, prevW float64
	run                           int // consecutive halving panels
	q                             float64
	stopped                       bool
}

func (w *tailWatch) add(p *panel, dm, tf, tol float64) (rest float64, stop bool) {
	dLam, dTF := p.lamB-p.lamA, p.intTF
	shrinks := w.prevW > 0 && p.h >= w.prevW && dLam <= w.prevLam/2 && dm <= w.prevM/2 && dTF <= w.prevTF/2
	if shrinks {
		q := 0.0
		if w.prevLam > 0 {
			q = max(q, dLam/w.prevLam)
		}
		if w.prevM > 0 {
			q = max(q, dm/w.prevM)
		}
		if w.prevTF > 0 {
			q = max(q, dTF/w.prevTF)
		}
		if w.run == 0 {
			w.q = q
		}
		w.q = max(w.q, q)
		w.run++
	} else {
		w.run, w.q = 0, 0
	}
	w.prevLam, w.prevM, w.prevTF, w.prevW = dLam, dm, dTF, p.h
	if w.run < 3 {
		return 0, false
	}
	g := w.q / (1 - w.q)
	if dLam*g <= tol && dm*g <= tol && dTF*g <= tol*tf {
		w.stopped = true
		return dm * g, true
	}
	return 0, false
}

// analyzeClosed is Analyze for a proper density with a closed-form mean:
// the median solves ln S(t) = -ln 2, by Brent's method in u = ln t after
// bracketing outwards from t = mean.
func (e *engine) analyzeClosed(mean float64) (Prediction, error) {
	pr := Prediction{Mean: mean, MeanGivenEvent: mean, MarkProbs: append([]float64(nil), e.d.p...)}
	f := func(u float64) (float64, error) {
		_, s, err := e.densAt(math.Exp(u))
		return -math.Ln2 - math.Log(s), err
	}
	u0 := math.Log(mean)
	if mean == 0 || math.IsInf(u0, 0) {
		u0 = 0
	}
	lo, hi := u0, u0
	flo, err := f(lo)
	if err != nil {
		return pr, err
	}
	fhi := flo
	for step := 0.5; flo > 0; step *= 2 { // S(t) < 1/2: go left
		if step > 1e3 {
			return pr, fmt.Errorf("predict: median of the closed-form density not bracketed below t = %g", math.Exp(lo))
		}
		hi, fhi = lo, flo
		lo -= step
		if flo, err = f(lo); err != nil {
			return pr, err
		}
	}
	for step := 0.5; fhi < 0; step *= 2 { // S(t) > 1/2: go right
		if step > 1e3 {
			return pr, fmt.Errorf("predict: median of the closed-form density not bracketed above t = %g", math.Exp(hi))
		}
		lo, flo = hi, fhi
		hi += step
		if fhi, err = f(hi); err != nil {
			return pr, err
		}
	}
	u, err := brent(f, lo, hi, flo, fhi, 1e-14*max(1, math.Abs(hi)), 200)
	if err != nil {
		return pr, err
	}
	pr.Median = math.Exp(u)
	pr.MedianGivenEvent = pr.Median
	return e.finish(pr), nil
}

// analyzeLaw is Analyze for a ClosedForm Next. A tail mass above
// Options.TailTol makes the law Defective (Mean +Inf), as the quadrature
// would report it; below, the law counts as proper and Mean is the mean
// given an event, as the quadrature's truncated walk gives it.
func (e *engine) analyzeLaw(law ClosedLaw) (Prediction, error) {
	bad := func(name string, v float64) error {
		return fmt.Errorf("predict: closed-form %s is %v", name, v)
	}
	switch {
	case !(law.TailMass >= 0 && law.TailMass < 1):
		return Prediction{}, bad("tail mass", law.TailMass)
	case !(law.MeanGivenEvent >= 0) || math.IsInf(law.MeanGivenEvent, 1):
		return Prediction{}, bad("mean", law.MeanGivenEvent)
	case !(law.MedianGivenEvent >= 0) || math.IsInf(law.MedianGivenEvent, 1):
		return Prediction{}, bad("median", law.MedianGivenEvent)
	case !(law.Median >= 0):
		return Prediction{}, bad("median", law.Median)
	case len(law.MarkProbs) != e.k:
		return Prediction{}, fmt.Errorf("predict: closed-form law has %d mark probabilities, want %d", len(law.MarkProbs), e.k)
	}
	pr := Prediction{
		MeanGivenEvent: law.MeanGivenEvent, MedianGivenEvent: law.MedianGivenEvent,
		Mean: law.MeanGivenEvent, Median: law.Median, TailMass: law.TailMass,
		MarkProbs: append([]float64(nil), law.MarkProbs...),
	}
	for k, v := range pr.MarkProbs {
		if !(v >= 0 && v <= 1) {
			return Prediction{}, bad(fmt.Sprintf("probability of mark %d", k), v)
		}
	}
	if law.TailMass > e.o.TailTol {
		pr.Defective, pr.Mean = true, math.Inf(1)
	}
	return e.finish(pr), nil
}

// quantileFromPanels solves Λ(t) = target within the walked panels.
func (e *engine) quantileFromPanels(panels []panel, target float64) (float64, error) {
	if target <= 0 {
		return 0, nil
	}
	i := sort.Search(len(panels), func(i int) bool { return panels[i].lamB >= target })
	if i == len(panels) {
		return math.Inf(1), nil
	}
	return e.solveLam(&panels[i], target)
}

// Quantile returns the p-quantile of the waiting time of n: the t with
// P(Δt <= t) = p, i.e. Λ(t) = -ln(1-p). It returns +Inf when the law is
// defective with P(no event) >= 1-p (within Options.MaxHorizon).
func Quantile(n Next, p float64, opts Options) (float64, error) {
	if !(p >= 0 && p < 1) {
		return 0, fmt.Errorf("predict: quantile level %v outside [0, 1)", p)
	}
	e, err := newEngine(n, opts)
	if err != nil {
		return 0, err
	}
	return e.invert(-math.Log1p(-p))
}

// invert solves Λ(t) = target by walking panels (Λ only) until one brackets
// it, then Brent's method inside; +Inf when Λ stays below target up to
// MaxHorizon.
func (e *engine) invert(target float64) (float64, error) {
	if target <= 0 {
		return 0, nil
	}
	var hit panel
	found := false
	_, _, _, err := e.march(false, func(p *panel) bool {
		if p.lamB >= target {
			hit, found = *p, true
			return true
		}
		return false
	})
	if err != nil {
		return 0, err
	}
	if !found {
		return math.Inf(1), nil
	}
	return e.solveLam(&hit, target)
}
