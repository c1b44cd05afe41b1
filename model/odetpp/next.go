package odetpp

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
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
	rho                  []float64
	sizes                []float64
}

func (m *Model) newScratch() *scratch {
	H := m.cfg.HiddenSize
	buf := make([]float64, 7*H)
	vec := func(i int) []float64 { return buf[i*H : (i+1)*H : (i+1)*H] }
	sc := &scratch{a: vec(0), k1: vec(1), k2: vec(2), k3: vec(3), k4: vec(4), y: vec(5), rho: vec(6)}
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
	for j, v := range a {
		a[j] = math.Tanh(v)
	}
	out = out[:H]
	copy(out, m.b2.Value)
	impl.Dgemv(blas.Trans, H, H, 1, m.w2.Value, H, a, 1, 1, out, 1)
	h, rho := h[:H], sc.rho[:H]
	for j, v := range out {
		out[j] = math.Tanh(v) - rho[j]*math.Tanh(h[j])
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
	y := sc.y
	m.field(dst, sc.k1, sc)
	for j := range y {
		y[j] = dst[j] + s/2*sc.k1[j]
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
		dst[j] += s / 6 * (sc.k1[j] + 2*sc.k2[j] + 2*sc.k3[j] + sc.k4[j])
	}
}

// solve writes into dst the state at offset dt from h by the RK4 steps of
// Config.stepSizes(dt), the discretisation of the likelihood.
func (m *Model) solve(h state, dt float64, dst []float64, sc *scratch) {
	copy(dst, h)
	for _, s := range m.cfg.stepSizes(dt, sc.sizes[:0]) {
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
	s := m.cache.State(seq, i, m.fingerprint(), m.initialState, m.advance)
	return &next{m: m, s: s, h: make([]float64, m.cfg.HiddenSize), sc: m.newScratch()}
}

// next evaluates the discretised intensity after one history. Offsets past
// Steps·MaxStep reuse the states on the MaxStep grid, computed once
// (grid[j] is the state j grid steps after the last event), so each
// evaluation costs at most Steps RK4 steps after the first.
type next struct {
	m    *Model
	s    state
	h    []float64
	sc   *scratch
	grid [][]float64
}

func (n *next) NumTypes() int { return n.m.k }

// Intensities writes λ_k(t_last + dt) into out.
func (n *next) Intensities(dt float64, out []float64) {
	m := n.m
	c := m.cfg
	if !(dt > float64(c.Steps)*c.MaxStep) {
		m.solve(n.s, dt, n.h, n.sc)
		m.head(n.h, out)
		return
	}
	k, r := gridSplit(dt, c.MaxStep)
	if n.grid == nil {
		n.grid = [][]float64{append([]float64(nil), n.s...)}
	}
	for len(n.grid) <= k {
		g := append([]float64(nil), n.grid[len(n.grid)-1]...)
		m.rk4(g, c.MaxStep, n.sc)
		n.grid = append(n.grid, g)
	}
	copy(n.h, n.grid[k])
	if r > 0 {
		m.rk4(n.h, r, n.sc)
	}
	m.head(n.h, out)
}

// head writes softplus_β(h·W + b) into out.
func (m *Model) head(h, out []float64) {
	affine(m.wout.Value, m.bout.Value, h, out, m.k)
	for k, z := range out {
		beta := math.Exp(m.logBeta.Value[k])
		out[k] = engine.Softplus(beta*z) / beta
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
