//go:build !amd64

package engine

// gruAsm is false: the Go loop of grurow.go runs.
var gruAsm = false

var gru512 = false

func gruBackRowAVX2(gr, act, p, h, gp, gx, gh *float64, n int) {
	panic("engine: no AVX2 kernel on this architecture")
}

func gruBackRowsAVX512(gr, act, p, h, gp, gx, gh *float64, n, rows int) {
	panic("engine: no AVX-512 kernel on this architecture")
}
