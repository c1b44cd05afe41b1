//go:build !amd64

package engine

// lnAsm is false: the Go loops of lnrow.go run.
var lnAsm = false

func lnAffineAVX2(h, o, gain, bias *float64, n int, rs float64) {
	panic("engine: no AVX2 kernel on this architecture")
}

func lnBackParamsAVX2(gr, h, gd, gg, bg, d *float64, n int) {
	panic("engine: no AVX2 kernel on this architecture")
}

func lnBackInputAVX2(d, h, dst, dy *float64, n int, m1, m2, rs float64, both int) {
	panic("engine: no AVX2 kernel on this architecture")
}
