package predict

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Sample draws the next event of n exactly, by inversion of the compensator:
// E ~ Exp(1), dt solves Λ(dt) = E (panels walked until one brackets E, then
// Brent's method; Λ closed-form, from the density, or integrated as in
// Analyze), and the mark is drawn with probability λ_k(dt)/Σλ(dt) (for a
// Density, from its mark probabilities). When Λ stays below E up to
// Options.MaxHorizon (a defective law) it returns dt = +Inf and mark = -1.
// The draws come from rng only, so the same seed gives the same events.
func Sample(n Next, rng *rand.Rand, opts Options) (dt float64, mark int, err error) {
	e, err := newEngine(n, opts)
	if err != nil {
		return 0, -1, err
	}
	return e.sample(rng, rng.ExpFloat64(), false)
}

// Draw reproduces EasyTPP's one-step predictor with num_sample = 1: one
// random waiting time (here drawn exactly by compensator inversion, where
// EasyTPP uses thinning with a heuristic bound) and, as the mark, the argmax
// of the intensities at that time (ties to the lower index; for a Density,
// the argmax of its mark probabilities). Its squared error is about twice
// that of the mean predictor even for the true model. Same conventions as
// Sample for defective laws.
func Draw(n Next, rng *rand.Rand, opts Options) (dt float64, mark int, err error) {
	e, err := newEngine(n, opts)
	if err != nil {
		return 0, -1, err
	}
	return e.sample(rng, rng.ExpFloat64(), true)
}

// sample inverts Λ at level and picks the mark (argmax or drawn).
func (e *engine) sample(rng *rand.Rand, level float64, argmax bool) (float64, int, error) {
	dt, err := e.invert(level)
	if err != nil {
		return 0, -1, err
	}
	if math.IsInf(dt, 1) {
		return dt, -1, nil
	}
	p := e.scr
	if e.mode == dens {
		copy(p, e.d.p)
	} else if _, err := e.intens(dt, p); err != nil {
		return 0, -1, err
	}
	tot := 0.0
	best := 0
	for k, v := range p {
		tot += v
		if v > p[best] {
			best = k
		}
	}
	if argmax {
		return dt, best, nil
	}
	if !(tot > 0) {
		return 0, -1, fmt.Errorf("predict: zero total intensity at the sampled time dt=%g", dt)
	}
	u := rng.Float64() * tot
	acc := 0.0
	for k, v := range p {
		acc += v
		if u < acc {
			return dt, k, nil
		}
	}
	// u landed on the rounding slack at the top: last positive type.
	for k := len(p) - 1; k >= 0; k-- {
		if p[k] > 0 {
			return dt, k, nil
		}
	}
	return dt, best, nil
}
