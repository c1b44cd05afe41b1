//go:build !amd64

package vecmath

const (
	hasAsm = false
	has512 = false
)

var (
	useAsm = false
	use512 = false
)

func expAVX2(dst, x []float64)                  { panic("vecmath: no assembly kernels") }
func softplusAVX2(dst, x []float64)             { panic("vecmath: no assembly kernels") }
func sigmoidAVX2(dst, x []float64)              { panic("vecmath: no assembly kernels") }
func tanhAVX2(dst, x []float64)                 { panic("vecmath: no assembly kernels") }
func softplusSigmoidAVX2(sp, sg, x []float64)   { panic("vecmath: no assembly kernels") }
func expAVX512(dst, x []float64)                { panic("vecmath: no assembly kernels") }
func softplusAVX512(dst, x []float64)           { panic("vecmath: no assembly kernels") }
func sigmoidAVX512(dst, x []float64)            { panic("vecmath: no assembly kernels") }
func tanhAVX512(dst, x []float64)               { panic("vecmath: no assembly kernels") }
func softplusSigmoidAVX512(sp, sg, x []float64) { panic("vecmath: no assembly kernels") }
