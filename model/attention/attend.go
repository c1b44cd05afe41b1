package attention

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gotpp/gotpp/engine"
	igemm "github.com/gotpp/gotpp/internal/gemm"
	"github.com/gotpp/gotpp/internal/vecmath"
)

// Spans tells Attend which key rows each query row sees: query row r
// attends the key rows Base[r] + j·Stride for j = 0..Len[r]−1 (and its own
// self key when Attend is given self keys). A query row with no key at all
// gets a zero output. The slices must stay unchanged until the tape is
// reset (take them from Tape.Ints).
type Spans struct {
	Base, Len []int
	Stride    int
}

// CausalSpans is causal self-attention over a time-major batch of L
// positions and B columns (row i·B + b is position i of column b): a real
// position i < lens[b] attends positions 0..i of its own column, itself
// included; padded positions attend nothing (their outputs are zero and
// never reach a real position).
func CausalSpans(t *engine.Tape, L, B int, lens []int) Spans {
	return causalSpans(t, L, B, lens, false)
}

// CausalSpansBatchMajor is CausalSpans over a batch-major layout (row
// b·L + i is position i of column b): each column's rows are contiguous,
// so Attend reads its operands in place instead of gathering them.
func CausalSpansBatchMajor(t *engine.Tape, L, B int, lens []int) Spans {
	return causalSpans(t, L, B, lens, true)
}

func causalSpans(t *engine.Tape, L, B int, lens []int, batchMajor bool) Spans {
	base := t.Ints(L * B)
	n := t.Ints(L * B)
	for i := 0; i < L; i++ {
		for b := 0; b < B; b++ {
			r, first := i*B+b, b
			if batchMajor {
				r, first = b*L+i, b*L
			}
			base[r] = first
			if i < lens[b] {
				n[r] = i + 1
			}
		}
	}
	if batchMajor {
		return Spans{Base: base, Len: n, Stride: 1}
	}
	return Spans{Base: base, Len: n, Stride: B}
}

// TimeMajor returns the rows of x, [L·B, D] in batch-major order (row
// b·L + i), in time-major order (row i·B + b), differentiably.
func TimeMajor(t *engine.Tape, x *engine.Tensor, L, B int) *engine.Tensor {
	idx := t.Ints(L * B)
	for i := 0; i < L; i++ {
		for b := 0; b < B; b++ {
			idx[i*B+b] = b*L + i
		}
	}
	return t.Gather(x, idx)
}

