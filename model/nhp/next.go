package nhp

import (
	"iter"
	"math"
	"sync"

	"gonum.org/v1/gonum/floats"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/predict"
)

// state is the cell state after an event (or after the beginning-of-stream
// event): c, c̄, δ and o, each H wide, in one slice.
type state []float64

// initialState is the state after the beginning-of-stream event.
func (m *Model) initialState() state {
	H := m.cfg.HiddenSize
	s := make(state, 4*H)
	zero := make([]float64, H)
	m.cellScalar(s, m.k, zero, zero, zero)
	return s
}

// cellScalar writes into dst the state after an event of embedding row k,
// given the decayed h(t⁻), c(t⁻) and the previous target c̄. It is the
// scalar counterpart of ctCell.
func (m *Model) cellScalar(dst state, k int, h, c, cbar []float64) {
	H := m.cfg.HiddenSize
	G := numGates * H
	w := getScratch(G + H)
	defer scratchPool.Put(w)
	z, zt := w.v[:G], w.v[G:G+H]
	copy(z, m.bx.Value)
	e := m.emb.Value[k*H : (k+1)*H]
	for d := 0; d < H; d++ {
		if ev := e[d]; ev != 0 {
			floats.AddScaled(z, ev, m.wx.Value[d*G:(d+1)*G])
		}
		if hv := h[d]; hv != 0 {
			floats.AddScaled(z, hv, m.wh.Value[d*G:(d+1)*G])
		}
	}
	gate := func(g int) []float64 { return z[g*H : (g+1)*H] }
	// Gates I, F, Z, O, IBar, FBar are contiguous: sigmoid all, then the
	// candidate z is recomputed as tanh (tanh is not derived from the
	// sigmoid, to keep its accuracy near 0).
	vecmath.Tanh(zt, gate(gateZ))
	vecmath.Sigmoid(z[:gateD*H], z[:gateD*H])
	cn, cb, dl, og := dst[:H], dst[H:2*H], dst[2*H:3*H], dst[3*H:]
	vecmath.Softplus(dl, gate(gateD))
	fb, ib, f, i := gate(gateFBar), gate(gateIBar), gate(gateF), gate(gateI)
	for j := 0; j < H; j++ {
		cb[j] = fb[j]*cbar[j] + ib[j]*zt[j]
		cn[j] = f[j]*c[j] + i[j]*zt[j]
	}
	copy(og, gate(gateO))
}

// headT returns the output weights transposed, [K, H] row-major, so that
// each intensity's pre-activation is one dot product.
func (m *Model) headT() []float64 {
	H, K := m.cfg.HiddenSize, m.k
	wT := make([]float64, K*H)
	for d := 0; d < H; d++ {
		for k := 0; k < K; k++ {
			wT[k*H+d] = m.wout.Value[d*K+k]
		}
	}
	return wT
}

// linearHead writes h·W + b into out.
func (m *Model) linearHead(h, out []float64) {
	K := m.k
	copy(out, m.bout.Value)
	for d, hv := range h {
		row := m.wout.Value[d*K : (d+1)*K]
		for k, w := range row {
			out[k] += hv * w
		}
	}
}

// decay writes c(t) and h(t) at offset dt after the event that set s.
func (m *Model) decay(s state, dt float64, c, h []float64) {
	H := m.cfg.HiddenSize
	cs, cb, dl, og := s[:H], s[H:2*H], s[2*H:3*H], s[3*H:]
	for j := 0; j < H; j++ {
		v := cb[j] + (cs[j]-cb[j])*math.Exp(-dl[j]*dt)
		c[j] = v
		h[j] = og[j] * math.Tanh(v)
	}
}

// advance returns the state after an event of type k at offset dt from s.
func (m *Model) advance(s state, k int, dt float64) state {
	H := m.cfg.HiddenSize
	w := getScratch(2 * H)
	defer scratchPool.Put(w)
	c, h := w.v[:H], w.v[H:2*H]
	m.decay(s, dt, c, h)
	out := make(state, 4*H)
	m.cellScalar(out, k, h, c, s[H:2*H])
	return out
}

