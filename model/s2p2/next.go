package s2p2

import (
	"iter"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/predict"
)

// state is the encoded history after an event: for each layer, the state
// just after the event x_l(t_i⁺) ([Re | Im], 2P) and the time scale δ_l of
// the interval it opens (P), in one slice of Layers·3P values.
type state []float64

// scalar evaluation of the layer maps (the counterparts of evolve and mix)

// evolveScalar writes into out the state at offset s: E⊙(x + v) − v with
// E = exp(Λ⊙δ·s); v may be nil.
func (m *Model) evolveScalar(ly *layer, x, dl, v []float64, s float64, out []float64) {
	P := m.cfg.StateSize
	for p := 0; p < P; p++ {
		er, ei := expPair(math.Exp(ly.logNegRe.Value[p]), ly.imag.Value[p], dl[p]*s)
		zr, zi := x[p], x[P+p]
		var vr, vi float64
		if v != nil {
			vr, vi = v[p], v[P+p]
		}
		zr += vr
		zi += vi
		out[p] = er*zr - ei*zi - vr
		out[P+p] = er*zi + ei*zr - vi
	}
}

// mixScalar writes LayerNorm(GELU(x·C + D⊙u) + u)·gain + bias into out; u
// is nil for the first layer.
func (m *Model) mixScalar(ly *layer, x, u, out []float64) {
	H := m.cfg.HiddenSize
	affine(ly.c.Value, nil, x, out, H)
	mean := 0.0
	for j := range out {
		y := out[j]
		if u != nil {
			y += ly.d.Value[j] * u[j]
		}
		a := geluScalar(y)
		if u != nil {
			a += u[j]
		}
		out[j] = a
		mean += a
	}
	mean /= float64(H)
	vr := 0.0
	for j := range out {
		out[j] -= mean
		vr += out[j] * out[j]
	}
	rs := 1 / math.Sqrt(vr/float64(H)+lnEps)
	for j := range out {
		out[j] = out[j]*rs*ly.gain.Value[j] + ly.bias.Value[j]
	}
}

// affine writes x·W (+ b when b is not nil) into out, W [len(x), n].
func affine(w, b, x, out []float64, n int) {
	if b != nil {
		copy(out, b)
	} else {
		clear(out)
	}
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

// deltaScalar writes δ = softplus(u·W_δ + b_δ) into out (u nil: softplus(b_δ)).
func (m *Model) deltaScalar(ly *layer, u, out []float64) {
	P := m.cfg.StateSize
	if u == nil {
		copy(out, ly.bDelta.Value)
	} else {
		affine(ly.wDelta.Value, ly.bDelta.Value, u, out, P)
	}
	for p, z := range out {
		out[p] = engine.Softplus(z)
	}
}

func (m *Model) initialState() state {
	P := m.cfg.StateSize
	s := make(state, len(m.layers)*3*P)
	for l := range m.layers {
		ly := &m.layers[l]
		seg := s[l*3*P : (l+1)*3*P]
		copy(seg[:2*P], ly.x0.Value)
		m.deltaScalar(ly, nil, seg[2*P:])
	}
	return s
}

// advance returns the encoded history after an event of type k at offset
// dt from s: per layer, the left limit (input: the layer below's left
// limit), the jump, and the right-limit input that sets the next δ.
func (m *Model) advance(s state, k int, dt float64) state {
	H, P := m.cfg.HiddenSize, m.cfg.StateSize
	out := make(state, len(s))
	var uM, uP []float64 // inputs of the current layer (nil for the first)
	v := make([]float64, 2*P)
	xm := make([]float64, 2*P)
	imp := make([]float64, 2*P)
	alpha := m.alpha.Value[k*H : (k+1)*H]
	for l := range m.layers {
		ly := &m.layers[l]
		seg, dst := s[l*3*P:(l+1)*3*P], out[l*3*P:(l+1)*3*P]
		var vv []float64
		if uM != nil {
			affine(ly.b.Value, nil, uM, v, 2*P)
			vv = v
		}
		m.evolveScalar(ly, seg[:2*P], seg[2*P:], vv, dt, xm)
		affine(ly.e.Value, nil, alpha, imp, 2*P)
		xp := dst[:2*P]
		for j := range xp {
			xp[j] = xm[j] + imp[j]
		}
		m.deltaScalar(ly, uP, dst[2*P:])
		nM, nP := make([]float64, H), make([]float64, H)
		m.mixScalar(ly, xm, uM, nM)
		m.mixScalar(ly, xp, uP, nP)
		uM, uP = nM, nP
	}
	return out
}

// NextAfter returns the law of event i of seq given events 0..i−1 (for
// i = 0, the empty history from seq.Start): λ_k(t_{i−1} + dt) for dt ≥ 0.
// The history is encoded once per call (with a cache of encoded prefixes);
// each evaluation then only runs the closed-form layer maps at dt.
// NextAfter is safe for concurrent use while the parameters do not change.
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
	H, P := m.cfg.HiddenSize, m.cfg.StateSize
	buf := make([]float64, 2*H+4*P)
	n := &next{m: m, s: s, u: buf[:H:H], u2: buf[H : 2*H : 2*H], v: buf[2*H : 2*H+2*P : 2*H+2*P], x: buf[2*H+2*P:]}
	n.prepare()
	return n
}

