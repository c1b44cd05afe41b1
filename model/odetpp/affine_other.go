//go:build !amd64

package odetpp

// useAffineAsm is false: the Go loop of affineRowsFMA runs.
var useAffineAsm = false

func affineAVX2(n, k, c int, x, w, b, out *float64) { panic("odetpp: no assembly kernel") }
