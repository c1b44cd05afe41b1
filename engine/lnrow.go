package engine

// Row kernels of LayerNorm's forward and backward passes (ops_shape.go).
// Each is an element-wise loop over one row: the AVX2 kernels of
// lnrow_amd64.s do four elements per instruction where the CPU has AVX2,
// with the same operations in the same order (separate multiplies and
// adds, no fused multiply-add), so both paths give the same bits; the Go
// loops below handle the other CPUs and the last len%4 elements.

// lnAffine sets h = h·rs and o = h·g + b.
func lnAffine(h, o, g, b []float64, rs float64) {
	n := len(h)
	o, g, b = o[:n], g[:n], b[:n]
	i := 0
	if lnAsm && n >= 4 {
		i = n &^ 3
		lnAffineAVX2(&h[0], &o[0], &g[0], &b[0], i, rs)
	}
	for ; i < n; i++ {
		hv := h[i] * rs
		h[i] = hv
		o[i] = float64(hv*g[i]) + b[i]
	}
}

// lnBackParams adds gr·h into gg and gr into bg (the gain's and the bias's
// gradients) and sets d = gr·gd (the gradient of the normalised values).
func lnBackParams(gr, h, gd, gg, bg, d []float64) {
	n := len(gr)
	h, gd, gg, bg, d = h[:n], gd[:n], gg[:n], bg[:n], d[:n]
	i := 0
	if lnAsm && n >= 4 {
		i = n &^ 3
		lnBackParamsAVX2(&gr[0], &h[0], &gd[0], &gg[0], &bg[0], &d[0], i)
	}
	for ; i < n; i++ {
		v := gr[i]
		gg[i] += float64(v * h[i])
		bg[i] += v
		d[i] = v * gd[i]
	}
}

// lnBackInput adds v = rs·((d − m1) − h·m2), the gradient of the row's
// input, into dst, and into dy too when dy is not nil.
func lnBackInput(d, h, dst, dy []float64, m1, m2, rs float64) {
	n := len(d)
	h, dst = h[:n], dst[:n]
	both := dy != nil
	if both {
		dy = dy[:n]
	}
	i := 0
	if lnAsm && n >= 4 {
		i = n &^ 3
		pdy, flag := &dst[0], 0
		if both {
			pdy, flag = &dy[0], 1
		}
		lnBackInputAVX2(&d[0], &h[0], &dst[0], pdy, i, m1, m2, rs, flag)
	}
	for ; i < n; i++ {
		v := rs * (float64(d[i]-m1) - float64(h[i]*m2))
		dst[i] += v
		if both {
			dy[i] += v
		}
	}
}