// Attend is fused multi-head scaled dot-product attention. q and k are
// [Nq, H·dk] and [Nk, H·dk], v is [Nk, H·dv], with head h in columns
// h·dk..(h+1)·dk−1 (h·dv.. for v). For query row r and head h,
//
//	out[r, h] = Σ_j p_j v[key_j, h],  p = softmax_j(q[r, h]·k[key_j, h] / √dk),
//
// over the key rows of Spans (and, when selfK and selfV are not nil, one
// more key: selfK[r], selfV[r], the query's own key and value, [Nq, H·dk]
// and [Nq, H·dv]). The result is [Nq, H·dv].
//
// Query rows with the same Base are processed together when they are
// evenly spaced (a batch column of a time-major layout, or a contiguous
// block): their scores against the longest of their key ranges are one
// strided matrix product per head, as are the weighted sums of the values
// and the four products of the backward pass; keys beyond a row's Len get
// probability 0. Other rows are groups of one. The attention
// probabilities are kept for the hand-written backward pass.
func Attend(t *engine.Tape, q, k, v *engine.Tensor, heads int, sp Spans, selfK, selfV *engine.Tensor) *engine.Tensor {
	nq, dq := q.Rows(), q.Cols()
	nk, dvAll := k.Rows(), v.Cols()
	if heads < 1 || dq%heads != 0 || dvAll%heads != 0 || k.Cols() != dq || v.Rows() != nk {
		panic(fmt.Sprintf("attention: Attend with q %v, k %v, v %v and %d heads", q.Shape(), k.Shape(), v.Shape(), heads))
	}
	self := selfK != nil
	if self != (selfV != nil) || (self && (selfK.Rows() != nq || selfK.Cols() != dq || selfV.Rows() != nq || selfV.Cols() != dvAll)) {
		panic(fmt.Sprintf("attention: Attend with q %v and self keys/values %v, %v", q.Shape(), shapeOf(selfK), shapeOf(selfV)))
	}
	if len(sp.Base) != nq || len(sp.Len) != nq {
		panic(fmt.Sprintf("attention: Attend with %d query rows and spans of %d, %d rows", nq, len(sp.Base), len(sp.Len)))
	}
	extra := 0
	if self {
		extra = 1
	}
	for r := 0; r < nq; r++ {
		n := sp.Len[r]
		if n < 0 {
			panic(fmt.Sprintf("attention: Attend: query row %d has %d keys", r, n))
		}
		if n > 0 {
			first, last := sp.Base[r], sp.Base[r]+(n-1)*sp.Stride
			if first < 0 || first >= nk || last < 0 || last >= nk {
				panic(fmt.Sprintf("attention: Attend: query row %d attends key rows %d..%d of %d", r, first, last, nk))
			}
		}
	}
	g := groupRows(t, sp, extra, nk)
	// ints: heads, stride, self, number of groups, then per query row its
	// Len, then per group: first row, row stride, rows, key base, keys,
	// offset of its probabilities
	ng := len(g) / groupFields
	ints := t.Ints(4 + nq + len(g))
	ints[0], ints[1], ints[2], ints[3] = heads, sp.Stride, extra, ng
	copy(ints[4:4+nq], sp.Len)
	copy(ints[4+nq:], g)
	grp := ints[4+nq:]
	total := 0
	for i := 0; i < ng; i++ {
		f := grp[i*groupFields:]
		f[5] = total
		total += f[2] * (f[4] + extra) * heads
	}
	probs := t.FloatsNoZero(total) // every element is written
	out := t.New(nq, dvAll)
	a := attendArgs{q: q, k: k, v: v, sk: selfK, sv: selfV, heads: heads, stride: sp.Stride, extra: extra, lens: ints[4 : 4+nq]}
	mr, mk := groupMax(grp, ng)
	a.scr = t.FloatsNoZero(mr*(dq+dvAll) + mk*(dq+dvAll))
	for i := 0; i < ng; i++ {
		a.forward(grp[i*groupFields:(i+1)*groupFields], probs, out)
	}
	t.Record(attendOp{}, engine.Node{
		Out:   [4]*engine.Tensor{out},
		In:    [6]*engine.Tensor{q, k, v, selfK, selfV},
		Ints:  ints,
		Cache: probs,
	})
	return out
}

// groupFields is the number of ints describing a group of query rows:
// first row, row stride, number of rows, key base, number of keys (the
// longest Len), offset of the group's probabilities.
const groupFields = 6

// groupRows groups the query rows that attend to anything by their Base:
// rows with one Base that are evenly spaced form groups of at most
// groupRows consecutive rows (each with its own number of keys, the
// longest Len among them, so that queries over short prefixes do not pay
// for long ones), and any other row is a group of its own. Rows are
// visited in order, so the grouping is deterministic.
func groupRows(t *engine.Tape, sp Spans, extra, nk int) []int {
	nq := len(sp.Base)
	// the rows of each base, linked in order
	next := t.Ints(nq)
	// head and tail row of each base: in arrays indexed by the base when
	// every base is a key row (as it is whenever the row has keys), else in
	// maps; hs and ts hold row+1 (0: none)
	dense := true
	for r := 0; r < nq; r++ {
		if b := sp.Base[r]; sp.Len[r]+extra != 0 && (b < 0 || b >= nk) {
			dense = false
			break
		}
	}
	var hs, ts []int
	var head, tail map[int]int
	if dense {
		hs, ts = t.Ints(nk), t.Ints(nk)
	} else {
		head, tail = map[int]int{}, map[int]int{}
	}
	bases := t.Ints(nq)[:0]
	for r := 0; r < nq; r++ {
		if sp.Len[r]+extra == 0 {
			continue
		}
		next[r] = -1
		b := sp.Base[r]
		if dense {
			if hs[b] == 0 {
				hs[b], ts[b] = r+1, r+1
				bases = append(bases, b)
				continue
			}
			next[ts[b]-1] = r
			ts[b] = r + 1
			continue
		}
		if _, ok := head[b]; !ok {
			head[b], tail[b] = r, r
			bases = append(bases, b)
			continue
		}
		next[tail[b]] = r
		tail[b] = r
	}
	out := t.Ints(nq * groupFields)[:0]
	for _, b := range bases {
		var r0 int
		if dense {
			r0 = hs[b] - 1
		} else {
			r0 = head[b]
		}
		n, stride, even := 0, 0, true
		for r := r0; r >= 0; r = next[r] {
			if n == 1 {
				stride = r - r0
			} else if n > 1 && r-r0 != n*stride {
				even = false
			}
			n++
		}
		if !even {
			for r := r0; r >= 0; r = next[r] {
				out = append(out, r, 1, 1, b, sp.Len[r], 0)
			}
			continue
		}
		stride = max(stride, 1)
		for c0 := 0; c0 < n; c0 += chunkRows {
			c := min(chunkRows, n-c0)
			first := r0 + c0*stride
			nk := 0
			for i := 0; i < c; i++ {
				nk = max(nk, sp.Len[first+i*stride])
			}
			out = append(out, first, stride, c, b, nk, 0)
		}
	}
	return out
}

