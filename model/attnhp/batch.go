package attnhp

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"

	"github.com/gotpp/gotpp/internal/gemm"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/model/attention"
	"github.com/gotpp/gotpp/predict"
)

// The batched path (IntensitiesAt) evaluates the 15 nodes of a quadrature
// panel together. Its matrices are small (15 query rows, 4 to 21 inner
// columns, a history of a few dozen events), so the cost is in the number
// of products and passes over the data rather than in their arithmetic.
// It therefore rewrites the per-query computation of Intensities into
// fewer, fused steps, exactly equal in exact arithmetic (the rounding
// differs in the last bits; TestIntensitiesAtMatchesIntensities checks it
// against Intensities):
//
//   - A query row is u = [z, 1, τ(t)]: the constant 1 multiplies a bias row
//     appended to every weight matrix, so biases enter the products
//     instead of being copied into each output row first. Layer 0's query
//     has z = 0 and reads only [1, τ].
//   - The query, key and value maps of a layer are one product with the
//     three weight matrices side by side.
//   - The output projection O is linear, so it is folded into the values:
//     O(Σ_h att_h) = Σ_h Σ_s p_{h,s} (v_{s,h}·W_O,h) + b_O. The history's
//     values are multiplied by W_O,h once per sequence (seqBatch.ov), and
//     the query's own value map is W_V,h·W_O,h (seqBatch.qkv); the product
//     with O disappears from the per-node work.
//   - Layer 0's query is affine in τ, so its score against history key k_s
//     is (b_Q,h·k_s + τ·(W_Q,h[τ rows]·k_s))/√D: T+1 coefficients per key,
//     made once per sequence (seqBatch.s0), instead of a D-long product.
//   - The softmax is not normalised before the product with the values:
//     each row's exponentials are multiplied into the values as they are,
//     and the D outputs of the row are divided by their sum afterwards
//     (fewer operations than scaling the history-long row). The row maxima
//     and sums are hand-written loops with four independent accumulators
//     (rowMax, rowSum): the plain loops, and vecmath.Softmax's, are bound
//     by the latency of one running maximum or sum, and rows are short.
//   - The head is pre-multiplied by β, so λ = softplus(u·βW + βb)·(1/β).

// seqBatch holds what the batched path derives once per sequence from the
// weights and the history's keys and values.
type seqBatch struct {
	// qkv[l] is layer l's map from a query row to [q | k | v·W_O] (3·H·D
	// columns, head-major within each block): rows [W[:D]; b; W[D:]]
	// (inputs [z, 1, τ]); for layer 0 rows [b; W[D:]] (inputs [1, τ]) and
	// the v·W_O columns only.
	qkv []gemm.PackedB
	// m0 holds, per head, the (T+1)×(T+1) matrix of layer 0's q·k as a
	// quadratic form in x = [1, τ]: q_h·k_h = xᵀ·m0_h·x.
	m0 []float64
	bo [][]float64 // per layer, O's bias (zeros without one)
	// ov[l] is the history's values times W_O, [n, H·D]: row s, head h
	// holds v_{s,h}·W_O,h.
	ov [][]float64
	// s0 holds layer 0's score coefficients [H, n, T+1]: for head h and
	// history event s, (b_Q,h·k_s,h, W_Q,h[D+t]·k_s,h for t < T).
	s0 []float64
	// head maps [z, 1] to β·(w·z + b); invBeta is 1/β.
	head    gemm.PackedB
	invBeta []float64
	// kp[l][h] is the score operand of the whole history, packed once per
	// sequence (layer 0: s0, later layers: the keys; transposed): a law
	// with i events of history multiplies by its first i columns
	// (gemm.PackedB.Cols). Nil when the history is too long for one packed
	// block; then each law packs its own.
	kp [][]gemm.PackedB
}

// batchData returns the sequence's seqBatch, made on first use (safely for
// concurrent laws of one sequence).
func (n *next) batchData() *seqBatch {
	n.h.batchOnce.Do(func() { n.h.batch = n.m.newSeqBatch(n.h) })
	return n.h.batch
}

// pack packs a k×n op(w) (w row-major with row stride ld; tr: w holds
// its transpose) for DgemmPacked.
func pack(w []float64, k, n, ld int, tr blas.Transpose) gemm.PackedB {
	return gemm.NewPackedB(tr, k, n, w, ld, make([]float64, gemm.PackedLen(k, n)))
}

