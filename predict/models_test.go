package predict

import (
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/data"
)

// Test-only models. None of them is used by the package itself.

// poisson has constant marked rates.
type poisson struct{ rates []float64 }

func (p *poisson) NumTypes() int                         { return len(p.rates) }
func (p *poisson) Intensities(dt float64, out []float64) { copy(out, p.rates) }

// poissonExact adds the closed-form compensator.
type poissonExact struct{ poisson }

func (p *poissonExact) Compensator(dt float64) float64 {
	s := 0.0
	for _, r := range p.rates {
		s += r
	}
	return s * dt
}

func (p *poisson) NextAfter(*data.Sequence, int) Next { return p }

// expDecay has λ_k(t) = mu_k + a_k e^{-βt}; without Compensator, so the
// package integrates it numerically.
type expDecay struct {
	mu, a []float64
	beta  float64
}

func (m *expDecay) NumTypes() int { return len(m.mu) }
func (m *expDecay) Intensities(dt float64, out []float64) {
	e := math.Exp(-m.beta * dt)
	for k := range out {
		out[k] = m.mu[k] + m.a[k]*e
	}
}

// closed form of the compensator: M t + (A/β)(1 - e^{-βt}).
func (m *expDecay) lam(t float64) float64 {
	var M, A float64
	for k := range m.mu {
		M += m.mu[k]
		A += m.a[k]
	}
	return M*t + A/m.beta*(-math.Expm1(-m.beta*t))
}

type expDecayExact struct{ expDecay }

func (m *expDecayExact) Compensator(dt float64) float64 { return m.lam(dt) }

// hawkes is a multivariate Hawkes process with exponential kernels:
// λ_k(t) = mu_k + Σ_{t_j < t} alpha[k][k_j]·β·e^{-β(t - t_j)}.
type hawkes struct {
	mu    []float64
	alpha [][]float64
	beta  float64
}

func (h *hawkes) NumTypes() int { return len(h.mu) }

// hawkesNext is the law after a history; it has no Compensator method.
type hawkesNext struct {
	h     *hawkes
	times []float64
	types []int
	tLast float64
}

func (h *hawkes) NextAfter(seq *data.Sequence, i int) Next {
	last := seq.Start
	if i > 0 {
		last = seq.Times[i-1]
	}
	return &hawkesNext{h: h, times: seq.Times[:i], types: seq.Types[:i], tLast: last}
}

func (n *hawkesNext) NumTypes() int { return len(n.h.mu) }
func (n *hawkesNext) Intensities(dt float64, out []float64) {
	copy(out, n.h.mu)
	t := n.tLast + dt
	for j, tj := range n.times {
		e := n.h.beta * math.Exp(-n.h.beta*(t-tj))
		for k := range out {
			out[k] += n.h.alpha[k][n.types[j]] * e
		}
	}
}

// compensator in closed form, for the tests only.
func (n *hawkesNext) lam(dt float64) float64 {
	s := 0.0
	for _, m := range n.h.mu {
		s += m * dt
	}
	for j, tj := range n.times {
		w := 0.0
		for k := range n.h.mu {
			w += n.h.alpha[k][n.types[j]]
		}
		s += w * (math.Exp(-n.h.beta*(n.tLast-tj)) - math.Exp(-n.h.beta*(n.tLast+dt-tj)))
	}
	return s
}

// simulateNext draws the next event after the history by Ogata thinning
// (the intensity only decays between events, so λ at the current time
// bounds it until the next proposal). Independent of the package.
func (n *hawkesNext) simulateNext(r *rand.Rand) (float64, int) {
	k := len(n.h.mu)
	buf := make([]float64, k)
	dt := 0.0
	for {
		n.Intensities(dt, buf)
		bound := 0.0
		for _, v := range buf {
			bound += v
		}
		dt += r.ExpFloat64() / bound
		n.Intensities(dt, buf)
		tot := 0.0
		for _, v := range buf {
			tot += v
		}
		if r.Float64()*bound <= tot {
			u := r.Float64() * tot
			for m, v := range buf {
				u -= v
				if u < 0 {
					return dt, m
				}
			}
			return dt, k - 1
		}
	}
}

// simulate draws a whole sequence on [0, T] by Ogata thinning.
func (h *hawkes) simulate(r *rand.Rand, T float64) data.Sequence {
	seq := data.Sequence{Start: 0, End: T}
	for {
		n := h.NextAfter(&seq, len(seq.Times)).(*hawkesNext)
		dt, k := n.simulateNext(r)
		t := n.tLast + dt
		if t > T {
			return seq
		}
		seq.Times = append(seq.Times, t)
		seq.Types = append(seq.Types, k)
	}
}

// simpson integrates f on [a, b] with n (even) intervals.
func simpson(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}

// bisect finds the root of increasing g on [lo, hi].
func bisect(g func(float64) float64, lo, hi float64) float64 {
	for i := 0; i < 200; i++ {
		m := (lo + hi) / 2
		if g(m) < 0 {
			lo = m
		} else {
			hi = m
		}
	}
	return (lo + hi) / 2
}
