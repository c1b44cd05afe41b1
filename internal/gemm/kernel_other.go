//go:build !amd64

package gemm

const hasAsm = false

var useAsm = false

const has512 = false

var use512 = false

func kernAVX2(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int) {
	panic("gemm: no assembly kernel")
}

func kern12AVX512(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int, mask int) {
	panic("gemm: no assembly kernel")
}

func kern6AVX512(kc int, a *float64, ars, aps int, b, c *float64, ldc int, alpha, beta float64, load int, src *float64, lds int, bs int, mask int, rows int) {
	panic("gemm: no assembly kernel")
}