// newSeqBatch derives the batched path's matrices from m's weights and the
// keys and values of h.
func (m *Model) newSeqBatch(h *historyKV) *seqBatch {
	D, T, H, K := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads, m.k
	HD, DT := H*D, D+T
	sb := &seqBatch{}
	for l, layer := range m.layers {
		nv := 0
		if len(h.vals) > l {
			nv = len(h.vals[l]) / HD
		}
		wo := layer.O.W.Value // [HD, D]
		bo := make([]float64, D)
		if layer.O.B != nil {
			copy(bo, layer.O.B.Value)
		}
		sb.bo = append(sb.bo, bo)
		// the input rows of the merged map, in the order of the query row
		// they multiply (-1: the bias)
		var rows []int
		if l > 0 {
			for r := 0; r < D; r++ {
				rows = append(rows, r)
			}
		}
		rows = append(rows, -1)
		for r := D; r < DT; r++ {
			rows = append(rows, r)
		}
		w := make([]float64, len(rows)*3*HD)
		for ri, r := range rows {
			dst := w[ri*3*HD : (ri+1)*3*HD]
			for c, lin := range []*attention.Linear{layer.Q, layer.K, layer.V} {
				src := linearRow(lin, r)
				if c < 2 {
					copy(dst[c*HD:(c+1)*HD], src)
					continue
				}
				for hh := 0; hh < H; hh++ {
					vecTimesBlock(src[hh*D:(hh+1)*D], wo[hh*D*D:], D, dst[2*HD+hh*D:2*HD+(hh+1)*D])
				}
			}
		}
		if l == 0 {
			// only v·W_O: the query's own score is the quadratic form m0
			nx := len(rows)
			sb.qkv = append(sb.qkv, pack(w[2*HD:], nx, HD, 3*HD, blas.NoTrans))
			sb.m0 = make([]float64, H*nx*nx)
			for hh := 0; hh < H; hh++ {
				for a := 0; a < nx; a++ {
					for c := 0; c < nx; c++ {
						wq := w[a*3*HD+hh*D : a*3*HD+(hh+1)*D]
						wk := w[c*3*HD+HD+hh*D : c*3*HD+HD+(hh+1)*D]
						sb.m0[(hh*nx+a)*nx+c] = dot(wq, wk)
					}
				}
			}
		} else {
			sb.qkv = append(sb.qkv, pack(w, len(rows), 3*HD, 3*HD, blas.NoTrans))
		}
		ov := make([]float64, nv*HD)
		for s := 0; s < nv; s++ {
			for hh := 0; hh < H; hh++ {
				v := h.vals[l][s*HD+hh*D : s*HD+(hh+1)*D]
				vecTimesBlock(v, wo[hh*D*D:], D, ov[s*HD+hh*D:s*HD+(hh+1)*D])
			}
		}
		sb.ov = append(sb.ov, ov)
		if l == 0 {
			sb.s0 = make([]float64, H*nv*(T+1))
			for hh := 0; hh < H; hh++ {
				for s := 0; s < nv; s++ {
					k := h.keys[0][s*HD+hh*D : s*HD+(hh+1)*D]
					c := sb.s0[(hh*nv+s)*(T+1) : (hh*nv+s+1)*(T+1)]
					c[0] = dot(linearRow(layer.Q, -1)[hh*D:(hh+1)*D], k)
					for t := 0; t < T; t++ {
						c[1+t] = dot(linearRow(layer.Q, D+t)[hh*D:(hh+1)*D], k)
					}
				}
			}
		}
	}
	if nv := len(sb.ov[0]) / HD; nv > 0 && nv <= maxPackedHistory && D <= maxPackedInner && T+1 <= maxPackedInner {
		sb.kp = make([][]gemm.PackedB, len(m.layers))
		for l := range m.layers {
			sb.kp[l] = make([]gemm.PackedB, H)
			for hh := 0; hh < H; hh++ {
				if l == 0 {
					sb.kp[l][hh] = pack(sb.s0[hh*nv*(T+1):], T+1, nv, T+1, blas.Trans)
				} else {
					sb.kp[l][hh] = pack(h.keys[l][hh*D:], D, nv, HD, blas.Trans)
				}
			}
		}
	}
	// head: rows [β·W; β·b]
	beta := make([]float64, K)
	sb.invBeta = make([]float64, K)
	for k := range beta {
		beta[k] = math.Exp(m.logBeta.Value[k])
		sb.invBeta[k] = 1 / beta[k]
	}
	hw := make([]float64, (D+1)*K)
	for r := 0; r <= D; r++ {
		src := linearRow(m.head, -1)
		if r < D {
			src = linearRow(m.head, r)
		}
		for k, v := range src {
			hw[r*K+k] = beta[k] * v
		}
	}
	sb.head = pack(hw, D+1, K, K, blas.NoTrans)
	return sb
}

