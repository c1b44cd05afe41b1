package attnhp

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/gemm"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/model/attention"
	"github.com/gotpp/gotpp/predict"
)

// batchBufs are the work matrices of IntensitiesAt, taken from a pool for
// the duration of one call (a law is evaluated a few times; allocating
// them per law made the garbage collector a tenth of the pass).
type batchBufs struct {
	u, q, sk, sv, att []float64 // [J, D+T], [J, HD] ×4
	out, scores       []float64 // [J, D], [J, i+1]
}

var bufPool = sync.Pool{New: func() any { return new(batchBufs) }}

// getBufs returns work matrices for J queries and i history events.
func (n *next) getBufs(J int) *batchBufs {
	m := n.m
	D, T, HD := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads*m.cfg.HiddenSize
	b := bufPool.Get().(*batchBufs)
	size := func(x []float64, k int) []float64 {
		if cap(x) < k {
			return make([]float64, k)
		}
		return x[:k]
	}
	b.u, b.q, b.sk, b.sv = size(b.u, J*(D+T)), size(b.q, J*HD), size(b.sk, J*HD), size(b.sv, J*HD)
	b.att, b.out, b.scores = size(b.att, J*HD), size(b.out, J*D), size(b.scores, J*(n.i+1))
	return b
}

// applyRows writes x·W + b for the J rows of x (row stride ldx) into out
// (row stride ldo), as one matrix product; with p (W packed, or W's rows
// from..in when x holds only those columns) the product uses it.
func applyRows(l *attention.Linear, x []float64, ldx, J int, out []float64, ldo int, p *gemm.PackedB) {
	nOut := l.Out()
	beta := 0.0
	if l.B != nil {
		for j := 0; j < J; j++ {
			copy(out[j*ldo:j*ldo+nOut], l.B.Value)
		}
		beta = 1
	}
	if p != nil {
		gemm.DgemmPacked(blas.NoTrans, J, 1, x, ldx, p, beta, out, ldo)
		return
	}
	in := l.In()
	blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, J, nOut, in, 1, x, ldx, l.W.Value, nOut, beta, out, ldo)
}

// weightPacks are the weights of the batched path packed once per
// sequence (engine.PackedProducts: the AVX2 kernel is the installed
// product, so the packed products equal blas64's bit for bit). Layer 0's
// queries are u = [0, τ(t)], so its Q, K and V maps are packed from rows
// D.. of their weights and multiply τ alone (the zero part adds exact
// zeros).
type weightPacks struct {
	q, k, v, o []gemm.PackedB // per layer; layer 0's q, k, v from rows D..
	head       gemm.PackedB
}

// packWeights packs m's weights (nil when packed products are not in use).
func (m *Model) packWeights() *weightPacks {
	if !engine.PackedProducts() {
		return nil
	}
	D := m.cfg.HiddenSize
	pack := func(l *attention.Linear, from int) gemm.PackedB {
		in, out := l.In()-from, l.Out()
		return gemm.NewPackedB(blas.NoTrans, in, out, l.W.Value[from*out:], out, make([]float64, gemm.PackedLen(in, out)))
	}
	w := &weightPacks{head: pack(m.head, 0)}
	for l, layer := range m.layers {
		from := 0
		if l == 0 {
			from = D
		}
		w.q = append(w.q, pack(layer.Q, from))
		w.k = append(w.k, pack(layer.K, from))
		w.v = append(w.v, pack(layer.V, from))
		w.o = append(w.o, pack(layer.O, 0))
	}
	return w
}

// weights returns the sequence's packed weights (made once, safely for
// concurrent laws of one sequence), or nil.
func (n *next) weights() *weightPacks {
	if n.h == nil {
		return nil
	}
	n.h.packOnce.Do(func() { n.h.packs = n.m.packWeights() })
	return n.h.packs
}

