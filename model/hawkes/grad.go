package hawkes

import (
	"math"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// Grad holds derivatives of a log-likelihood with respect to the
// parameters, flat and row-major: Mu[i], Alpha[i*K+j], Beta[i*K+j]. Beta is
// always K×K; for a model with a scalar β the derivative with respect to the
// shared β is the sum of the Beta entries (BetaScalar).
type Grad struct {
	Mu, Alpha, Beta []float64
}

// NewGrad returns a zero gradient shaped for m.
func (m *Model) NewGrad() *Grad {
	return &Grad{Mu: make([]float64, m.k), Alpha: make([]float64, m.k*m.k), Beta: make([]float64, m.k*m.k)}
}

// Zero clears g.
func (g *Grad) Zero() {
	clear(g.Mu)
	clear(g.Alpha)
	clear(g.Beta)
}

// Add accumulates h into g.
func (g *Grad) Add(h *Grad) {
	for i, v := range h.Mu {
		g.Mu[i] += v
	}
	for i, v := range h.Alpha {
		g.Alpha[i] += v
	}
	for i, v := range h.Beta {
		g.Beta[i] += v
	}
}

// BetaScalar is the derivative with respect to a shared scalar β.
func (g *Grad) BetaScalar() float64 {
	s := 0.0
	for _, v := range g.Beta {
		s += v
	}
	return s
}

// gradWork holds the per-goroutine state buffers of the gradient recursion.
type gradWork struct {
	r, s, e, f []float64
}

func (m *Model) newGradWork() *gradWork {
	n := m.k * m.k
	return &gradWork{r: make([]float64, n), s: make([]float64, n), e: make([]float64, n), f: make([]float64, n)}
}

// LogLikGrad returns the log-likelihood of s under convention c (equal to
// SequenceLogLik(s, c).LogLik) and the number of scored events, and adds
// the gradient of that log-likelihood to g.
func (m *Model) LogLikGrad(s *data.Sequence, c likelihood.Convention, g *Grad) (ll float64, scored int) {
	w, _ := m.work.Get().(*gradWork)
	if w == nil {
		w = m.newGradWork()
	}
	ll, scored = m.logLikGrad(s, c, g, w)
	m.work.Put(w)
	return ll, scored
}

// logLikGrad is the gradient recursion. With R_ij(t) = Σ_{type-j events l
// before t} exp(−β_ij (t−t_l)) and S_ij(t) = Σ (t−t_l) exp(−β_ij (t−t_l)),
// the derivatives of log λ_i(t) are 1/λ_i (μ_i), β_ij R_ij/λ_i (α_ij) and
// α_ij (R_ij − β_ij S_ij)/λ_i (β_ij); S follows S ← e^{−βΔ}(S + Δ R) between
// events. The compensator term of event l of type j over [from, to] is
// α_ij (e^{−β_ij a} − e^{−β_ij b}) with a = max(from−t_l, 0), b = to − t_l.
func (m *Model) logLikGrad(sq *data.Sequence, c likelihood.Convention, g *Grad, w *gradWork) (ll float64, scored int) {
	first, from, to := likelihood.Scope(sq, c)
	n := len(sq.Times)
	k, st := m.k, m.stride
	ns := k
	if !m.scalar {
		ns = k * k
	}
	r, sv := w.r[:ns], w.s[:ns]
	clear(r)
	clear(sv)
	tcur := 0.0
	for e0 := 0; e0 < n; {
		t := sq.Times[e0]
		end := e0 + 1
		for end < n && sq.Times[end] == t {
			end++
		}
		if e0 > 0 {
			dt := t - tcur
			if m.scalar {
				d := math.Exp(-m.beta[0] * dt)
				for j := range r {
					sv[j] = d * (sv[j] + dt*r[j])
					r[j] *= d
				}
			} else {
				for idx := range r {
					d := math.Exp(-m.beta[idx] * dt)
					sv[idx] = d * (sv[idx] + dt*r[idx])
					r[idx] *= d
				}
			}
		}
		tcur = t
		for q := max(e0, first); q < end; q++ {
			ki := sq.Types[q]
			row := ki * k
			rr := r[ki*st : ki*st+k]
			ss := sv[ki*st : ki*st+k]
			lam := m.mu[ki]
			for j, x := range rr {
				lam += m.ab[row+j] * x
			}
			inv := 1 / lam
			ll += math.Log(lam)
			scored++
			g.Mu[ki] += inv
			ga := g.Alpha[row : row+k]
			gb := g.Beta[row : row+k]
			for j, x := range rr {
				b := m.beta[row+j]
				ga[j] += b * x * inv
				gb[j] += m.alpha[row+j] * (x - b*ss[j]) * inv
			}
		}
		for q := e0; q < end; q++ {
			m.addEvent(r, sq.Types[q])
		}
		e0 = end
	}

	// Compensator and its derivatives.
	span := to - from
	if span < 0 {
		span = 0
	}
	comp := m.muSum * span
	for i := range g.Mu {
		g.Mu[i] -= span
	}
	if to > from {
		e, f := w.e[:ns], w.f[:ns]
		clear(e)
		clear(f)
		for l := 0; l < n; l++ {
			tl := sq.Times[l]
			if tl >= to {
				break
			}
			j := sq.Types[l]
			lo, hi := math.Max(from-tl, 0), to-tl
			if m.scalar {
				b := m.beta[0]
				ea, eb := math.Exp(-b*lo), math.Exp(-b*hi)
				e[j] += ea - eb
				f[j] += hi*eb - lo*ea
				continue
			}
			for i := 0; i < k; i++ {
				idx := i*k + j
				b := m.beta[idx]
				ea, eb := math.Exp(-b*lo), math.Exp(-b*hi)
				e[idx] += ea - eb
				f[idx] += hi*eb - lo*ea
			}
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				idx := i*k + j
				sidx := i*st + j
				comp += m.alpha[idx] * e[sidx]
				g.Alpha[idx] -= e[sidx]
				g.Beta[idx] -= m.alpha[idx] * f[sidx]
			}
		}
	}
	return ll - comp, scored
}
