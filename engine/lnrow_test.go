package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLNRowKernels checks the row kernels of lnrow.go on every length
// 0..37 and 64 against plain loops written out here, bit for bit (the
// kernels promise the Go loops' operations in their order), on both paths.
func TestLNRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 17))
	vec := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	cp := func(v []float64) []float64 { return append([]float64(nil), v...) }
	same := func(what string, asm bool, n int, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s (asm %v, n %d): element %d = %v, want %v", what, asm, n, i, got[i], want[i])
			}
		}
	}
	saved := lnAsm
	defer func() { lnAsm = saved }()
	lengths := []int{64}
	for n := 0; n <= 37; n++ {
		lengths = append(lengths, n)
	}
	for _, asm := range []bool{false, true} {
		if asm && !saved {
			continue // no AVX2 here: the Go loops only
		}
		lnAsm = asm
		for _, n := range lengths {
			h0, o0, g, b := vec(n), vec(n), vec(n), vec(n)
			rs := 0.5 + rng.Float64()
			h, o := cp(h0), cp(o0)
			lnAffine(h, o, g, b, rs)
			wh, wo := cp(h0), cp(o0)
			for i := range wh {
				wh[i] = h0[i] * rs
				p := wh[i] * g[i]
				wo[i] = p + b[i]
			}
			same("affine h", asm, n, h, wh)
			same("affine o", asm, n, o, wo)

			gr, gg0, bg0 := vec(n), vec(n), vec(n)
			gg, bg, d := cp(gg0), cp(bg0), make([]float64, n)
			lnBackParams(gr, h0, g, gg, bg, d)
			wgg, wbg, wd := cp(gg0), cp(bg0), make([]float64, n)
			for i := range wgg {
				p := gr[i] * h0[i]
				wgg[i] += p
				wbg[i] += gr[i]
				wd[i] = gr[i] * g[i]
			}
			same("params gain", asm, n, gg, wgg)
			same("params bias", asm, n, bg, wbg)
			same("params d", asm, n, d, wd)

			m1, m2 := rng.NormFloat64(), rng.NormFloat64()
			dst0, dy0 := vec(n), vec(n)
			for _, both := range []bool{false, true} {
				dst, dy := cp(dst0), []float64(nil)
				if both {
					dy = cp(dy0)
				}
				lnBackInput(d, h0, dst, dy, m1, m2, rs)
				wdst, wdy := cp(dst0), cp(dy0)
				for i := range wdst {
					a := d[i] - m1
					p := h0[i] * m2
					v := rs * (a - p)
					wdst[i] += v
					wdy[i] += v
				}
				same("input dst", asm, n, dst, wdst)
				if both {
					same("input dy", asm, n, dy, wdy)
				}
			}
		}
	}
}