// next evaluates the intensity after one history. Everything that does not
// depend on dt (the per-layer rates of the dynamics scaled by the
// interval's δ, the β_k of the output softplus) is computed once, by
// prepare; each evaluation is then the layer maps at dt, with the affine
// maps as BLAS matrix-vector products and GELU through geluFast.
type next struct {
	m     *Model
	s     state
	u, u2 []float64
	v, x  []float64

	// per layer l, P values each at [l·2P, l·2P+P) and [l·2P+P, (l+1)·2P):
	// the decay rate e^{a_p}·δ_p and the frequency ω_p·δ_p of the interval
	rates []float64
	beta  []float64 // β_k = e^{s_k}

	bb *batchBufs // IntensitiesAt's work matrices (batch.go)
}

// prepare fills the dt-independent quantities of n (NextAfter calls it; a
// next built without it prepares itself on its first evaluation).
func (n *next) prepare() {
	m := n.m
	P := m.cfg.StateSize
	n.rates = make([]float64, len(m.layers)*2*P+m.k)
	for l := range m.layers {
		ly := &m.layers[l]
		dl := n.s[l*3*P+2*P : (l+1)*3*P]
		r := n.rates[l*2*P : (l+1)*2*P]
		for p := 0; p < P; p++ {
			r[p] = math.Exp(ly.logNegRe.Value[p]) * dl[p]
			r[P+p] = ly.imag.Value[p] * dl[p]
		}
	}
	n.beta = n.rates[len(m.layers)*2*P:]
	for k := range n.beta {
		n.beta[k] = math.Exp(m.logBeta.Value[k])
	}
}

func (n *next) NumTypes() int { return n.m.k }

// Intensities writes λ_k(t_last + dt) into out.
func (n *next) Intensities(dt float64, out []float64) {
	if n.rates == nil {
		n.prepare()
	}
	m := n.m
	H, P := m.cfg.HiddenSize, m.cfg.StateSize
	impl := blas64.Implementation()
	var u []float64
	x := n.x[:2*P]
	for l := range m.layers {
		ly := &m.layers[l]
		seg := n.s[l*3*P : l*3*P+2*P]
		// x = E⊙(x⁺ + v) − v with v = u·B (zero for the first layer)
		r := n.rates[l*2*P : (l+1)*2*P]
		dec, frq := r[:P], r[P:2*P]
		if u != nil {
			v := n.v[:2*P]
			impl.Dgemv(blas.Trans, H, 2*P, 1, ly.b.Value, 2*P, u, 1, 0, v, 1)
			for p := 0; p < P; p++ {
				e := math.Exp(-dec[p] * dt)
				sn, cs := math.Sincos(frq[p] * dt)
				er, ei := e*cs, e*sn
				vr, vi := v[p], v[P+p]
				zr, zi := seg[p]+vr, seg[P+p]+vi
				x[p] = er*zr - ei*zi - vr
				x[P+p] = er*zi + ei*zr - vi
			}
		} else {
			for p := 0; p < P; p++ {
				e := math.Exp(-dec[p] * dt)
				sn, cs := math.Sincos(frq[p] * dt)
				er, ei := e*cs, e*sn
				zr, zi := seg[p], seg[P+p]
				x[p] = er*zr - ei*zi
				x[P+p] = er*zi + ei*zr
			}
		}
		dst := n.u
		if l%2 == 1 {
			dst = n.u2
		}
		mixFast(impl, ly, x, u, dst[:H])
		u = dst[:H]
	}
	K := m.k
	out = out[:K]
	copy(out, m.bout.Value)
	impl.Dgemv(blas.Trans, H, K, 1, m.wout.Value, K, u, 1, 1, out, 1)
	for k, z := range out {
		b := n.beta[k]
		out[k] = engine.Softplus(b*z) / b
	}
}

// mixFast is mixScalar with the affine map as a BLAS product and GELU
// through geluFast: LayerNorm(GELU(x·C + D⊙u) + u)·gain + bias into out
// (u nil for the first layer).
func mixFast(impl blas.Float64, ly *layer, x, u, out []float64) {
	H := len(out)
	impl.Dgemv(blas.Trans, len(x), H, 1, ly.c.Value, H, x, 1, 0, out, 1)
	mean := 0.0
	if u != nil {
		u = u[:H]
		d := ly.d.Value[:H]
		for j, y := range out {
			a := geluFast(y+d[j]*u[j]) + u[j]
			out[j] = a
			mean += a
		}
	} else {
		for j, y := range out {
			a := geluFast(y)
			out[j] = a
			mean += a
		}
	}
	mean /= float64(H)
	vr := 0.0
	for j, a := range out {
		a -= mean
		out[j] = a
		vr += a * a
	}
	rs := 1 / math.Sqrt(vr/float64(H)+lnEps)
	gain, bias := ly.gain.Value[:H], ly.bias.Value[:H]
	for j, a := range out {
		out[j] = a*rs*gain[j] + bias[j]
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

var _ predict.SequenceModel = (*Model)(nil)
