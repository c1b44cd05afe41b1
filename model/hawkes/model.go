// Package hawkes holds the multivariate Hawkes process with exponential
// kernels: its parameters and their JSON file, the exact log-likelihood by
// the O(N·K) recursion (O(N·K²) for a K×K decay matrix) split into time and
// mark parts under both likelihood conventions, analytic gradients, maximum
// likelihood fitting (gonum optimize, L-BFGS), the intensity and closed-form
// compensator given a history (for prediction and simulation), and the
// spectral radius of the branching matrix.
//
// The recursion and gradients are hand-written rather than taken from a
// library: no Go library implements the Hawkes likelihood, and the exact
// recursion is what makes fitting fast (one pass over the events per
// evaluation, no quadrature).
//
// Model:
//
//	λ_i(t) = μ_i + Σ_{t_j < t} α_{i,k_j} β_{i,k_j} exp(−β_{i,k_j} (t − t_j))
//
// Only events strictly before t excite λ(t): events sharing a time stamp do
// not excite each other.
package hawkes

import (
	"fmt"
	"math"
	"math/cmplx"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// Model is a compiled, immutable Hawkes process. Build it with New.
type Model struct {
	p      Params
	k      int
	scalar bool
	mu     []float64
	alpha  []float64 // k*k row-major: [target*k + source]
	beta   []float64 // k*k row-major
	ab     []float64 // alpha*beta
	colA   []float64 // Σ_i alpha[i][j], per source j
	colAB  []float64 // Σ_i alpha[i][j]*beta[i][j], per source j
	muSum  float64
	stride int // 0 when beta is scalar (state per source), k otherwise (state per pair)
	work   sync.Pool
}

// New validates p and compiles it into a Model. p is copied.
func New(p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	k := p.K()
	m := &Model{p: p.Clone(), k: k, scalar: p.ScalarBeta}
	m.mu = append([]float64(nil), p.Mu...)
	m.alpha = make([]float64, k*k)
	m.beta = make([]float64, k*k)
	m.ab = make([]float64, k*k)
	m.colA = make([]float64, k)
	m.colAB = make([]float64, k)
	for i := 0; i < k; i++ {
		m.muSum += p.Mu[i]
		for j := 0; j < k; j++ {
			a, b := p.Alpha[i][j], p.Beta[i][j]
			m.alpha[i*k+j] = a
			m.beta[i*k+j] = b
			m.ab[i*k+j] = a * b
			m.colA[j] += a
			m.colAB[j] += a * b
		}
	}
	if !m.scalar {
		m.stride = k
	}
	return m, nil
}

// MustNew is New that panics on invalid parameters (for literals in tests and
// examples).
func MustNew(p Params) *Model {
	m, err := New(p)
	if err != nil {
		panic(err)
	}
	return m
}

// Params returns a copy of the model's parameters.
func (m *Model) Params() Params { return m.p.Clone() }

// NumTypes is K.
func (m *Model) NumTypes() int { return m.k }

// SpectralRadius is the largest modulus of the eigenvalues of the branching
// matrix α. The process is stationary (has finite long-run rates) iff it is
// below 1.
func (m *Model) SpectralRadius() float64 { return SpectralRadius(m.p.Alpha) }

// SpectralRadius is the largest eigenvalue modulus of the square matrix a
// (computed with gonum's mat.Eigen). It returns NaN if the factorisation
// fails.
func SpectralRadius(a [][]float64) float64 {
	k := len(a)
	if k == 0 {
		return 0
	}
	d := mat.NewDense(k, k, nil)
	for i := range a {
		for j := range a[i] {
			d.Set(i, j, a[i][j])
		}
	}
	var e mat.Eigen
	if !e.Factorize(d, mat.EigenNone) {
		return math.NaN()
	}
	r := 0.0
	for _, v := range e.Values(nil) {
		r = math.Max(r, cmplx.Abs(v))
	}
	return r
}

// StationaryRates returns the long-run rates (I − α)⁻¹ μ, or an error when
// the spectral radius is ≥ 1.
func (m *Model) StationaryRates() ([]float64, error) {
	if r := m.SpectralRadius(); !(r < 1) {
		return nil, fmt.Errorf("hawkes: spectral radius %.4g ≥ 1: no stationary rates", r)
	}
	k := m.k
	a := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := -m.alpha[i*k+j]
			if i == j {
				v++
			}
			a.Set(i, j, v)
		}
	}
	var x mat.VecDense
	if err := x.SolveVec(a, mat.NewVecDense(k, append([]float64(nil), m.mu...))); err != nil {
		return nil, err
	}
	return append([]float64(nil), x.RawVector().Data...), nil
}

// State is the exponential-kernel state of a Hawkes process at one time:
// it turns "intensity given the history" into O(K) or O(K²) work per step.
// Events added at the current time count in Intensity (the right limit
// λ(t+)); to get the intensity at an event time from strictly earlier
// events, read it before adding the event.
type State struct {
	m *Model
	t float64
	r []float64 // r[i*stride + j] = Σ_{type-j events} exp(−β_ij (t − t_l))
}

