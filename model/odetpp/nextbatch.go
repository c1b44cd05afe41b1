package odetpp

import (
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/predict"
)

// block holds the [n×H] work blocks of IntensitiesAt: one row per offset.
type block struct {
	n                            int // rows the buffers hold
	y0, y, k1, k2, k3, k4, a, th []float64
	st                           []float64 // step size per row
	z                            []float64 // padded head outputs, [n×kp]
	idx                          []int     // offset index of each row
}

// ensure sizes b for n rows of H (and heads of kp).
func (b *block) ensure(n, H, kp int) {
	if n <= b.n {
		return
	}
	b.z = make([]float64, n*kp)
	buf := make([]float64, 8*n*H)
	v := func(i int) []float64 { return buf[i*n*H : (i+1)*n*H : (i+1)*n*H] }
	b.y0, b.y, b.k1, b.k2, b.k3, b.k4, b.a, b.th = v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7)
	b.st = make([]float64, n)
	b.idx = make([]int, n)
	b.n = n
}

// fieldBlock writes f(x_i) into out_i for the n rows of x ([n×H], row
// major): field applied to every row, each affine map one affineRowsFMA
// call for all rows and each tanh one vecmath call (vecmath and
// affineRowsFMA compute every element the same way wherever it sits, so
// the rows equal field's results bit for bit).
func (m *Model) fieldBlock(x, out []float64, n int, b *block, rho []float64) {
	H := m.cfg.HiddenSize
	nh := n * H
	a := b.a[:nh]
	affineRowsFMA(n, H, H, x[:nh], m.w1.Value, m.b1.Value, a)
	vecmath.Tanh(a, a)
	out = out[:nh]
	affineRowsFMA(n, H, H, a, m.w2.Value, m.b2.Value, out)
	vecmath.Tanh(out, out)
	th := b.th[:nh]
	vecmath.Tanh(th, x[:nh])
	for i := 0; i < n; i++ {
		o, t := out[i*H:(i+1)*H], th[i*H:(i+1)*H]
		for j, v := range o {
			o[j] = v - rho[j]*t[j]
		}
	}
}

// rk4Block advances the n rows of b.y0 in place by one classical RK4 step
// each, row i by b.st[i], from the first slopes in b.k1: rk4From row by
// row, with the same operations in the same order.
func (m *Model) rk4Block(n int, b *block, rho []float64) {
	H := m.cfg.HiddenSize
	// stage writes y = y0 + c_i·k row by row, c_i = frac·st[i] (frac 1/2
	// or 1, so that c_i is rk4From's s/2 or s exactly).
	stage := func(k []float64, half bool) {
		for i := 0; i < n; i++ {
			c := b.st[i]
			if half {
				c /= 2
			}
			y0, y, kr := b.y0[i*H:(i+1)*H], b.y[i*H:(i+1)*H], k[i*H:(i+1)*H]
			for j := range y {
				y[j] = y0[j] + c*kr[j]
			}
		}
	}
	stage(b.k1, true)
	m.fieldBlock(b.y, b.k2, n, b, rho)
	stage(b.k2, true)
	m.fieldBlock(b.y, b.k3, n, b, rho)
	stage(b.k3, false)
	m.fieldBlock(b.y, b.k4, n, b, rho)
	for i := 0; i < n; i++ {
		c := b.st[i] / 6
		y0 := b.y0[i*H : (i+1)*H]
		k1, k2, k3, k4 := b.k1[i*H:(i+1)*H], b.k2[i*H:(i+1)*H], b.k3[i*H:(i+1)*H], b.k4[i*H:(i+1)*H]
		for j := range y0 {
			y0[j] += c * (k1[j] + 2*k2[j] + 2*k3[j] + k4[j])
		}
	}
}

// IntensitiesAt implements predict.BatchIntensities: out[i·K + k] =
// λ_k(t_last + dts[i]), the values Intensities gives at each offset (to
// rounding: the affine maps of the field are matrix products over all the
// offsets instead of one matrix-vector product per offset).
//
// Every offset's state is one or more RK4 steps from a known state with a
// known first slope: Steps steps of dt/Steps from the last event's state
// (dt ≤ Steps·MaxStep), or one step of the remainder r from the grid state
// grid[k] (dt = k·MaxStep + r beyond). The offsets that need steps are
// gathered into one block, rows of the Steps-step rule first; the first
// step is taken for the whole block at once (each row with its own start,
// slope and size), the further steps of the Steps-step rule for its rows.
func (n *next) IntensitiesAt(dts, out []float64) {
	m := n.m
	c := m.cfg
	H, K := c.HiddenSize, m.k
	if n.k1 == nil {
		n.k1 = make([]float64, H)
		m.field(n.s, n.k1, n.sc)
	}
	b := &n.blk
	b.ensure(len(dts), H, n.kp)
	// rows of the Steps-step rule
	ns := 0
	for i, dt := range dts {
		if dt > 0 && !(dt > float64(c.Steps)*c.MaxStep) {
			b.idx[ns], b.st[ns] = i, dt/float64(c.Steps)
			copy(b.y0[ns*H:(ns+1)*H], n.s)
			copy(b.k1[ns*H:(ns+1)*H], n.k1)
			ns++
		}
	}
	// rows on the grid with a remainder step; offsets without any step
	// (dt ≤ 0, or exactly on the grid) are a known state's intensity: its
	// state goes straight into row i of b.y, the heads' input
	nr := ns
	for i, dt := range dts {
		switch {
		case !(dt > 0):
			copy(b.y[i*H:(i+1)*H], n.s)
		case dt > float64(c.Steps)*c.MaxStep:
			k, r := gridSplit(dt, c.MaxStep)
			g := n.gridAt(k)
			if !(r > 0) {
				copy(b.y[i*H:(i+1)*H], n.grid[g])
				continue
			}
			b.idx[nr], b.st[nr] = i, r
			copy(b.y0[nr*H:(nr+1)*H], n.grid[g])
			copy(b.k1[nr*H:(nr+1)*H], n.gridK1[g])
			nr++
		}
	}
	if nr > 0 {
		// b.y is the stages' scratch: keep the step-free rows' states
		var keep []float64
		if nr < len(dts) {
			keep = append(keep, b.y[:len(dts)*H]...)
		}
		rho := n.sc.rho
		m.rk4Block(nr, b, rho)
		for q := 1; q < c.Steps && ns > 0; q++ {
			m.fieldBlock(b.y0, b.k1, ns, b, rho)
			m.rk4Block(ns, b, rho)
		}
		if keep != nil {
			copy(b.y, keep)
		}
		for r := 0; r < nr; r++ {
			i := b.idx[r]
			copy(b.y[i*H:(i+1)*H], b.y0[r*H:(r+1)*H])
		}
	}
	// the heads of all offsets in one product
	kp := n.kp
	affineRowsFMA(len(dts), H, kp, b.y, n.woutP, n.boutP, b.z)
	for i := range dts {
		copy(out[i*K:(i+1)*K], b.z[i*kp:i*kp+K])
	}
	softplusBeta(n.beta, out[:len(dts)*K])
}

var _ predict.BatchIntensities = (*next)(nil)