// maxPackedHistory and maxPackedInner bound the packed operands whose
// column prefixes gemm.PackedB.Cols can view (one block of the product);
// tests lower maxPackedHistory to cover the per-law packing of longer
// histories.
var (
	maxPackedHistory = 2048
	maxPackedInner   = 256
)

// linearRow is row r of l's weight matrix, or its bias for r = -1 (zeros
// without one).
func linearRow(l *attention.Linear, r int) []float64 {
	n := l.Out()
	if r >= 0 {
		return l.W.Value[r*n : (r+1)*n]
	}
	if l.B == nil {
		return make([]float64, n)
	}
	return l.B.Value[:n]
}

// vecTimesBlock sets out = x·W for x of length D and the D×D block W
// (row-major, stride D) starting at w.
func vecTimesBlock(x, w []float64, D int, out []float64) {
	clear(out[:D])
	for d, v := range x {
		for e, we := range w[d*D : (d+1)*D] {
			out[e] += v * we
		}
	}
}

// lawPacks holds a law's packed history keys (transposed), per layer and
// head, for the score products: views of the first i columns of the
// sequence's packs (seqBatch.kp), or, for a history too long for one
// packed block, packed for the law itself.
type lawPacks struct {
	sc [][]gemm.PackedB
}

func (n *next) lawPacks(sb *seqBatch) *lawPacks {
	if n.lp != nil {
		return n.lp
	}
	m := n.m
	D, T, H := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads
	HD, i, L := H*D, n.i, len(m.layers)
	lp := &lawPacks{sc: make([][]gemm.PackedB, L)}
	n.lp = lp
	if i == 0 {
		return lp
	}
	for l := range m.layers {
		lp.sc[l] = make([]gemm.PackedB, H)
		for h := 0; h < H; h++ {
			switch {
			case sb.kp != nil:
				lp.sc[l][h] = sb.kp[l][h].Cols(i)
			case l == 0:
				nv := len(sb.ov[0]) / HD
				lp.sc[l][h] = pack(sb.s0[h*nv*(T+1):], T+1, i, T+1, blas.Trans)
			default:
				lp.sc[l][h] = pack(n.keys[l][h*D:], D, i, HD, blas.Trans)
			}
		}
	}
	return lp
}

// batchBufs are the work matrices of IntensitiesAt, taken from a pool for
// the duration of one call (a law is evaluated a few times; allocating
// them per law made the garbage collector a tenth of the pass).
type batchBufs struct {
	u, qkv, scores, tmp, out []float64 // [J, D+1+T], [J, 3HD], [J, i+1], [D, J], [J, D]
}

var bufPool = sync.Pool{New: func() any { return new(batchBufs) }}

func grow(x []float64, k int) []float64 {
	if cap(x) < k {
		return make([]float64, k)
	}
	return x[:k]
}