// NewState returns an empty-history state at time t0.
func (m *Model) NewState(t0 float64) *State {
	n := m.k
	if !m.scalar {
		n = m.k * m.k
	}
	return &State{m: m, t: t0, r: make([]float64, n)}
}

// Reset empties the history and moves the state to t0.
func (s *State) Reset(t0 float64) {
	s.t = t0
	clear(s.r)
}

// Clone returns an independent copy.
func (s *State) Clone() *State {
	return &State{m: s.m, t: s.t, r: append([]float64(nil), s.r...)}
}

// Time is the state's current time.
func (s *State) Time() float64 { return s.t }

// Advance moves the state to time t ≥ Time() with no events in between.
// It panics if t is earlier than the current time.
func (s *State) Advance(t float64) {
	dt := t - s.t
	if dt < 0 {
		panic(fmt.Sprintf("hawkes: State.Advance to %v before current time %v", t, s.t))
	}
	if dt > 0 {
		s.m.decay(s.r, dt)
	}
	s.t = t
}

// Add records an event of type k at the current time.
func (s *State) Add(k int) { s.m.addEvent(s.r, k) }

// Intensity writes λ_i(t+) for every type into out (allocated when nil or
// short) and returns it.
func (s *State) Intensity(out []float64) []float64 { return s.m.intensities(s.r, out) }

// TotalIntensity is Σ_i λ_i(t+).
func (s *State) TotalIntensity() float64 { return s.m.totalIntensity(s.r) }

// IntensityAfter writes λ_i(t + dt) assuming no event in (t, t+dt], dt ≥ 0.
func (s *State) IntensityAfter(dt float64, out []float64) []float64 {
	out = grow(out, s.m.k)
	k, st := s.m.k, s.m.stride
	if s.m.scalar {
		d := math.Exp(-s.m.beta[0] * dt)
		for i := 0; i < k; i++ {
			v := 0.0
			ab := s.m.ab[i*k : i*k+k]
			for j, x := range s.r {
				v += ab[j] * x
			}
			out[i] = s.m.mu[i] + d*v
		}
		return out
	}
	for i := 0; i < k; i++ {
		v := s.m.mu[i]
		for j := 0; j < k; j++ {
			idx := i*k + j
			v += s.m.ab[idx] * s.r[i*st+j] * math.Exp(-s.m.beta[idx]*dt)
		}
		out[i] = v
	}
	return out
}

// CompensatorAfter writes ∫_t^{t+dt} λ_i(u) du assuming no event in
// (t, t+dt], dt ≥ 0 (closed form).
func (s *State) CompensatorAfter(dt float64, out []float64) []float64 {
	out = grow(out, s.m.k)
	k, st := s.m.k, s.m.stride
	for i := 0; i < k; i++ {
		v := s.m.mu[i] * dt
		for j := 0; j < k; j++ {
			idx := i*k + j
			v += s.m.alpha[idx] * s.r[i*st+j] * -math.Expm1(-s.m.beta[idx]*dt)
		}
		out[i] = v
	}
	return out
}

// TotalCompensatorAfter is Σ_i ∫_t^{t+dt} λ_i(u) du assuming no event in
// (t, t+dt] (closed form, no allocation).
func (s *State) TotalCompensatorAfter(dt float64) float64 {
	m := s.m
	v := m.muSum * dt
	if m.scalar {
		e := -math.Expm1(-m.beta[0] * dt)
		for j, x := range s.r {
			v += m.colA[j] * x * e
		}
		return v
	}
	for idx, x := range s.r {
		v += m.alpha[idx] * x * -math.Expm1(-m.beta[idx]*dt)
	}
	return v
}

// HistoryState returns the state after events 0..i−1 of seq, at the time of
// event i−1 (seq.Start when i == 0): the conditional law of event i given
// its history. IntensityAfter(dt) and CompensatorAfter(dt) on it give λ and
// Λ at dt after the last history event (with every history event counted,
// ties at that time included). Cost O(i·K) (O(i·K²) for a matrix β).
func (m *Model) HistoryState(seq *data.Sequence, i int) *State {
	if i <= 0 {
		return m.NewState(seq.Start)
	}
	st := m.NewState(seq.Times[0])
	for l := 0; l < i; l++ {
		st.Advance(seq.Times[l])
		st.Add(seq.Types[l])
	}
	return st
}

func grow(out []float64, k int) []float64 {
	if cap(out) < k {
		return make([]float64, k)
	}
	return out[:k]
}

func (m *Model) decay(r []float64, dt float64) {
	if m.scalar {
		d := math.Exp(-m.beta[0] * dt)
		for j := range r {
			r[j] *= d
		}
		return
	}
	for idx := range r {
		r[idx] *= math.Exp(-m.beta[idx] * dt)
	}
}

func (m *Model) addEvent(r []float64, k int) {
	if m.scalar {
		r[k]++
		return
	}
	for i := 0; i < m.k; i++ {
		r[i*m.k+k]++
	}
}

