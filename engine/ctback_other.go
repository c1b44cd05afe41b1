//go:build !amd64

package engine

// ctAsm is false: the Go loops of ctback.go run.
var ctAsm = false

func ctBackHiddenAVX2(gv, th, e, or, cd, og, sw, sg, sd *float64, n int, s float64) float64 {
	panic("engine: no AVX2 kernel on this architecture")
}

func ctBackDecayAVX2(gv, e, cd, sw, sg, sd *float64, n int, s float64) float64 {
	panic("engine: no AVX2 kernel on this architecture")
}
