package odetpp

import (
	"iter"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/predict"
)

// state is the ODE state h just after an event (or h₀).
type state []float64

// scratch holds the work vectors of the scalar solver and the relaxation
// rates ρ = 1 + softplus(a), which depend on the parameters only and are
// computed once per scratch (a scratch must not outlive a parameter
// change: NextAfter and advance make a new one per call).
type scratch struct {
	a, k1, k2, k3, k4, y []float64
	th                   []float64 // tanh(h) inside field
	rho                  []float64
	sizes                []float64
}

func (m *Model) newScratch() *scratch {
	H := m.cfg.HiddenSize
	buf := make([]float64, 8*H)
	vec := func(i int) []float64 { return buf[i*H : (i+1)*H : (i+1)*H] }
	sc := &scratch{a: vec(0), k1: vec(1), k2: vec(2), k3: vec(3), k4: vec(4), y: vec(5), rho: vec(6), th: vec(7)}
	for j, v := range m.relax.Value[:H] {
		sc.rho[j] = 1 + engine.Softplus(v)
	}
	return sc
}

// field writes f(h) = tanh(W₂·tanh(W₁·h + b₁) + b₂) − ρ⊙tanh(h) into out,
// the affine maps as BLAS matrix-vector products.
func (m *Model) field(h, out []float64, sc *scratch) {
	H := m.cfg.HiddenSize
	impl := blas64.Implementation()
	a := sc.a[:H]
	copy(a, m.b1.Value)
	impl.Dgemv(blas.Trans, H, H, 1, m.w1.Value, H, h, 1, 1, a, 1)
	vecmath.Tanh(a, a)
	out = out[:H]
	copy(out, m.b2.Value)
	impl.Dgemv(blas.Trans, H, H, 1, m.w2.Value, H, a, 1, 1, out, 1)
	vecmath.Tanh(out, out)
	th, rho := sc.th[:H], sc.rho[:H]
	vecmath.Tanh(th, h[:H])
	for j, v := range out {
		out[j] = v - rho[j]*th[j]
	}
}

// affine writes x·W + b into out (W is [len(x), len(out)] row-major).
func affine(w, b, x, out []float64, n int) {
	copy(out, b)
	for d, xv := range x {
		if xv == 0 {
			continue
		}
		row := w[d*n : (d+1)*n]
		for j, v := range row {
			out[j] += xv * v
		}
	}
}

// rk4 advances dst in place by one classical RK4 step of size s.
func (m *Model) rk4(dst []float64, s float64, sc *scratch) {
	m.field(dst, sc.k1, sc)
	m.rk4From(dst, s, sc.k1, sc)
}

// rk4From is rk4 with the first slope k1 = f(dst) given (k1 is read
// before dst changes and may be sc.k1 or a cached copy).
func (m *Model) rk4From(dst []float64, s float64, k1 []float64, sc *scratch) {
	y := sc.y
	for j := range y {
		y[j] = dst[j] + s/2*k1[j]
	}
	m.field(y, sc.k2, sc)
	for j := range y {
		y[j] = dst[j] + s/2*sc.k2[j]
	}
	m.field(y, sc.k3, sc)
	for j := range y {
		y[j] = dst[j] + s*sc.k3[j]
	}
	m.field(y, sc.k4, sc)
	for j := range dst {
		dst[j] += s / 6 * (k1[j] + 2*sc.k2[j] + 2*sc.k3[j] + sc.k4[j])
	}
}

// solve writes into dst the state at offset dt from h by the RK4 steps of
// Config.stepSizes(dt), the discretisation of the likelihood.
func (m *Model) solve(h state, dt float64, dst []float64, sc *scratch) {
	copy(dst, h)
	sc.sizes = m.cfg.stepSizes(dt, sc.sizes[:0])
	for _, s := range sc.sizes {
		m.rk4(dst, s, sc)
	}
}

// advance returns the state just after an event of type k at offset dt
// from h.
func (m *Model) advance(h state, k int, dt float64) state {
	H := m.cfg.HiddenSize
	sc := m.newScratch()
	out := make(state, H)
	m.solve(h, dt, out, sc)
	// jump: h ← h + tanh(h·W_g + e_k)
	affine(m.wg.Value, m.emb.Value[k*H:(k+1)*H], out, sc.a, H)
	for j, v := range sc.a {
		out[j] += math.Tanh(v)
	}
	return out
}

func (m *Model) initialState() state { return append(state(nil), m.h0.Value...) }

// NextAfter returns the law of event i of seq given events 0..i−1 (for
// i = 0, the empty history from seq.Start): λ_k(t_{i−1} + dt) for dt ≥ 0,
// the intensity of the discretised state RK4_n(dt)(h(t_{i−1}⁺), dt). The
// history is encoded once per call (with a cache of encoded prefixes); each
// evaluation then only solves from that state. NextAfter is safe for
// concurrent use while the parameters do not change.
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	return m.lawAfter(m.cache.State(seq, i, m.fingerprint(), m.initialState, m.advance))
}

