package odetpp

import "math"

// affineRowsFMA writes out_i = x_i·W + b for the n rows of x ([n×k] row
// major), W [k×c] row major, b of length c and out [n×c] row major: each
// element as fused multiply-adds in ascending order of the inner index,
// starting from the bias. The AVX2+FMA kernel (c a multiple of 16) and
// the Go loop compute the same roundings, so the result depends on the
// arguments only, not on the path or on how many rows one call takes:
// the field of one state (field) and of a block of states (fieldBlock)
// agree bit for bit, and so do the heads.
//
// Why not internal/gemm: most calls here are one row (the scalar field, the
// kink of each grid step) or a panel's 15, with W at most 32×32. gemm packs
// its operands per call (or, with PackedB, per law) and goes through a
// scratch pool, which costs more than such a product itself; this kernel
// reads W in place, one row of x at a time. Measured on Taxi's test split:
// gonum's Dgemv and Dgemm gave the batched path about 10% over per-row
// Dgemv, this kernel 1.6×.
func affineRowsFMA(n, k, c int, x, w, b, out []float64) {
	if n == 0 {
		return
	}
	_, _, _ = x[n*k-1], w[k*c-1], out[n*c-1]
	b = b[:c]
	if useAffineAsm && c%16 == 0 {
		affineAVX2(n, k, c, &x[0], &w[0], &b[0], &out[0])
		return
	}
	for i := 0; i < n; i++ {
		xr, or := x[i*k:(i+1)*k], out[i*c:(i+1)*c]
		copy(or, b)
		for d, xv := range xr {
			row := w[d*c : (d+1)*c]
			for j, v := range row {
				or[j] = math.FMA(xv, v, or[j])
			}
		}
	}
}