// chunkRows is the largest number of query rows in one group of Attend.
const chunkRows = 64

// gatherMin is the smallest group of query rows whose operands Attend
// gathers (gatherRows); smaller groups, and groups whose query and key
// rows are already contiguous (CausalSpansBatchMajor), read them in place.
const gatherMin = 8

// groupMax returns the largest number of query rows and of keys of the ng
// groups in grp.
func groupMax(grp []int, ng int) (rows, keys int) {
	for i := 0; i < ng; i++ {
		f := grp[i*groupFields:]
		rows, keys = max(rows, f[2]), max(keys, f[4])
	}
	return rows, keys
}

// gatherRows copies the n rows first, first+stride, ... of width w of src
// into consecutive rows of dst and returns them. The products of Attend
// run on such gathered copies: in the time-major layout the rows of one
// batch column lie B rows apart, and reading them strided in the matrix
// products' packing costs a cache (and TLB) miss per row and product.
func gatherRows(dst, src []float64, first, stride, n, w int) []float64 {
	dst = dst[:n*w]
	for i := 0; i < n; i++ {
		r := first + i*stride
		copy(dst[i*w:(i+1)*w], src[r*w:(r+1)*w])
	}
	return dst
}

// scatterAddRows adds the consecutive rows of src (width w) into rows
// first, first+stride, ... of dst.
func scatterAddRows(dst, src []float64, first, stride, n, w int) {
	for i := 0; i < n; i++ {
		r := first + i*stride
		d := dst[r*w : (r+1)*w]
		for j, v := range src[i*w : (i+1)*w] {
			d[j] += v
		}
	}
}

type attendArgs struct {
	q, k, v, sk, sv *engine.Tensor
	heads, stride   int
	extra           int
	lens            []int     // per query row
	scr             []float64 // gathered rows of one group (groupMax sizes)
}

// gemmTile is the largest output tile of one Dgemm call: gonum runs
// products of four or more 64×64 output blocks on new goroutines, pure
// overhead for the small products of attention (and a second level of
// parallelism under the models' worker goroutines), so gemm keeps every
// call within one block.
const gemmTile = 64

