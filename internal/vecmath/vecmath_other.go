//go:build !amd64

package vecmath

const hasAsm = false

var useAsm = false

func expAVX2(dst, x []float64)                { panic("vecmath: no assembly kernels") }
func softplusAVX2(dst, x []float64)           { panic("vecmath: no assembly kernels") }
func sigmoidAVX2(dst, x []float64)            { panic("vecmath: no assembly kernels") }
func tanhAVX2(dst, x []float64)               { panic("vecmath: no assembly kernels") }
func softplusSigmoidAVX2(sp, sg, x []float64) { panic("vecmath: no assembly kernels") }