// Laws implements predict.SequenceModel: the state advanced once per
// event, no prefix cache.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	return predict.StepLaws(seq, m.initialState(), m.advance,
		func(s state) predict.Next { return m.lawAfter(s) })
}

// lawAfter is the next-event law after the state s (not modified).
func (m *Model) lawAfter(s state) *next {
	beta := make([]float64, m.k)
	for k, v := range m.logBeta.Value {
		beta[k] = math.Exp(v)
	}
	return &next{m: m, s: s, h: make([]float64, m.cfg.HiddenSize), sc: m.newScratch(), beta: beta}
}

// next evaluates the discretised intensity after one history. Offsets past
// Steps·MaxStep reuse the states on the MaxStep grid, computed once
// (grid[j] is the state j grid steps after the last event), so each
// evaluation costs at most Steps RK4 steps after the first. The first
// slope of the first step from a fixed state is the same for every
// offset, so it is computed once too (k1 for the last event's state,
// gridK1[j] = f(grid[j])): an evaluation costs 4·Steps − 1 field
// evaluations on the Steps-step rule and 3 on the grid, with results
// identical to solving afresh.
type next struct {
	m      *Model
	s      state
	h      []float64
	sc     *scratch
	beta   []float64 // exp(s_k)
	k1     []float64
	grid   [][]float64
	gridK1 [][]float64
}

func (n *next) NumTypes() int { return n.m.k }

// NextBreak implements predict.Breakpointed. The discretised intensity is
// smooth in dt on (0, Steps·MaxStep] (Steps equal steps) and on each grid
// cell (j·MaxStep, (j+1)·MaxStep] beyond (j full steps and a remainder),
// with kinks where the step rule changes: at j·MaxStep for Steps <= j <=
// maxGridSteps (after the last one the remainder step just grows).
func (n *next) NextBreak(dt float64) float64 {
	c := n.m.cfg
	j := math.Floor(dt/c.MaxStep) + 1
	if b := (j - 1) * c.MaxStep; b > dt { // rounding of the division
		j--
	}
	j = max(j, float64(c.Steps))
	for j*c.MaxStep <= dt {
		j++
	}
	if j > maxGridSteps {
		return math.Inf(1)
	}
	return j * c.MaxStep
}

// Intensities writes λ_k(t_last + dt) into out.
func (n *next) Intensities(dt float64, out []float64) {
	m := n.m
	c := m.cfg
	if n.k1 == nil {
		n.k1 = make([]float64, c.HiddenSize)
		m.field(n.s, n.k1, n.sc)
	}
	if !(dt > float64(c.Steps)*c.MaxStep) {
		// the Steps-step rule of solve, the first slope from the cache
		copy(n.h, n.s)
		n.sc.sizes = c.stepSizes(dt, n.sc.sizes[:0])
		for q, s := range n.sc.sizes {
			if q == 0 {
				m.rk4From(n.h, s, n.k1, n.sc)
			} else {
				m.rk4(n.h, s, n.sc)
			}
		}
		m.head(n.h, n.beta, out)
		return
	}
	k, r := gridSplit(dt, c.MaxStep)
	if n.grid == nil {
		n.grid = [][]float64{append([]float64(nil), n.s...)}
		n.gridK1 = [][]float64{n.k1}
	}
	for len(n.grid) <= k {
		last := len(n.grid) - 1
		g := append([]float64(nil), n.grid[last]...)
		m.rk4From(g, c.MaxStep, n.gridK1[last], n.sc)
		gk := make([]float64, c.HiddenSize)
		m.field(g, gk, n.sc)
		n.grid = append(n.grid, g)
		n.gridK1 = append(n.gridK1, gk)
	}
	copy(n.h, n.grid[k])
	if r > 0 {
		m.rk4From(n.h, r, n.gridK1[k], n.sc)
	}
	m.head(n.h, n.beta, out)
}

// head writes softplus_β(h·W + b) into out, with beta[k] = exp(s_k).
func (m *Model) head(h, beta, out []float64) {
	affine(m.wout.Value, m.bout.Value, h, out, m.k)
	for k, z := range out {
		out[k] = engine.Softplus(beta[k]*z) / beta[k]
	}
}

// fingerprint hashes the parameter values, so that cached prefix encodings
// are dropped when the parameters change.
func (m *Model) fingerprint() uint64 {
	vals := make([][]float64, len(m.ps))
	for i, p := range m.ps {
		vals[i] = p.Value
	}
	return predict.Fingerprint(vals...)
}

var (
	_ predict.Breakpointed  = (*next)(nil)
	_ predict.SequenceModel = (*Model)(nil)
)
