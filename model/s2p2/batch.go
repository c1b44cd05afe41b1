package s2p2

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/predict"
)

// batchBufs are the work matrices of IntensitiesAt for J offsets, stored
// feature-major (row f, column j: value of feature f at offset j), so that
// each affine map is one product W'ᵀ·Y with the weights W' read in place
// by the matrix product (only the small [·, J] operand is packed) and the
// elementwise maps run over contiguous blocks.
type batchBufs struct {
	j      int
	e, arg []float64 // [P, J]: the decay arguments, then e^{−rate·dt}
	sn, cs []float64 // [P, J]: sin and cos of frequency·dt
	x, v   []float64 // [2P, J]: the layer's state and B·u, [Re | Im]
	u, u2  []float64 // [H, J]: the layer outputs (alternating)
	z      []float64 // [K, J]: output pre-activations
	mean   []float64 // [J]: LayerNorm statistics
	rs     []float64 // [J]
}

func (n *next) bufs(J int) *batchBufs {
	if n.bb != nil && n.bb.j == J {
		return n.bb
	}
	m := n.m
	H, P, K := m.cfg.HiddenSize, m.cfg.StateSize, m.k
	buf := make([]float64, J*(4*P+4*P+2*H+K+2))
	take := func(k int) []float64 {
		s := buf[:k:k]
		buf = buf[k:]
		return s
	}
	b := &batchBufs{j: J, e: take(J * P), arg: take(J * P), sn: take(J * P), cs: take(J * P),
		x: take(J * 2 * P), v: take(J * 2 * P), u: take(J * H), u2: take(J * H), z: take(J * K),
		mean: take(J), rs: take(J)}
	n.bb = b
	return b
}

// IntensitiesAt implements predict.BatchIntensities: the layer maps at
// all the offsets at once, with the affine maps as matrix products over
// [·, J] blocks (blas64's Dgemm: internal/gemm's AVX2 kernel where
// available), the decays e^{−rate·dt} through vecmath.Exp and GELU over
// whole blocks (geluSlice). It is the arithmetic of Intensities up to the
// order of the sums in the products and vecmath.Exp's last bit, so the
// values agree to rounding (TestIntensitiesAtMatchesScalar).
func (n *next) IntensitiesAt(dts []float64, out []float64) {
	if n.rates == nil {
		n.prepare()
	}
	m := n.m
	H, P, K, J := m.cfg.HiddenSize, m.cfg.StateSize, m.k, len(dts)
	if J == 0 {
		return
	}
	b := n.bufs(J)
	impl := blas64.Implementation()
	var u []float64 // [H, J], nil for the first layer
	for l := range m.layers {
		ly := &m.layers[l]
		seg := n.s[l*3*P : l*3*P+2*P]
		r := n.rates[l*2*P : (l+1)*2*P]
		dec, frq := r[:P], r[P:2*P]
		for p, d := range dec {
			a := b.arg[p*J : (p+1)*J]
			sn, cs := b.sn[p*J:(p+1)*J], b.cs[p*J:(p+1)*J]
			f := frq[p]
			for j, dt := range dts {
				a[j] = -d * dt
				sn[j], cs[j] = math.Sincos(f * dt)
			}
		}
		vecmath.Exp(b.e, b.arg)
		if u != nil {
			// Vᵀ = Bᵀ·Uᵀ with B [H, 2P]
			impl.Dgemm(blas.Trans, blas.NoTrans, 2*P, J, H, 1, ly.b.Value, 2*P, u, J, 0, b.v, J)
		}
		// x = E⊙(x⁺ + v) − v, E = e^{−rate·dt}(cos + i sin)
		for p := 0; p < P; p++ {
			e, sn, cs := b.e[p*J:(p+1)*J], b.sn[p*J:(p+1)*J], b.cs[p*J:(p+1)*J]
			xr, xi := b.x[p*J:(p+1)*J], b.x[(P+p)*J:(P+p+1)*J]
			sr, si := seg[p], seg[P+p]
			if u != nil {
				vr, vi := b.v[p*J:(p+1)*J], b.v[(P+p)*J:(P+p+1)*J]
				for j := range xr {
					er, ei := e[j]*cs[j], e[j]*sn[j]
					zr, zi := sr+vr[j], si+vi[j]
					xr[j] = er*zr - ei*zi - vr[j]
					xi[j] = er*zi + ei*zr - vi[j]
				}
			} else {
				for j := range xr {
					er, ei := e[j]*cs[j], e[j]*sn[j]
					xr[j] = er*sr - ei*si
					xi[j] = er*si + ei*sr
				}
			}
		}
		dst := b.u
		if l%2 == 1 {
			dst = b.u2
		}
		// pre-activations Cᵀ·Xᵀ with C [2P, H], then GELU, residual and
		// LayerNorm per column
		impl.Dgemm(blas.Trans, blas.NoTrans, H, J, 2*P, 1, ly.c.Value, H, b.x, J, 0, dst, J)
		mixPostCols(ly, u, dst, J, b.mean, b.rs)
		u = dst
	}
	// Zᵀ = W_outᵀ·Uᵀ + b_out with W_out [H, K]
	z := b.z
	for k := 0; k < K; k++ {
		row := z[k*J : (k+1)*J]
		for j := range row {
			row[j] = m.bout.Value[k]
		}
	}
	impl.Dgemm(blas.Trans, blas.NoTrans, K, J, H, 1, m.wout.Value, K, u, J, 1, z, J)
	out = out[:J*K]
	for k := 0; k < K; k++ {
		bk := n.beta[k]
		for j, v := range z[k*J : (k+1)*J] {
			out[j*K+k] = engine.Softplus(bk*v) / bk
		}
	}
}

// mixPostCols is mixFast after its matrix product, on each column of the
// feature-major block out [H, J] (holding x·C): LayerNorm(GELU(out + D⊙u)
// + u)·gain + bias, with u [H, J] nil for the first layer; mean and rs are
// [J] scratch.
func mixPostCols(ly *layer, u, out []float64, J int, mean, rs []float64) {
	H := len(out) / J
	if u != nil {
		for h, d := range ly.d.Value[:H] {
			o, uh := out[h*J:(h+1)*J], u[h*J:(h+1)*J]
			for j := range o {
				o[j] += d * uh[j]
			}
		}
	}
	geluSlice(out)
	clear(mean)
	for h := 0; h < H; h++ {
		o := out[h*J : (h+1)*J]
		if u != nil {
			uh := u[h*J : (h+1)*J]
			for j := range o {
				o[j] += uh[j]
			}
		}
		for j, a := range o {
			mean[j] += a
		}
	}
	for j := range mean {
		mean[j] /= float64(H)
	}
	clear(rs)
	for h := 0; h < H; h++ {
		o := out[h*J : (h+1)*J]
		for j, a := range o {
			a -= mean[j]
			o[j] = a
			rs[j] += a * a
		}
	}
	for j, v := range rs {
		rs[j] = 1 / math.Sqrt(v/float64(H)+lnEps)
	}
	for h := 0; h < H; h++ {
		o := out[h*J : (h+1)*J]
		g, bi := ly.gain.Value[h], ly.bias.Value[h]
		for j, a := range o {
			o[j] = a*rs[j]*g + bi
		}
	}
}

var _ predict.BatchIntensities = (*next)(nil)
