package gemm

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// Register and cache blocking. A tile of C is mr×nr; packed A holds
// micro-panels of mr rows of op(A) (column of mr values per inner index),
// packed B holds micro-panels of nr columns of op(B) (row of nr values per
// inner index). The inner dimension is split into blocks of at most kcMax,
// balanced so that all blocks have almost the same length; that split is a
// function of k alone, which makes the rounding of every element of C
// depend on the arguments only.
const (
	mr    = 6
	nr    = 8
	kcMax = 256
	mcMax = 96   // multiple of mr; mcMax×kcMax doubles of packed A (L2)
	ncMax = 2048 // multiple of nr; ncMax×kcMax doubles of packed B
)

// Panic messages, identical to gonum's.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
	shortBias    = "gemm: insufficient length of bias"
	shortS       = "gemm: insufficient length of the added matrix"
	badLdS       = "gemm: bad leading dimension of the added matrix"
)

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n. It has
// the semantics and argument checks of gonum's
// blas/gonum.Implementation.Dgemm (ConjTrans is Trans); when beta is 0, C is
// not read. It runs on the calling goroutine and does not allocate in
// steady state. The result depends only on the arguments (and on whether
// which kernel runs, see useAsm and use512: all paths round identically).
func Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	gemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, opts{})
}

// checkArgs panics, with gonum's messages, unless the arguments describe a
// valid product; it reports whether C is non-empty (m, n > 0).
func checkArgs(tA, tB blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) bool {
	switch tA {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	switch tB {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	aT := tA != blas.NoTrans
	bT := tB != blas.NoTrans
	checkLdA(aT, m, k, lda)
	if bT {
		if ldb < max(1, k) {
			panic(badLdB)
		}
	} else if ldb < max(1, n) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return false
	}
	checkLenA(aT, m, k, a, lda)
	if bT {
		if len(b) < (n-1)*ldb+k {
			panic(shortB)
		}
	} else if len(b) < (k-1)*ldb+n {
		panic(shortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(shortC)
	}
	return true
}

// DgemmBias computes C = alpha·op(A)·op(B) + 1·bias, the row vector bias
// (n values) added to every row of C, whose old contents are not read. The
// result is bit-identical to filling every row of C with bias and calling
// Dgemm with beta = 1, without that extra pass over C (a linear layer's
// bias). Arguments are checked as in Dgemm.
func DgemmBias(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, bias []float64, c []float64, ldc int) {
	if len(bias) < n {
		panic(shortBias)
	}
	if !checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		return
	}
	if alpha != 0 && k > 0 {
		gemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, 1, c, ldc, opts{s: bias[:n]})
		return
	}
	for i := 0; i < m; i++ {
		copy(c[i*ldc:i*ldc+n], bias[:n])
	}
}

// opts are a product's options beyond Dgemm's arguments. s is a matrix S
// that the first inner block adds instead of C (beta is then 1): row i of
// S at s[i·ld], ld = 0 for one row repeated (a bias); s nil: none. band
// (DgemmBand) limits the tiles computed.
type opts struct {
	s    []float64
	ld   int
	band Band
}

// scaleC sets C = beta·C (C = 0 when beta is 0, without reading C).
// checkLdA panics unless lda fits op(A) (m×k, stored k×m when aT).
func checkLdA(aT bool, m, k, lda int) {
	if aT {
		if lda < max(1, m) {
			panic(badLdA)
		}
	} else if lda < max(1, k) {
		panic(badLdA)
	}
}