// gemm is C = alpha·op(A)·op(B) + beta·C on row-major strided views, in
// output tiles of at most gemmTile×gemmTile.
func gemm(tA, tB bool, m, n, kk int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if kk == 0 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	ta, tb := blasTrans(tA), blasTrans(tB)
	impl := blas64.Implementation()
	for i0 := 0; i0 < m; i0 += gemmTile {
		mi := min(gemmTile, m-i0)
		var ai []float64
		if tA {
			ai = a[i0:] // columns i0.. of the stored Aᵀ
		} else {
			ai = a[i0*lda:] // rows i0.. of A
		}
		for j0 := 0; j0 < n; j0 += gemmTile {
			nj := min(gemmTile, n-j0)
			var bj []float64
			if tB {
				bj = b[j0*ldb:] // rows j0.. of the stored Bᵀ
			} else {
				bj = b[j0:] // columns j0.. of B
			}
			impl.Dgemm(ta, tb, mi, nj, kk, alpha, ai, lda, bj, ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}

// blasTrans is blas.Trans for true, blas.NoTrans for false.
func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gemmBand is gemm for a product of which only a band matters
// (igemm.DgemmBand); with a Full band it is gemm.
func gemmBand(tA, tB bool, m, n, kk int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, band igemm.Band) {
	if band.Kind == igemm.Full {
		gemm(tA, tB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blasTrans(tA), blasTrans(tB)
	igemm.DgemmBand(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc, band)
}

// causal returns the bands of a group of nr query rows (row j is query
// r0 + j·qs) over nk keys when the rows see growing prefixes of the keys,
// row j the keys 0..d+j (causal self-attention): the scores and dP are
// wanted, and P and dS non-zero, only up to that diagonal (lower: LowerC
// for the scores, LowerA for P·V and dS·K, UpperA for Pᵀ·dO and dSᵀ·Q).
// For any other group every band is Full.
func causal(lens []int, r0, qs, nr, nk int) (lowC, lowA, upA igemm.Band) {
	d := lens[r0] - 1
	if nk != d+nr {
		return
	}
	for j := 1; j < nr; j++ {
		if lens[r0+j*qs] != d+1+j {
			return
		}
	}
	return igemm.Band{Kind: igemm.LowerC, Off: d}, igemm.Band{Kind: igemm.LowerA, Off: d}, igemm.Band{Kind: igemm.UpperA, Off: -d}
}

func (a *attendArgs) forward(f []int, probs []float64, out *engine.Tensor) {
	r0, qs, nq, kb, nk, off := f[0], f[1], f[2], f[3], f[4], f[5]
	dq, dvAll := a.q.Cols(), a.v.Cols()
	dk, dv := dq/a.heads, dvAll/a.heads
	m := nk + a.extra
	scale := 1 / math.Sqrt(float64(dk))
	// the group's query, key and value rows, and its output: contiguous
	// copies for a group of several rows, else the rows in place
	gather := nq >= gatherMin && !(qs == 1 && a.stride == 1)
	var qg, kg, vg, og []float64
	ldq, ldk, ldv, ldo := qs*dq, a.stride*dq, a.stride*dvAll, qs*dvAll
	if gather {
		ldq, ldk, ldv, ldo = dq, dq, dvAll, dvAll
		scr := a.scr
		qg = gatherRows(scr, a.q.Data, r0, qs, nq, dq)
		scr = scr[nq*dq:]
		og = scr[:nq*dvAll]
		scr = scr[nq*dvAll:]
		if nk > 0 {
			kg = gatherRows(scr, a.k.Data, kb, a.stride, nk, dq)
			vg = gatherRows(scr[nk*dq:], a.v.Data, kb, a.stride, nk, dvAll)
		} else {
			clear(og)
		}
	} else {
		qg, og = a.q.Data[r0*dq:], out.Data[r0*dvAll:] // out is zeroed
		if nk > 0 {
			kg, vg = a.k.Data[kb*dq:], a.v.Data[kb*dvAll:]
		}
	}
	lowC, lowA, _ := causal(a.lens, r0, qs, nq, nk)
	for h := 0; h < a.heads; h++ {
		p := probs[off+h*nq*m : off+(h+1)*nq*m]
		// scores against the group's keys (those past a causal row's
		// diagonal are not computed: the row is cleared past its keys)
		if nk > 0 {
			gemmBand(false, true, nq, nk, dk, scale, qg[h*dk:], ldq, kg[h*dk:], ldk, 0, p, m, lowC)
		}
		for i := 0; i < nq; i++ {
			r := r0 + i*qs
			row := p[i*m : (i+1)*m]
			n := a.lens[r]
			if a.extra == 1 {
				row[nk] = dot(a.q.Data[r*dq+h*dk:r*dq+(h+1)*dk], a.sk.Data[r*dq+h*dk:r*dq+(h+1)*dk]) * scale
			}
			mx := math.Inf(-1)
			for _, v := range row[:n] {
				if v > mx {
					mx = v
				}
			}
			if a.extra == 1 && row[nk] > mx {
				mx = row[nk]
			}
			for j := 0; j < n; j++ {
				row[j] -= mx
			}
			vecmath.Exp(row[:n], row[:n])
			sum := 0.0
			for _, v := range row[:n] {
				sum += v
			}
			clear(row[n:nk])
			if a.extra == 1 {
				row[nk] = math.Exp(row[nk] - mx)
				sum += row[nk]
			}
			inv := 1 / sum
			for j := range row {
				row[j] *= inv
			}
		}
		if nk > 0 {
			gemmBand(false, false, nq, dv, nk, 1, p, m, vg[h*dv:], ldv, 0, og[h*dv:], ldo, lowA)
		}
		if a.extra == 1 {
			for i := 0; i < nq; i++ {
				r := r0 + i*qs
				axpy(p[i*m+nk], a.sv.Data[r*dvAll+h*dv:r*dvAll+(h+1)*dv], og[i*ldo+h*dv:i*ldo+(h+1)*dv])
			}
		}
	}
	if !gather {
		return
	}
	for i := 0; i < nq; i++ {
		r := r0 + i*qs
		copy(out.Data[r*dvAll:(r+1)*dvAll], og[i*dvAll:(i+1)*dvAll])
	}
}

func shapeOf(x *engine.Tensor) []int {
	if x == nil {
		return nil
	}
	return x.Shape()
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// axpy adds a·x into y.
func axpy(a float64, x, y []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

type attendOp struct{}

func (attendOp) Backward(t *engine.Tape, n *engine.Node) {
	q, k, v, sk, sv := n.In[0], n.In[1], n.In[2], n.In[3], n.In[4]
	g := n.Out[0].Grad
	heads, stride, extra, ng := n.Ints[0], n.Ints[1], n.Ints[2], n.Ints[3]
	nq, dq, dvAll := q.Rows(), q.Cols(), v.Cols()
	dk, dv := dq/heads, dvAll/heads
	lens, grp := n.Ints[4:4+nq], n.Ints[4+nq:]
	scale := 1 / math.Sqrt(float64(dk))
	maxBlock := 0
	for i := 0; i < ng; i++ {
		f := grp[i*groupFields:]
		maxBlock = max(maxBlock, f[2]*(f[4]+extra))
	}
	mr, mk := groupMax(grp, ng)
	ds := t.FloatsNoZero(maxBlock)
	// gathered rows of one group: q, dO, k, v, and the gradients of q, k,
	// v; dsSelf keeps the self column of dS for every head
	scr := t.FloatsNoZero(mr*(2*dq+2*dvAll) + mk*(2*dq+2*dvAll) + mr*heads*extra)
	for i := 0; i < ng; i++ {
		f := grp[i*groupFields:]
		r0, qs, nr, kb, nk, off := f[0], f[1], f[2], f[3], f[4], f[5]
		m := nk + extra
		// operands and gradients: gathered copies (gradients then
		// scattered) for a group of several rows, else in place
		gather := nr >= gatherMin && !(qs == 1 && stride == 1)
		w := scr
		var qg, gg, dqg, kg, vg, dkg, dvg []float64
		ldq, ldg, ldk, ldv := qs*dq, qs*dvAll, stride*dq, stride*dvAll
		beta := 1.0
		if gather {
			ldq, ldg, ldk, ldv, beta = dq, dvAll, dq, dvAll, 0
			qg = gatherRows(w, q.Data, r0, qs, nr, dq)
			w = w[nr*dq:]
			gg = gatherRows(w, g, r0, qs, nr, dvAll)
			w = w[nr*dvAll:]
			dqg = w[:nr*dq]
			w = w[nr*dq:]
			if nk > 0 {
				kg = gatherRows(w, k.Data, kb, stride, nk, dq)
				w = w[nk*dq:]
				vg = gatherRows(w, v.Data, kb, stride, nk, dvAll)
				w = w[nk*dvAll:]
				dkg, dvg = w[:nk*dq], w[nk*dq:nk*dq+nk*dvAll]
				w = w[nk*dq+nk*dvAll:]
			}
		} else {
			qg, gg = q.Data[r0*dq:], g[r0*dvAll:]
			if q.Grad != nil {
				dqg = q.Grad[r0*dq:]
			}
			if nk > 0 {
				kg, vg = k.Data[kb*dq:], v.Data[kb*dvAll:]
				if k.Grad != nil {
					dkg = k.Grad[kb*dq:]
				}
				if v.Grad != nil {
					dvg = v.Grad[kb*dvAll:]
				}
			}
		}
		dsSelf := w[:nr*heads*extra]
		lowC, lowA, upA := causal(lens, r0, qs, nr, nk)
		for h := 0; h < heads; h++ {
			p := n.Cache[off+h*nr*m : off+(h+1)*nr*m]
			d := ds[:nr*m]
			// dP = dO·Vᵀ (and the self column); dP past a causal row's
			// diagonal is not computed
			if nk > 0 {
				gemmBand(false, true, nr, nk, dv, 1, gg[h*dv:], ldg, vg[h*dv:], ldv, 0, d, m, lowC)
				if v.Grad != nil { // dV = Pᵀ·dO
					gemmBand(true, false, nk, dv, nr, 1, p, m, gg[h*dv:], ldg, beta, dvg[h*dv:], ldv, upA)
				}
			}
			for j := 0; j < nr; j++ {
				r := r0 + j*qs
				nj := lens[r] // keys of the row; P is 0 past them
				row, drow := p[j*m:(j+1)*m], d[j*m:(j+1)*m]
				gr := gg[j*ldg+h*dv : j*ldg+(h+1)*dv]
				c := 0.0
				for x, pv := range row[:nj] {
					c += pv * drow[x]
				}
				if extra == 1 {
					drow[nk] = dot(gr, sv.Data[r*dvAll+h*dv:r*dvAll+(h+1)*dv])
					if sv.Grad != nil {
						axpy(row[nk], gr, sv.Grad[r*dvAll+h*dv:r*dvAll+(h+1)*dv])
					}
					c += row[nk] * drow[nk]
					drow[nk] = row[nk] * (drow[nk] - c) * scale
				}
				for x, pv := range row[:nj] {
					drow[x] = pv * (drow[x] - c) * scale
				}
				clear(drow[nj:nk])
			}
			if q.Grad != nil && nk > 0 { // dQ = dS·K
				gemmBand(false, false, nr, dk, nk, 1, d, m, kg[h*dk:], ldk, beta, dqg[h*dk:], ldq, lowA)
			}
			if k.Grad != nil && nk > 0 { // dK = dSᵀ·Q
				gemmBand(true, false, nk, dk, nr, 1, d, m, qg[h*dk:], ldq, beta, dkg[h*dk:], ldk, upA)
			}
			if extra == 1 {
				for j := 0; j < nr; j++ {
					dsSelf[j*heads+h] = d[j*m+nk]
				}
			}
		}
		if gather && nk > 0 {
			if q.Grad != nil {
				scatterAddRows(q.Grad, dqg, r0, qs, nr, dq)
			}
			if k.Grad != nil {
				scatterAddRows(k.Grad, dkg, kb, stride, nk, dq)
			}
			if v.Grad != nil {
				scatterAddRows(v.Grad, dvg, kb, stride, nk, dvAll)
			}
		}
		if extra == 1 {
			for j := 0; j < nr; j++ {
				r := r0 + j*qs
				for h := 0; h < heads; h++ {
					dsv := dsSelf[j*heads+h]
					if q.Grad != nil {
						axpy(dsv, sk.Data[r*dq+h*dk:r*dq+(h+1)*dk], q.Grad[r*dq+h*dk:r*dq+(h+1)*dk])
					}
					if sk.Grad != nil {
						axpy(dsv, q.Data[r*dq+h*dk:r*dq+(h+1)*dk], sk.Grad[r*dq+h*dk:r*dq+(h+1)*dk])
					}
				}
			}
		}
	}
}
