package gemm

import "gonum.org/v1/gonum/blas"

// PackedB is the op(B) operand of Dgemm packed in advance, for a series of
// products that share it (a recurrent cell multiplies its hidden state by
// the same weight matrix at every step: packing the weights once per
// sequence instead of once per step saves a tenth of a small product's
// time). Results are bit-identical to Dgemm's with the unpacked operand.
// The packed copy does not follow later changes to the operand.
type PackedB struct {
	bT   bool
	k, n int
	kcb  int
	b    []float64 // the operand itself, for the portable path
	ldb  int
	data []float64 // the blocks packB would make, in the order gemmAsm uses them
}

// PackedLen is the length of the buffer NewPackedB needs for a k×n op(B).
func PackedLen(k, n int) int {
	if !useAsm || k == 0 || n == 0 {
		return 0
	}
	return (n + nr - 1) / nr * nr * k
}

// NewPackedB packs op(B) (k×n, B stored as for Dgemm with ldb) into buf,
// which must hold PackedLen(k, n) elements and must not be modified while
// the result is in use. On CPUs without the AVX2 kernel nothing is packed:
// the result refers to b and DgemmPacked calls Dgemm.
func NewPackedB(tB blas.Transpose, k, n int, b []float64, ldb int, buf []float64) PackedB {
	bT := tB != blas.NoTrans
	if tB != blas.NoTrans && tB != blas.Trans && tB != blas.ConjTrans {
		panic(badTranspose)
	}
	if k < 0 {
		panic(kLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if bT {
		if ldb < max(1, k) {
			panic(badLdB)
		}
		if n > 0 && k > 0 && len(b) < (n-1)*ldb+k {
			panic(shortB)
		}
	} else {
		if ldb < max(1, n) {
			panic(badLdB)
		}
		if n > 0 && k > 0 && len(b) < (k-1)*ldb+n {
			panic(shortB)
		}
	}
	p := PackedB{bT: bT, k: k, n: n, b: b, ldb: ldb}
	need := PackedLen(k, n)
	if need == 0 {
		return p
	}
	if len(buf) < need {
		panic("gemm: packing buffer too short")
	}
	nkb := (k + kcMax - 1) / kcMax
	p.kcb = (k + nkb - 1) / nkb
	p.data = buf[:need]
	off := 0
	for jc := 0; jc < n; jc += ncMax {
		nc := min(ncMax, n-jc)
		ncp := (nc + nr - 1) / nr * nr
		for pc := 0; pc < k; pc += p.kcb {
			kc := min(p.kcb, k-pc)
			packB(bT, kc, nc, b, ldb, pc, jc, p.data[off:off+ncp*kc])
			off += ncp * kc
		}
	}
	return p
}

// Cols returns the first n columns of op(B) as a PackedB of their own that
// shares p's packed data: a product with the history of a sequence's
// first n events when p holds all of them. It needs op(B) in one block
// (at most 256 rows and 2048 columns; it panics otherwise) and 0 ≤ n ≤
// N(). Products with the result are bit-identical to those with op(B)'s
// first n columns packed on their own: the packed columns past n in the
// last panel are computed into the kernel's scratch tile and discarded.
func (p *PackedB) Cols(n int) PackedB {
	if n < 0 || n > p.n {
		panic("gemm: PackedB.Cols out of range")
	}
	if p.k > kcMax || p.n > ncMax {
		panic("gemm: PackedB.Cols of an operand of several blocks")
	}
	q := *p
	q.n = n
	if q.data != nil {
		q.data = q.data[:PackedLen(p.k, n)]
	}
	return q
}

// K and N are the dimensions of op(B).
func (p *PackedB) K() int { return p.k }

// N is the number of columns of op(B).
func (p *PackedB) N() int { return p.n }

// DgemmPacked computes C = alpha·op(A)·op(B) + beta·C like Dgemm, with op(B)
// from p (m×k op(A), k×n op(B) and C as p was made).
func DgemmPacked(tA blas.Transpose, m int, alpha float64, a []float64, lda int, p *PackedB, beta float64, c []float64, ldc int) {
	if p.data == nil {
		tB := blas.NoTrans
		if p.bT {
			tB = blas.Trans
		}
		Dgemm(tA, tB, m, p.n, p.k, alpha, a, lda, p.b, p.ldb, beta, c, ldc)
		return
	}
	dgemmPacked(tA, m, alpha, a, lda, p, beta, c, ldc, opts{})
}

// DgemmPackedAdd computes C = alpha·op(A)·op(B) + S with op(B) from p, for
// an m×n matrix S with row stride lds (lds = 0: one row of n values added
// to every row, a bias); C's old contents are not read. It is
// bit-identical to copying S into C and calling DgemmPacked with beta = 1,
// without that pass over C (a recurrent cell's step: the input projection
// or the bias plus the hidden state times the recurrent weights). S may be
// C itself (lds = ldc).
func DgemmPackedAdd(tA blas.Transpose, m int, alpha float64, a []float64, lda int, p *PackedB, sm []float64, lds int, c []float64, ldc int) {
	n := p.n
	if lds < 0 || (lds > 0 && lds < n) {
		panic(badLdS)
	}
	if m > 0 && n > 0 && len(sm) < (m-1)*lds+n {
		panic(shortS)
	}
	if p.data == nil || m == 0 || n == 0 || alpha == 0 || p.k == 0 {
		if m > 0 && len(c) < (m-1)*ldc+n {
			panic(shortC)
		}
		for i := 0; i < m; i++ {
			copy(c[i*ldc:i*ldc+n], sm[i*lds:i*lds+n])
		}
		DgemmPacked(tA, m, alpha, a, lda, p, 1, c, ldc)
		return
	}
	dgemmPacked(tA, m, alpha, a, lda, p, 1, c, ldc, opts{s: sm, ld: lds})
}

// dgemmPacked checks the arguments of DgemmPacked for a packed p and runs
// the product, merging mg (if any) in the first inner block.
func dgemmPacked(tA blas.Transpose, m int, alpha float64, a []float64, lda int, p *PackedB, beta float64, c []float64, ldc int, mg opts) {
	if tA != blas.NoTrans && tA != blas.Trans && tA != blas.ConjTrans {
		panic(badTranspose)
	}
	if m < 0 {
		panic(mLT0)
	}
	aT := tA != blas.NoTrans
	n, k := p.n, p.k
	checkLdA(aT, m, k, lda)
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 {
		return
	}
	checkLenA(aT, m, k, a, lda)
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
	if alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.a = grow(s.a, mr*p.kcb)
	gemmAsmPacked(s, aT, m, n, k, p.kcb, alpha, a, lda, p.data, beta, c, ldc, mg)
}
