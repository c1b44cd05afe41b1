package attnhp

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/model/attention"
	"github.com/gotpp/gotpp/predict"
)

// batchBufs are the work matrices of IntensitiesAt for J queries.
type batchBufs struct {
	j                 int
	u, q, sk, sv, att []float64 // [J, D+T], [J, HD] ×4
	out, scores       []float64 // [J, D], [J, i+1]
}

func (n *next) bufs(J int) *batchBufs {
	if n.bb != nil && n.bb.j == J {
		return n.bb
	}
	m := n.m
	D, T, HD := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads*m.cfg.HiddenSize
	b := &batchBufs{j: J,
		u: make([]float64, J*(D+T)), q: make([]float64, J*HD), sk: make([]float64, J*HD), sv: make([]float64, J*HD),
		att: make([]float64, J*HD), out: make([]float64, J*D), scores: make([]float64, J*(n.i+1))}
	n.bb = b
	return b
}

// applyRows writes x·W + b for the J rows of x (row stride ldx) into out
// (row stride ldo), as one matrix product.
func applyRows(l *attention.Linear, x []float64, ldx, J int, out []float64, ldo int) {
	in, nOut := l.In(), l.Out()
	beta := 0.0
	if l.B != nil {
		for j := 0; j < J; j++ {
			copy(out[j*ldo:j*ldo+nOut], l.B.Value)
		}
		beta = 1
	}
	blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, J, nOut, in, 1, x, ldx, l.W.Value, nOut, beta, out, ldo)
}

// IntensitiesAt implements predict.BatchIntensities: the queries at all
// offsets go through each layer together, the projections and the
// attention over the history as small matrix products (internal/gemm
// through blas64), the same arithmetic as Intensities up to the order of
// the sums.
func (n *next) IntensitiesAt(dts []float64, out []float64) {
	m := n.m
	D, T, H, K := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads, m.k
	HD, DT, J, i := H*D, D+T, len(dts), n.i
	b := n.bufs(J)
	impl := blas64.Implementation()
	scale := 1 / math.Sqrt(float64(D))
	for j, dt := range dts {
		row := b.u[j*DT : (j+1)*DT]
		clear(row[:D])
		attention.Sinusoid((n.anchor+dt-n.start)/m.cfg.TimeScale, row[D:])
	}
	ls := i + 1 // scores row stride: the history, then the query's own key
	for l, layer := range m.layers {
		applyRows(layer.Q, b.u, DT, J, b.q, HD)
		applyRows(layer.K, b.u, DT, J, b.sk, HD)
		applyRows(layer.V, b.u, DT, J, b.sv, HD)
		for h := 0; h < H; h++ {
			if i > 0 {
				impl.Dgemm(blas.NoTrans, blas.Trans, J, i, D, scale, b.q[h*D:], HD, n.keys[l][h*D:], HD, 0, b.scores, ls)
			}
			for j := 0; j < J; j++ {
				sc := b.scores[j*ls : (j+1)*ls]
				sc[i] = dot(b.q[j*HD+h*D:j*HD+(h+1)*D], b.sk[j*HD+h*D:j*HD+(h+1)*D]) * scale
				mx := math.Inf(-1)
				for _, v := range sc {
					mx = max(mx, v)
				}
				for s := range sc {
					sc[s] -= mx
				}
				vecmath.Exp(sc, sc)
				z := 0.0
				for _, v := range sc {
					z += v
				}
				for s := range sc {
					sc[s] /= z
				}
			}
			if i > 0 {
				impl.Dgemm(blas.NoTrans, blas.NoTrans, J, D, i, 1, b.scores, ls, n.vals[l][h*D:], HD, 0, b.att[h*D:], HD)
			} else {
				for j := 0; j < J; j++ {
					clear(b.att[j*HD+h*D : j*HD+(h+1)*D])
				}
			}
			for j := 0; j < J; j++ {
				p := b.scores[j*ls+i]
				o := b.att[j*HD+h*D : j*HD+(h+1)*D]
				for d, v := range b.sv[j*HD+h*D : j*HD+(h+1)*D] {
					o[d] += p * v
				}
			}
		}
		applyRows(layer.O, b.att, HD, J, b.out, D)
		vecmath.Tanh(b.out, b.out)
		for j := 0; j < J; j++ {
			row := b.u[j*DT : j*DT+D]
			for d, v := range b.out[j*D : (j+1)*D] {
				row[d] += v
			}
		}
	}
	applyRows(m.head, b.u, DT, J, out, K)
	all := out[:J*K]
	for j := 0; j < J; j++ {
		for k, bk := range n.beta {
			all[j*K+k] *= bk
		}
	}
	vecmath.Softplus(all, all)
	for j := 0; j < J; j++ {
		for k, bk := range n.beta {
			all[j*K+k] /= bk
		}
	}
}

var _ predict.BatchIntensities = (*next)(nil)