// scratch is a work buffer of the per-event updates, pooled: a sequence's
// states are advanced once per event, and allocating the gate buffers each
// time made a third of a prediction pass's garbage.
type scratch struct{ v []float64 }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// getScratch returns a pooled buffer of at least n values (contents
// undefined); put it back with scratchPool.Put.
func getScratch(n int) *scratch {
	w := scratchPool.Get().(*scratch)
	if cap(w.v) < n {
		w.v = make([]float64, n)
	}
	w.v = w.v[:n]
	return w
}

// NextAfter returns the law of event i of seq given events 0..i−1 (for
// i = 0, the empty history from seq.Start): λ_k(t_{i−1} + dt) for dt ≥ 0.
// The history is encoded once per call (with a small cache of encoded
// prefixes, so that walking a sequence costs O(length) cell updates); the
// returned Next only decays that state. NextAfter is safe for concurrent
// use while the parameters do not change.
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	return m.lawAfter(m.cache.State(seq, i, m.fingerprint(), m.initialState, m.advance))
}

// Laws implements predict.SequenceModel: the state advanced once per
// event, no prefix cache.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	wT := m.headT()
	return predict.StepLaws(seq, m.initialState(), m.advance,
		func(s state) predict.Next { return m.lawWith(s, wT) })
}

// lawAfter is the next-event law after the state s (not modified).
func (m *Model) lawAfter(s state) *next { return m.lawWith(s, m.headT()) }

// lawWith is lawAfter given headT's transposed output weights (shared, not
// modified).
func (m *Model) lawWith(s state, wT []float64) *next {
	H := m.cfg.HiddenSize
	n := &next{m: m, s: s, wT: wT, c: make([]float64, H), h: make([]float64, H), beta: make([]float64, m.k)}
	for k, lb := range m.logBeta.Value {
		n.beta[k] = math.Exp(lb)
	}
	return n
}

type next struct {
	m          *Model
	s          state
	wT         []float64 // output weights, [K, H]
	c, h, beta []float64
}

func (n *next) NumTypes() int { return n.m.k }

// Intensities writes λ_k(t_last + dt) into out.
// The decay and the head run through internal/vecmath's vectorised exp,
// tanh and softplus (the same values as decay and head to a few ulp).
func (n *next) Intensities(dt float64, out []float64) {
	m := n.m
	H := m.cfg.HiddenSize
	cs, cb, dl, og := n.s[:H], n.s[H:2*H], n.s[2*H:3*H], n.s[3*H:4*H]
	c, h := n.c[:H], n.h[:H]
	for j, d := range dl {
		c[j] = -d * dt
	}
	vecmath.Exp(c, c)
	for j, e := range c {
		c[j] = cb[j] + (cs[j]-cb[j])*e
	}
	vecmath.Tanh(h, c)
	for j, o := range og {
		h[j] *= o
	}
	for k, b := range n.beta {
		out[k] = b * (m.bout.Value[k] + floats.Dot(n.wT[k*H:(k+1)*H], h))
	}
	vecmath.Softplus(out, out)
	for k, b := range n.beta {
		out[k] /= b
	}
}

// head writes softplus_β(h·W + b) into out.
func (m *Model) head(h, out []float64) {
	m.linearHead(h, out)
	for k, z := range out {
		beta := math.Exp(m.logBeta.Value[k])
		out[k] = engine.Softplus(beta*z) / beta
	}
}

// fingerprint hashes the parameter values, so that cached prefix encodings
// are dropped when the parameters change (training, loading).
func (m *Model) fingerprint() uint64 {
	vals := make([][]float64, len(m.ps))
	for i, p := range m.ps {
		vals[i] = p.Value
	}
	return predict.Fingerprint(vals...)
}

var _ predict.SequenceModel = (*Model)(nil)