// historyPacks packs the history's keys (transposed, for q·kᵀ) and values
// per layer and head, once per law.
func (n *next) historyPacks() {
	if n.kp != nil || n.i == 0 {
		return
	}
	m := n.m
	D, H := m.cfg.HiddenSize, m.cfg.NumHeads
	HD, i := H*D, n.i
	n.kp = make([][]gemm.PackedB, len(m.layers))
	n.vp = make([][]gemm.PackedB, len(m.layers))
	buf := make([]float64, len(m.layers)*H*(gemm.PackedLen(D, i)+gemm.PackedLen(i, D)))
	for l := range m.layers {
		for h := 0; h < H; h++ {
			kl, vl := gemm.PackedLen(D, i), gemm.PackedLen(i, D)
			n.kp[l] = append(n.kp[l], gemm.NewPackedB(blas.Trans, D, i, n.keys[l][h*D:], HD, buf[:kl]))
			n.vp[l] = append(n.vp[l], gemm.NewPackedB(blas.NoTrans, i, D, n.vals[l][h*D:], HD, buf[kl:kl+vl]))
			buf = buf[kl+vl:]
		}
	}
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
	b := n.getBufs(J)
	defer bufPool.Put(b)
	impl := blas64.Implementation()
	scale := 1 / math.Sqrt(float64(D))
	for j, dt := range dts {
		row := b.u[j*DT : (j+1)*DT]
		clear(row[:D])
		attention.Sinusoid((n.anchor+dt-n.start)/m.cfg.TimeScale, row[D:])
	}
	ls := i + 1 // scores row stride: the history, then the query's own key
	wp := n.weights()
	if wp != nil {
		n.historyPacks()
	}
	for l, layer := range m.layers {
		if wp != nil {
			x := b.u
			if l == 0 {
				x = b.u[D:] // layer 0: u = [0, τ], W's rows D.. packed
			}
			applyRows(layer.Q, x, DT, J, b.q, HD, &wp.q[l])
			applyRows(layer.K, x, DT, J, b.sk, HD, &wp.k[l])
			applyRows(layer.V, x, DT, J, b.sv, HD, &wp.v[l])
		} else {
			applyRows(layer.Q, b.u, DT, J, b.q, HD, nil)
			applyRows(layer.K, b.u, DT, J, b.sk, HD, nil)
			applyRows(layer.V, b.u, DT, J, b.sv, HD, nil)
		}
		for h := 0; h < H; h++ {
			switch {
			case i > 0 && wp != nil:
				gemm.DgemmPacked(blas.NoTrans, J, scale, b.q[h*D:], HD, &n.kp[l][h], 0, b.scores, ls)
			case i > 0:
				impl.Dgemm(blas.NoTrans, blas.Trans, J, i, D, scale, b.q[h*D:], HD, n.keys[l][h*D:], HD, 0, b.scores, ls)
			}
			for j := 0; j < J; j++ {
				sc := b.scores[j*ls : (j+1)*ls]
				sc[i] = dot(b.q[j*HD+h*D:j*HD+(h+1)*D], b.sk[j*HD+h*D:j*HD+(h+1)*D]) * scale
				vecmath.Softmax(sc, sc)
			}
			switch {
			case i > 0 && wp != nil:
				gemm.DgemmPacked(blas.NoTrans, J, 1, b.scores, ls, &n.vp[l][h], 0, b.att[h*D:], HD)
			case i > 0:
				impl.Dgemm(blas.NoTrans, blas.NoTrans, J, D, i, 1, b.scores, ls, n.vals[l][h*D:], HD, 0, b.att[h*D:], HD)
			default:
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
		var op *gemm.PackedB
		if wp != nil {
			op = &wp.o[l]
		}
		applyRows(layer.O, b.att, HD, J, b.out, D, op)
		vecmath.Tanh(b.out, b.out)
		for j := 0; j < J; j++ {
			row := b.u[j*DT : j*DT+D]
			for d, v := range b.out[j*D : (j+1)*D] {
				row[d] += v
			}
		}
	}
	var hp *gemm.PackedB
	if wp != nil {
		hp = &wp.head
	}
	applyRows(m.head, b.u, DT, J, out, K, hp)
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
