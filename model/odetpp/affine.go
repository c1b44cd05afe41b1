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
