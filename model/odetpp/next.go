package odetpp

import (
	"iter"
	"math"

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
// the affine maps by affineRowsFMA (so that fieldBlock, which applies the
// field to many states at once, gives the same values bit for bit).
func (m *Model) field(h, out []float64, sc *scratch) { m.fieldKeep(h, out, sc, nil) }

// fieldKeep is field, and when keep is not nil it also stores the
// activations tanh(W₁·h + b₁), tanh(W₂·… + b₂) and tanh(h) in keep[0..2]
// (for the field's Jacobian, see kinkFromStages).
func (m *Model) fieldKeep(h, out []float64, sc *scratch, keep *[3][]float64) {
	H := m.cfg.HiddenSize
	a := sc.a[:H]
	affineRowsFMA(1, H, H, h, m.w1.Value, m.b1.Value, a)
	vecmath.Tanh(a, a)
	out = out[:H]
	affineRowsFMA(1, H, H, a, m.w2.Value, m.b2.Value, out)
	vecmath.Tanh(out, out)
	th, rho := sc.th[:H], sc.rho[:H]
	vecmath.Tanh(th, h[:H])
	if keep != nil {
		copy(keep[0], a)
		copy(keep[1], out)
		copy(keep[2], th)
	}
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
	m.rk4FromKeep(dst, s, k1, sc, nil)
}

// rk4FromKeep is rk4From, and when keep is not nil it stores the
// activations of the field at the stages y₂, y₃, y₄ in keep[0..2]
// (fieldKeep); the stage slopes k₂, k₃, k₄ are left in sc.
func (m *Model) rk4FromKeep(dst []float64, s float64, k1 []float64, sc *scratch, keep *[3][3][]float64) {
	var kp [3]*[3][]float64
	if keep != nil {
		kp = [3]*[3][]float64{&keep[0], &keep[1], &keep[2]}
	}
	y := sc.y
	for j := range y {
		y[j] = dst[j] + s/2*k1[j]
	}
	m.fieldKeep(y, sc.k2, sc, kp[0])
	for j := range y {
		y[j] = dst[j] + s/2*sc.k2[j]
	}
	m.fieldKeep(y, sc.k3, sc, kp[1])
	for j := range y {
		y[j] = dst[j] + s*sc.k3[j]
	}
	m.fieldKeep(y, sc.k4, sc, kp[2])
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
	// the output layer with its columns padded with zeros to a multiple of
	// 16, for affineRowsFMA's kernel
	H, K := m.cfg.HiddenSize, m.k
	kp := (K + 15) / 16 * 16
	wp := make([]float64, (H+1)*kp+kp)
	for d := 0; d < H; d++ {
		copy(wp[d*kp:d*kp+K], m.wout.Value[d*K:(d+1)*K])
	}
	copy(wp[H*kp:H*kp+K], m.bout.Value)
	return &next{m: m, s: s, h: make([]float64, H), sc: m.newScratch(), beta: beta,
		kp: kp, woutP: wp[:H*kp], boutP: wp[H*kp : (H+1)*kp], zP: wp[(H+1)*kp:]}
}

// next evaluates the discretised intensity after one history. Offsets past
// Steps·MaxStep reuse the states on the MaxStep grid, computed once
// (grid[j] is the state j grid steps after the last event), so each
// evaluation costs at most Steps RK4 steps after the first. The first
// slope of the first step from a fixed state is the same for every
// offset, so it is computed once too (k1 for the last event's state,
// gridK1[j] = f(grid[j])): an evaluation costs 4·Steps − 1 field
// evaluations on the Steps-step rule and 3 on the grid, with results
// identical to solving afresh. IntensitiesAt (nextbatch.go) evaluates
// many offsets at once with the same roundings.
type next struct {
	m      *Model
	s      state
	h      []float64
	sc     *scratch
	beta   []float64 // exp(s_k)
	k1     []float64
	grid   [][]float64
	gridK1 [][]float64
	// the grid is periodic from grid[cycleAt] on, with period period (0:
	// no cycle found yet); see gridAt
	period, cycleAt int
	blk             block     // IntensitiesAt's work blocks
	kw              *kinkWork // kinkFromStages' work vectors
	// kinks[j] = κ_j for the stored grid states, kinkCycle that of the
	// step into the cycle (gridAt, kink)
	kinks     []float64
	kinkCycle float64
	// the output layer, columns padded to kp (see head)
	kp               int
	woutP, boutP, zP []float64
}

func (n *next) NumTypes() int { return n.m.k }

// gridBreak is the smallest offset > dt where the step rule changes
// (+Inf when there is none): the discretised intensity is smooth in dt on
// (0, Steps·MaxStep] (Steps equal steps) and on each grid cell
// (j·MaxStep, (j+1)·MaxStep] beyond (j full steps and a remainder), with
// kinks where the step rule changes: at j·MaxStep for Steps <= j <=
// maxGridSteps (after the last one the remainder step just grows). It
// returns the index j of the break j·MaxStep (maxGridSteps+1 for +Inf).
func (c Config) gridBreak(dt float64) int {
	j := math.Floor(dt/c.MaxStep) + 1
	if b := (j - 1) * c.MaxStep; b > dt { // rounding of the division
		j--
	}
	j = max(j, float64(c.Steps))
	for j*c.MaxStep <= dt {
		j++
	}
	if j > maxGridSteps {
		return maxGridSteps + 1
	}
	return int(j)
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
		n.head(n.h, out)
		return
	}
	k, r := gridSplit(dt, c.MaxStep)
	g := n.gridAt(k)
	copy(n.h, n.grid[g])
	if r > 0 {
		m.rk4From(n.h, r, n.gridK1[g], n.sc)
	}
	n.head(n.h, out)
}