// IntensitiesAt implements predict.BatchIntensities: the queries at all
// offsets go through each layer together (see the top of this file for
// how the computation differs from Intensities' in arrangement).
func (n *next) IntensitiesAt(dts []float64, out []float64) {
	m := n.m
	D, T, H, K := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads, m.k
	HD, J, i := H*D, len(dts), n.i
	if J == 0 {
		return
	}
	sb := n.batchData()
	lp := n.lawPacks(sb)
	lu, l3, ls := D+1+T, 3*HD, i+1 // row strides: query rows, [q|k|v], scores
	b := bufPool.Get().(*batchBufs)
	defer bufPool.Put(b)
	b.u, b.qkv, b.scores = grow(b.u, J*lu), grow(b.qkv, J*l3), grow(b.scores, J*ls)
	b.tmp, b.out = grow(b.tmp, J*D), grow(b.out, J*D)
	for j, dt := range dts {
		row := b.u[j*lu : (j+1)*lu]
		clear(row[:D])
		row[D] = 1
		attention.Sinusoid((n.anchor+dt-n.start)/m.cfg.TimeScale, row[D+1:])
	}
	scale := 1 / math.Sqrt(float64(D))
	sc := b.scores[:J*ls]
	for l := range m.layers {
		if l == 0 {
			// [1, τ] → v·W_O only
			gemm.DgemmPacked(blas.NoTrans, J, 1, b.u[D:], lu, &sb.qkv[0], 0, b.qkv[2*HD:], l3)
		} else {
			gemm.DgemmPacked(blas.NoTrans, J, 1, b.u, lu, &sb.qkv[l], 0, b.qkv, l3)
		}
		for j := 0; j < J; j++ {
			copy(b.out[j*D:(j+1)*D], sb.bo[l])
		}
		for h := 0; h < H; h++ {
			// scores against the history, then the query's own key
			switch {
			case i > 0 && l == 0:
				gemm.DgemmPacked(blas.NoTrans, J, scale, b.u[D:], lu, &lp.sc[l][h], 0, sc, ls)
			case i > 0:
				gemm.DgemmPacked(blas.NoTrans, J, scale, b.qkv[h*D:], l3, &lp.sc[l][h], 0, sc, ls)
			}
			for j := 0; j < J; j++ {
				row := sc[j*ls : (j+1)*ls]
				if l == 0 {
					row[i] = quadForm(sb.m0[h*(T+1)*(T+1):(h+1)*(T+1)*(T+1)], b.u[j*lu+D:(j+1)*lu]) * scale
				} else {
					q := b.qkv[j*l3+h*D : j*l3+(h+1)*D]
					k := b.qkv[j*l3+HD+h*D : j*l3+HD+(h+1)*D]
					row[i] = dot4(q, k) * scale
				}
				mx := rowMax(row)
				for s := range row {
					row[s] -= mx
				}
			}
			vecmath.Exp(sc, sc)
			if i > 0 {
				// (E·OV)ᵀ = OVᵀ·Eᵀ, [D, J]: the history's O-folded
				// values are read in place (no per-law packing) and
				// only the J×i exponentials are packed; each element is
				// the same fused sum over the history as E·OV's
				gemm.Dgemm(blas.Trans, blas.Trans, D, J, i, 1, sb.ov[l][h*D:], HD, sc, ls, 0, b.tmp, J)
			}
			// out += (E·OV + e_self·v_self·W_O) / Σ e, per row
			for j := 0; j < J; j++ {
				row := sc[j*ls : (j+1)*ls]
				inv, e := 1/rowSum(row), row[i]
				sv := b.qkv[j*l3+2*HD+h*D : j*l3+2*HD+(h+1)*D]
				o := b.out[j*D : (j+1)*D]
				if i == 0 {
					for d, v := range sv {
						o[d] += inv * (e * v)
					}
					continue
				}
				t := b.tmp[j:]
				for d, v := range sv {
					o[d] += inv * (t[d*J] + e*v)
				}
			}
		}
		vecmath.Tanh(b.out[:J*D], b.out[:J*D])
		for j := 0; j < J; j++ {
			row := b.u[j*lu : j*lu+D]
			for d, v := range b.out[j*D : (j+1)*D] {
				row[d] += v
			}
		}
	}
	all := out[:J*K]
	gemm.DgemmPacked(blas.NoTrans, J, 1, b.u, lu, &sb.head, 0, all, K)
	vecmath.Softplus(all, all)
	for j := 0; j < J; j++ {
		o := all[j*K : (j+1)*K]
		for k, v := range sb.invBeta {
			o[k] *= v
		}
	}
}

// quadForm is xᵀ·m·x for the n×n matrix m (row-major), n = len(x).
func quadForm(m, x []float64) float64 {
	s := 0.0
	for a, xa := range x {
		s += xa * dot4(m[a*len(x):(a+1)*len(x)], x)
	}
	return s
}

// dot4 is the dot product of a and b (len(b) >= len(a)) with four
// independent partial sums.
func dot4(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		x, y := a[k:k+4:k+4], b[k:k+4:k+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// rowMax is the maximum of x (len(x) >= 1; NaNs are skipped, but a NaN
// still makes its row's exponentials and sum NaN), with four independent
// running maxima.
func rowMax(x []float64) float64 {
	m0 := x[0]
	m1, m2, m3 := m0, m0, m0
	k := 0
	for ; k+4 <= len(x); k += 4 {
		v := x[k : k+4 : k+4]
		if v[0] > m0 {
			m0 = v[0]
		}
		if v[1] > m1 {
			m1 = v[1]
		}
		if v[2] > m2 {
			m2 = v[2]
		}
		if v[3] > m3 {
			m3 = v[3]
		}
	}
	for ; k < len(x); k++ {
		if x[k] > m0 {
			m0 = x[k]
		}
	}
	if m1 > m0 {
		m0 = m1
	}
	if m3 > m2 {
		m2 = m3
	}
	if m2 > m0 {
		m0 = m2
	}
	return m0
}

// rowSum is the sum of x with four independent partial sums.
func rowSum(x []float64) float64 {
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(x); k += 4 {
		v := x[k : k+4 : k+4]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
	}
	for ; k < len(x); k++ {
		s0 += x[k]
	}
	return (s0 + s1) + (s2 + s3)
}

var _ predict.BatchIntensities = (*next)(nil)
