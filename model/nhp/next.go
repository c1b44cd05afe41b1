package nhp

import (
	"iter"
	"math"

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
	z := make([]float64, G)
	copy(z, m.bx.Value)
	e := m.emb.Value[k*H : (k+1)*H]
	for d := 0; d < H; d++ {
		if ev := e[d]; ev != 0 {
			row := m.wx.Value[d*G : (d+1)*G]
			for j, w := range row {
				z[j] += ev * w
			}
		}
		if hv := h[d]; hv != 0 {
			row := m.wh.Value[d*G : (d+1)*G]
			for j, w := range row {
				z[j] += hv * w
			}
		}
	}
	cn, cb, dl, og := dst[:H], dst[H:2*H], dst[2*H:3*H], dst[3*H:]
	for j := 0; j < H; j++ {
		zt := math.Tanh(z[gateZ*H+j])
		cb[j] = engine.Sigmoid(z[gateFBar*H+j])*cbar[j] + engine.Sigmoid(z[gateIBar*H+j])*zt
		cn[j] = engine.Sigmoid(z[gateF*H+j])*c[j] + engine.Sigmoid(z[gateI*H+j])*zt
		dl[j] = engine.Softplus(z[gateD*H+j])
		og[j] = engine.Sigmoid(z[gateO*H+j])
	}
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
	c, h := make([]float64, H), make([]float64, H)
	m.decay(s, dt, c, h)
	out := make(state, 4*H)
	m.cellScalar(out, k, h, c, s[H:2*H])
	return out
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
	return func(yield func(int, predict.Next) bool) {
		s := m.initialState()
		prev := seq.Start
		for i := 0; ; i++ {
			if !yield(i, m.lawAfter(s)) || i == seq.Len() {
				return
			}
			s = m.advance(s, seq.Types[i], seq.Times[i]-prev)
			prev = seq.Times[i]
		}
	}
}

// lawAfter is the next-event law after the state s (not modified).
func (m *Model) lawAfter(s state) *next {
	H := m.cfg.HiddenSize
	n := &next{m: m, s: s, c: make([]float64, H), h: make([]float64, H), beta: make([]float64, m.k)}
	for k, lb := range m.logBeta.Value {
		n.beta[k] = math.Exp(lb)
	}
	return n
}

type next struct {
	m          *Model
	s          state
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
	m.linearHead(h, out)
	for k, b := range n.beta {
		out[k] *= b
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