func (m *Model) intensity(r []float64, i int) float64 {
	k, st := m.k, m.stride
	v := m.mu[i]
	ab := m.ab[i*k : i*k+k]
	rr := r[i*st : i*st+k]
	for j, x := range ab {
		v += x * rr[j]
	}
	return v
}

func (m *Model) intensities(r, out []float64) []float64 {
	out = grow(out, m.k)
	for i := 0; i < m.k; i++ {
		out[i] = m.intensity(r, i)
	}
	return out
}

func (m *Model) totalIntensity(r []float64) float64 {
	if m.scalar {
		v := m.muSum
		for j, x := range r {
			v += m.colAB[j] * x
		}
		return v
	}
	v := 0.0
	for i := 0; i < m.k; i++ {
		v += m.intensity(r, i)
	}
	return v
}

// Intensity writes λ_i(t) for every type into out given the events of the
// history (times, types) strictly before t, and returns it. Cost O(N·K).
func (m *Model) Intensity(times []float64, types []int, t float64, out []float64) []float64 {
	out = grow(out, m.k)
	copy(out, m.mu)
	k := m.k
	for l, tl := range times {
		if tl >= t {
			break
		}
		j := types[l]
		for i := 0; i < k; i++ {
			idx := i*k + j
			out[i] += m.ab[idx] * math.Exp(-m.beta[idx]*(t-tl))
		}
	}
	return out
}

// Compensator writes ∫_a^b λ_i(u) du for every type into out, where the
// intensity is driven by the history events (times, types) strictly before
// each u (so events inside [a, b) excite the rest of the interval), and
// returns it. Closed form, cost O(N·K).
func (m *Model) Compensator(times []float64, types []int, a, b float64, out []float64) []float64 {
	out = grow(out, m.k)
	for i := range out {
		out[i] = m.mu[i] * (b - a)
	}
	if b <= a {
		return out
	}
	k := m.k
	for l, tl := range times {
		if tl >= b {
			break
		}
		j := types[l]
		lo := math.Max(a-tl, 0)
		for i := 0; i < k; i++ {
			idx := i*k + j
			out[i] += m.alpha[idx] * (math.Exp(-m.beta[idx]*lo) - math.Exp(-m.beta[idx]*(b-tl)))
		}
	}
	return out
}

// IntensityOnGrid returns λ_i(g) for every grid point g (sorted ascending)
// and type i, given the events of seq strictly before g: rows are types.
func (m *Model) IntensityOnGrid(seq *data.Sequence, grid []float64) [][]float64 {
	out := make([][]float64, m.k)
	for i := range out {
		out[i] = make([]float64, len(grid))
	}
	var st *State
	next := 0
	lam := make([]float64, m.k)
	for g, t := range grid {
		for next < len(seq.Times) && seq.Times[next] < t {
			if st == nil {
				st = m.NewState(seq.Times[next])
			} else {
				st.Advance(seq.Times[next])
			}
			st.Add(seq.Types[next])
			next++
		}
		if st == nil {
			copy(lam, m.mu)
		} else {
			st.IntensityAfter(t-st.t, lam)
		}
		for i := range out {
			out[i][g] = lam[i]
		}
	}
	return out
}

// SequenceLogLik is the exact log-likelihood of one sequence under
// convention c, split into time and mark parts (likelihood.Parts). The
// sequence must be valid for K types (data.Sequence.Validate).
func (m *Model) SequenceLogLik(s *data.Sequence, c likelihood.Convention) likelihood.Parts {
	first, from, to := likelihood.Scope(s, c)
	n := len(s.Times)
	var p likelihood.Parts
	p.NumSeqs = 1
	r := m.newStateBuf()
	k := m.k
	tcur := 0.0
	for e := 0; e < n; {
		t := s.Times[e]
		end := e + 1
		for end < n && s.Times[end] == t {
			end++
		}
		if e > 0 {
			m.decay(r, t-tcur)
		}
		tcur = t
		if end > first {
			tot := m.totalIntensity(r)
			lt := math.Log(tot)
			for q := max(e, first); q < end; q++ {
				lk := math.Log(m.intensity(r, s.Types[q]))
				p.TimeLL += lt
				p.MarkLL += lk - lt
				p.NumEvents++
			}
		}
		for q := e; q < end; q++ {
			m.addEvent(r, s.Types[q])
		}
		e = end
	}
	// Compensator over [from, to].
	comp := m.muSum * (to - from)
	if to > from {
		for l := 0; l < n; l++ {
			tl := s.Times[l]
			if tl >= to {
				break
			}
			j := s.Types[l]
			lo := math.Max(from-tl, 0)
			if m.scalar {
				b := m.beta[0]
				comp += m.colA[j] * (math.Exp(-b*lo) - math.Exp(-b*(to-tl)))
				continue
			}
			for i := 0; i < k; i++ {
				idx := i*k + j
				comp += m.alpha[idx] * (math.Exp(-m.beta[idx]*lo) - math.Exp(-m.beta[idx]*(to-tl)))
			}
		}
	}
	p.TimeLL -= comp
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

func (m *Model) newStateBuf() []float64 {
	if m.scalar {
		return make([]float64, m.k)
	}
	return make([]float64, m.k*m.k)
}