// checkLenA panics unless a holds op(A) (m, k > 0) with leading dimension
// lda.
func checkLenA(aT bool, m, k int, a []float64, lda int) {
	if aT {
		if len(a) < (k-1)*lda+m {
			panic(shortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(shortA)
	}
}

func scaleC(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// scratch holds the packing buffers of one call.
type scratch struct {
	a, b []float64
	tile [mr * nr]float64
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// gemm is Dgemm for checked arguments with m, n, k > 0 and alpha != 0.
//
// Every element of C is computed as follows, on both the assembly and the
// Go path: for each block [p0, p0+kc) of the inner index, in order,
// acc = fma(op(A)[i][p], op(B)[p][j], acc) for p ascending from acc = 0,
// t = alpha·acc, and C = t (first block, beta = 0), C = fma(C, beta, t)
// (first block, beta != 0) or C = fma(C, 1, t) = C + t (later blocks).
//
// With a merge matrix mg.s (see opts), the first block merges it instead of
// C: C = fma(S[i][j], 1, t), exactly what copying S into C and calling with
// beta = 1 gives, without that pass over C.
func gemm(aT, bT bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, mg opts) {
	nkb := (k + kcMax - 1) / kcMax
	kcb := (k + nkb - 1) / nkb

	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	ncAll := min(ncMax, (n+nr-1)/nr*nr)
	s.b = grow(s.b, ncAll*kcb)
	if useAsm {
		s.a = grow(s.a, mr*kcb)
		gemmAsm(s, aT, bT, m, n, k, kcb, alpha, a, lda, b, ldb, beta, c, ldc, mg)
		return
	}
	s.a = grow(s.a, min(mcMax, (m+mr-1)/mr*mr)*kcb)
	gemmGo(s, aT, bT, m, n, k, kcb, alpha, a, lda, b, ldb, beta, c, ldc, mg)
}

// gemmGo is the portable path: A and B are packed in blocks of mcMax×kc
// and kc×ncMax, and kernGo computes each tile.
func gemmGo(s *scratch, aT, bT bool, m, n, k, kcb int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, mg opts) {
	for jc := 0; jc < n; jc += ncMax {
		nc := min(ncMax, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			packB(bT, kc, nc, b, ldb, pc, jc, s.b)
			bt, load, src, lds := beta, beta != 0, c[jc:], ldc
			switch {
			case pc > 0:
				bt, load = 1, true
			case mg.s != nil:
				bt, load, src, lds = 1, true, mg.s[jc:], mg.ld
			}
			for ic := 0; ic < m; ic += mcMax {
				mc := min(mcMax, m-ic)
				packA(aT, mc, kc, a, lda, ic, pc, s.a)
				for jr := 0; jr < nc; jr += nr {
					nn := min(nr, nc-jr)
					pb := s.b[jr*kc : jr*kc+nr*kc]
					for ir := 0; ir < mc; ir += mr {
						mm := min(mr, mc-ir)
						pa := s.a[ir*kc : ir*kc+mr*kc]
						kernGo(kc, pa, pb, alpha, &s.tile)
						storeTile(&s.tile, mm, nn, c[(ic+ir)*ldc+jc+jr:], ldc, bt, load, src[(ic+ir)*lds+jr:], lds)
					}
				}
			}
		}
	}
}

// gemmAsm is the assembly path. B is packed in blocks of kc×ncMax; the
// kernel reads full 6-row panels of op(A) where they lie (rows of A
// for NoTrans, columns for Trans), so only a last partial panel of A is
// packed (zero padded). For each panel of A, the loop over the panels of
// B is innermost, so that the panel of A stays in L1 and packed B in L2.
// Partial tiles of C go through a scratch tile with the AVX2 kernel and
// through column masks and a row count with the AVX-512 kernels.
func gemmAsm(s *scratch, aT, bT bool, m, n, k, kcb int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, mg opts) {
	if !bT && m <= inPlaceMaxM && ldb <= inPlaceMaxLdb {
		// B row-major and few row panels of A to reuse a packed copy:
		// the kernel reads B's full 8-column panels in place (8
		// contiguous values per inner index, row stride ldb); only a
		// last partial panel is packed
		gemmAsmFrom(s, aT, m, n, k, kcb, alpha, a, lda, beta, c, ldc, mg, b, ldb, nil)
		return
	}
	gemmAsmFrom(s, aT, m, n, k, kcb, alpha, a, lda, beta, c, ldc, mg, nil, 0, func(kc, nc, pc, jc int) []float64 {
		packB(bT, kc, nc, b, ldb, pc, jc, s.b)
		return s.b
	})
}

// inPlaceMaxM and inPlaceMaxLdb bound the products for which gemmAsm
// reads a row-major B in place rather than packing it. Packing costs a
// pass over B per inner block and pays off when many 6-row panels of A
// reuse the packed copy: for m in the thousands (a layer's forward product
// over a batch) in place is up to 4% slower; for the short products of
// weight gradients (m = a layer's inputs: 11–20% faster in place), of
// attention over one sequence (15–20%) and of recurrent steps (m = the
// batch: 5–8%) it is faster. A wide B read in place strides through
// memory a page or more per inner index (ldb = 512: 75% slower at
// m = 1024), so its rows must be short.
const (
	inPlaceMaxM   = 1024
	inPlaceMaxLdb = 128
)

// gemmAsmPacked is gemmAsm with op(B) packed in advance (PackedB: the
// blocks in the order gemmAsmFrom asks for them).
func gemmAsmPacked(s *scratch, aT bool, m, n, k, kcb int, alpha float64, a []float64, lda int, packed []float64, beta float64, c []float64, ldc int, mg opts) {
	off := 0
	gemmAsmFrom(s, aT, m, n, k, kcb, alpha, a, lda, beta, c, ldc, mg, nil, 0, func(kc, nc, pc, jc int) []float64 {
		blk := packed[off : off+(nc+nr-1)/nr*nr*kc]
		off += len(blk)
		return blk
	})
}

// gemmAsmFrom runs the blocked product with the packed blocks of op(B)
// from panelB, called once per block in order (column blocks of ncMax,
// then inner blocks of kcb); mg as in gemm. With bIn (a row-major
// op(B), row stride ldb) instead, full panels of op(B) are read in place
// and only a last partial panel of each block is packed.
func gemmAsmFrom(s *scratch, aT bool, m, n, k, kcb int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int, mg opts, bIn []float64, ldb int, panelB func(kc, nc, pc, jc int) []float64) {
	for jc := 0; jc < n; jc += ncMax {
		nc := min(ncMax, n-jc)
		for pc := 0; pc < k; pc += kcb {
			kc := min(kcb, k-pc)
			var pbk []float64
			full := nc / nr * nr // columns of the full panels
			if bIn == nil {
				pbk = panelB(kc, nc, pc, jc)
			} else if full < nc {
				packB(false, kc, nc-full, bIn, ldb, pc, jc+full, s.b[:nr*kc])
			}
			bt, load, onMerge := beta, beta != 0, false
			switch {
			case pc > 0:
				bt, load = 1, true
			case mg.s != nil:
				bt, load, onMerge = 1, true, true
			}
			for ir := 0; ir < m; {
				// rows of A per tile: 12 with the AVX-512 kernel while
				// two full panels remain, else 6
				rows := mr
				if use512 && m-ir >= 2*mr {
					rows = 2 * mr
				}
				mm := min(rows, m-ir)
				// the panel's inner indices [lo, hi) of this block and its
				// columns [0, ncp) of this column block (DgemmBand)
				lo, hi, ncp := mg.band.span(ir, mm, pc, kc, jc, nc)
				if lo >= hi || ncp <= 0 {
					ir += rows
					continue
				}
				var pa []float64
				var ars, aps int
				switch {
				case mm < mr:
					packA(aT, mm, kc, a, lda, ir, pc, s.a)
					pa, ars, aps = s.a, 1, mr
				case aT:
					pa, ars, aps = a[pc*lda+ir:], 1, lda
				default:
					pa, ars, aps = a[ir*lda+pc:], lda, 1
				}
				pa = pa[lo*aps:]
				for jr := 0; jr < ncp; jr += nr {
					nn := min(nr, nc-jr)
					var pb *float64
					bs := nr
					switch {
					case bIn == nil:
						pb = &pbk[jr*kc+lo*nr]
					case nn == nr:
						pb, bs = &bIn[(pc+lo)*ldb+jc+jr], ldb
					default:
						pb = &s.b[lo*nr]
					}
					off := ir*ldc + jc + jr
					src, lds := c[off:], ldc
					if onMerge {
						src, lds = mg.s[ir*mg.ld+jc+jr:], mg.ld
					}
					switch {
					case use512 && rows == 2*mr:
						kern12AVX512(hi-lo, &pa[0], ars, aps, pb, &c[off], ldc, alpha, bt, b2i(load), &src[0], lds, bs, 1<<nn-1)
					case use512:
						kern6AVX512(hi-lo, &pa[0], ars, aps, pb, &c[off], ldc, alpha, bt, b2i(load), &src[0], lds, bs, 1<<nn-1, mm)
					case mm == mr && nn == nr:
						kernAVX2(hi-lo, &pa[0], ars, aps, pb, &c[off], ldc, alpha, bt, b2i(load), &src[0], lds, bs)
					default: // a partial tile through the scratch tile
						kernAVX2(hi-lo, &pa[0], ars, aps, pb, &s.tile[0], nr, alpha, 0, 0, &s.tile[0], nr, bs)
						storeTile(&s.tile, mm, nn, c[off:], ldc, bt, load, src, lds)
					}
				}
				ir += rows
			}
		}
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// storeTile merges t = alpha·acc (row-major mr×nr) into the mm×nn corner
// of C: C = t when !load, else C = fma(S, beta, t) with row i of S at
// src[i·lds] (S is C itself, or a bias row with lds = 0), as the kernel
// does.
func storeTile(t *[mr * nr]float64, mm, nn int, c []float64, ldc int, beta float64, load bool, src []float64, lds int) {
	for i := 0; i < mm; i++ {
		row := c[i*ldc : i*ldc+nn]
		tr := t[i*nr : i*nr+nn]
		if !load {
			copy(row, tr)
			continue
		}
		sr := src[i*lds : i*lds+nn]
		for j, v := range tr {
			row[j] = math.FMA(sr[j], beta, v)
		}
	}
}

// packA packs rows [ic, ic+mc) and inner indices [pc, pc+kc) of op(A) into
// micro-panels of mr rows: dst[ir*kc + p*mr + r] = op(A)[ic+ir+r][pc+p],
// with rows past mc set to zero.
func packA(aT bool, mc, kc int, a []float64, lda, ic, pc int, dst []float64) {
	for ir := 0; ir < mc; ir += mr {
		mm := min(mr, mc-ir)
		d := dst[ir*kc : ir*kc+mr*kc]
		i0 := ic + ir
		if aT {
			// op(A)[i][p] = a[p*lda+i]: mm contiguous values per p.
			if mm == mr {
				src := a[pc*lda+i0:]
				for p := 0; p < kc; p++ {
					dp, sp := (*[mr]float64)(d[p*mr:]), (*[mr]float64)(src[p*lda:])
					dp[0], dp[1], dp[2] = sp[0], sp[1], sp[2]
					dp[3], dp[4], dp[5] = sp[3], sp[4], sp[5]
				}
				continue
			}
			clear(d)
			for p := 0; p < kc; p++ {
				copy(d[p*mr:p*mr+mm], a[(pc+p)*lda+i0:(pc+p)*lda+i0+mm])
			}
			continue
		}
		// op(A)[i][p] = a[i*lda+p]: one row of A per r.
		if mm == mr {
			r0 := a[(i0+0)*lda+pc : (i0+0)*lda+pc+kc]
			r1 := a[(i0+1)*lda+pc : (i0+1)*lda+pc+kc]
			r2 := a[(i0+2)*lda+pc : (i0+2)*lda+pc+kc]
			r3 := a[(i0+3)*lda+pc : (i0+3)*lda+pc+kc]
			r4 := a[(i0+4)*lda+pc : (i0+4)*lda+pc+kc]
			r5 := a[(i0+5)*lda+pc : (i0+5)*lda+pc+kc]
			for p := range r0 {
				dp := d[p*mr : p*mr+mr : p*mr+mr]
				dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		clear(d)
		for r := 0; r < mm; r++ {
			row := a[(i0+r)*lda+pc : (i0+r)*lda+pc+kc]
			for p, v := range row {
				d[p*mr+r] = v
			}
		}
	}
}

// packB packs inner indices [pc, pc+kc) and columns [jc, jc+nc) of op(B)
// into micro-panels of nr columns: dst[jr*kc + p*nr + j] =
// op(B)[pc+p][jc+jr+j], with columns past nc set to zero.
func packB(bT bool, kc, nc int, b []float64, ldb, pc, jc int, dst []float64) {
	for jr := 0; jr < nc; jr += nr {
		nn := min(nr, nc-jr)
		d := dst[jr*kc : jr*kc+nr*kc]
		j0 := jc + jr
		if !bT {
			// op(B)[p][j] = b[p*ldb+j]: nn contiguous values per p.
			if nn == nr {
				src := b[pc*ldb+j0:]
				for p := 0; p < kc; p++ {
					// element-wise, not an array copy: the compiler
					// calls memmove for a 64-byte array
					dp, sp := (*[nr]float64)(d[p*nr:]), (*[nr]float64)(src[p*ldb:])
					dp[0], dp[1], dp[2], dp[3] = sp[0], sp[1], sp[2], sp[3]
					dp[4], dp[5], dp[6], dp[7] = sp[4], sp[5], sp[6], sp[7]
				}
				continue
			}
			clear(d)
			for p := 0; p < kc; p++ {
				copy(d[p*nr:p*nr+nn], b[(pc+p)*ldb+j0:(pc+p)*ldb+j0+nn])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: one row of B per column j.
		if nn == nr {
			// eight rows of B at a time, written in order
			src := b[j0*ldb+pc:]
			r0 := src[0*ldb : 0*ldb+kc]
			r1 := src[1*ldb : 1*ldb+kc]
			r2 := src[2*ldb : 2*ldb+kc]
			r3 := src[3*ldb : 3*ldb+kc]
			r4 := src[4*ldb : 4*ldb+kc]
			r5 := src[5*ldb : 5*ldb+kc]
			r6 := src[6*ldb : 6*ldb+kc]
			r7 := src[7*ldb : 7*ldb+kc]
			for p := range r0 {
				dp := (*[nr]float64)(d[p*nr:])
				dp[0], dp[1], dp[2], dp[3] = r0[p], r1[p], r2[p], r3[p]
				dp[4], dp[5], dp[6], dp[7] = r4[p], r5[p], r6[p], r7[p]
			}
			continue
		}
		if nn < nr {
			clear(d)
		}
		for j := 0; j < nn; j++ {
			row := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kc]
			for p, v := range row {
				d[p*nr+j] = v
			}
		}
	}
}

// kernGo is the portable micro-kernel: t = alpha·(packed A panel)·(packed
// B panel) for one mr×nr tile, with the rounding of the assembly kernel
// (one fused multiply-add per inner index, in ascending order). It works
// on 2×4 sub-tiles so that the accumulators fit in registers.
func kernGo(kc int, pa, pb []float64, alpha float64, t *[mr * nr]float64) {
	pa = pa[:kc*mr]
	pb = pb[:kc*nr]
	for r := 0; r < mr; r += 2 {
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float64
			for p := 0; p < kc; p++ {
				av := pa[p*mr+r : p*mr+r+2 : p*mr+r+2]
				bv := pb[p*nr+j : p*nr+j+4 : p*nr+j+4]
				a0, a1 := av[0], av[1]
				b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
				c00 = math.FMA(a0, b0, c00)
				c01 = math.FMA(a0, b1, c01)
				c02 = math.FMA(a0, b2, c02)
				c03 = math.FMA(a0, b3, c03)
				c10 = math.FMA(a1, b0, c10)
				c11 = math.FMA(a1, b1, c11)
				c12 = math.FMA(a1, b2, c12)
				c13 = math.FMA(a1, b3, c13)
			}
			t0 := t[r*nr+j : r*nr+j+4 : r*nr+j+4]
			t1 := t[(r+1)*nr+j : (r+1)*nr+j+4 : (r+1)*nr+j+4]
			t0[0], t0[1], t0[2], t0[3] = alpha*c00, alpha*c01, alpha*c02, alpha*c03
			t1[0], t1[1], t1[2], t1[3] = alpha*c10, alpha*c11, alpha*c12, alpha*c13
		}
	}
}

// Accelerated reports whether Dgemm runs the AVX2+FMA micro-kernel (false:
// the portable Go path, slower than gonum's own Dgemm).
func Accelerated() bool { return useAsm }

// Band tells DgemmBand which part of a product matters, per row i of C
// (and of op(A)), with d = Off:
//
//	Full:   everything (Dgemm).
//	LowerC: only C[i][j] with j ≤ i + d is wanted; other elements of C
//	        inside the m×n window may be left as they were or written.
//	LowerA: op(A)[i][p] = 0 for p > i + d.
//	UpperA: op(A)[i][p] = 0 for p < i + d.
//
// The product skips the tiles of C that are not wanted (LowerC) and the
// inner indices of each panel of rows whose values of op(A) are all zero
// (LowerA, UpperA): triangular attention, whose scores are wanted and
// whose probabilities are non-zero only up to the diagonal.
type Band struct {
	Kind BandKind
	Off  int
}

// BandKind is the shape of a Band.
type BandKind int

// The shapes of a Band.
const (
	Full BandKind = iota
	LowerC
	LowerA
	UpperA
)

// span returns, for the panel of mm rows from ir within the inner block
// [pc, pc+kc) and the column block [jc, jc+nc), the inner indices [lo, hi)
// relative to pc that may hold non-zero values of op(A), and the number of
// the block's columns that can hold wanted elements of C. In the first
// inner block (pc = 0), which initialises C, the range is never empty: it
// keeps one index, whose values of op(A) are zero.
func (b Band) span(ir, mm, pc, kc, jc, nc int) (lo, hi, ncp int) {
	lo, hi, ncp = 0, kc, nc
	switch b.Kind {
	case LowerC:
		ncp = min(nc, ir+mm+b.Off-jc) // columns j ≤ ir+mm−1+d
	case LowerA:
		hi = min(kc, ir+mm+b.Off-pc) // p ≤ ir+mm−1+d
	case UpperA:
		lo = max(0, ir+b.Off-pc) // p ≥ ir+d
	}
	if lo >= hi && pc == 0 {
		lo, hi = min(lo, kc-1), min(lo, kc-1)+1
	}
	return lo, hi, ncp
}

// DgemmBand is Dgemm for a product of which only a band matters (see
// Band). With LowerA or UpperA, C is Dgemm's bit for bit (the skipped
// terms are exact zeros; with an infinite or NaN value of op(B) facing
// them, Dgemm's result would be NaN, DgemmBand's is not, and a zero can
// differ in sign); with LowerC the wanted elements are Dgemm's bit for
// bit. The portable path computes the whole product.
func DgemmBand(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int, band Band) {
	if !checkArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	gemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, opts{band: band})
}