// gridAt returns the index i of the stored grid state equal to grid[k]
// (n.grid[i], n.gridK1[i]), computing the grid up to there once, with the
// kinks κ_j of its grid points (kinkFromStages; n.kinks[j] for the stored
// states j, n.kinkCycle for the step into the cycle). n.k1 must be set.
//
// The grid recursion grid[j+1] = RK4(grid[j]) is deterministic, so once a
// state repeats a recent one bit for bit, grid[j] = grid[j−p], the grid is
// periodic from there on: grid[j+q] = grid[j−p+q] for all q >= 0. Relaxing
// states end in such a cycle (on Taobao after 55–70 steps, p = 1, 2 or 4:
// the fixed point to rounding), so the grid is stored up to the cycle
// only and later states are looked up, bit for bit those that stepping on
// would give, however long the law's horizon.
func (n *next) gridAt(k int) int {
	if n.period > 0 {
		if k >= n.cycleAt {
			return n.cycleAt - n.period + (k-n.cycleAt)%n.period
		}
		return k
	}
	m := n.m
	if n.grid == nil {
		n.grid = [][]float64{append([]float64(nil), n.s...)}
		n.gridK1 = [][]float64{n.k1}
		n.kinks = []float64{0}
	}
	if n.kw == nil {
		n.kw = newKinkWork(m.cfg.HiddenSize, n.kp)
	}
	for len(n.grid) <= k {
		last := len(n.grid) - 1
		g := append([]float64(nil), n.grid[last]...)
		m.rk4FromKeep(g, m.cfg.MaxStep, n.gridK1[last], n.sc, &n.kw.keep)
		for p := 1; p <= maxGridPeriod && p <= last+1; p++ {
			if i := last + 1 - p; sameBits(g, n.grid[i]) {
				n.period, n.cycleAt = p, last+1
				if p > 1 { // p = 1: the same state on both sides, no kink
					n.kinkCycle = n.kinkFromStages(last, i)
				}
				return n.gridAt(k)
			}
		}
		gk := make([]float64, m.cfg.HiddenSize)
		m.field(g, gk, n.sc)
		n.grid = append(n.grid, g)
		n.gridK1 = append(n.gridK1, gk)
		n.kinks = append(n.kinks, n.kinkFromStages(last, last+1))
	}
	return k
}

// maxGridPeriod is the longest cycle of grid states gridAt looks for.
const maxGridPeriod = 8

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) bool {
	for i, v := range a {
		if math.Float64bits(v) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// head writes the intensities softplus_β(h·W + b) of the state h into
// out: Model.head with the affine map by affineRowsFMA on the padded
// output layer (the same values as IntensitiesAt's heads, bit for bit).
func (n *next) head(h, out []float64) {
	K := n.m.k
	affineRowsFMA(1, len(h), n.kp, h, n.woutP, n.boutP, n.zP)
	copy(out[:K], n.zP)
	softplusBeta(n.beta, out[:K])
}

// head writes softplus_β(h·W + b) into out, with beta[k] = exp(s_k).
func (m *Model) head(h, beta, out []float64) {
	affine(m.wout.Value, m.bout.Value, h, out, m.k)
	softplusBeta(beta, out)
}

// softplusBeta replaces each z of the rows of z (rows of len(beta)) by
// softplus(β_k·z)/β_k, the softplus over the whole block in one vecmath
// call (vecmath computes each element the same way wherever it sits in
// the slice, so a row gives the same values alone or in a block).
func softplusBeta(beta, z []float64) {
	K := len(beta)
	for i := 0; i < len(z); i += K {
		row := z[i : i+K]
		for k, v := range row {
			row[k] = beta[k] * v
		}
	}
	vecmath.Softplus(z, z)
	for i := 0; i < len(z); i += K {
		row := z[i : i+K]
		for k, v := range row {
			row[k] = v / beta[k]
		}
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
