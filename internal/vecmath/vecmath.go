package vecmath

import "math"

func check(dst, x []float64) {
	if len(dst) < len(x) {
		panic("vecmath: destination slice shorter than source")
	}
}

// Exp sets dst[i] = e^x[i] for i < len(x). dst may be x itself.
// Results overflow to +Inf above about 709.78 and underflow to 0 below
// about -745.13; subnormal results are produced (not flushed). NaN
// propagates. Accuracy: within 1 ulp of the true value (2 ulp of math.Exp).
// It panics if len(dst) < len(x).
func Exp(dst, x []float64) {
	check(dst, x)
	if len(x) == 0 {
		return
	}
	if use512 {
		expAVX512(dst[:len(x)], x)
		return
	}
	if useAsm {
		expAVX2(dst[:len(x)], x)
		return
	}
	expGeneric(dst[:len(x)], x)
}

// Softplus sets dst[i] = log(1+e^x[i]), computed stably as
// max(x,0) + log1p(e^-|x|). It returns x for large x, e^x (down to 0) for
// very negative x, and propagates NaN. dst may be x itself.
// It panics if len(dst) < len(x).
func Softplus(dst, x []float64) {
	check(dst, x)
	if len(x) == 0 {
		return
	}
	if use512 {
		softplusAVX512(dst[:len(x)], x)
		return
	}
	if useAsm {
		softplusAVX2(dst[:len(x)], x)
		return
	}
	softplusGeneric(dst[:len(x)], x)
}

// Sigmoid sets dst[i] = 1/(1+e^-x[i]), computed stably for both signs
// (e^x/(1+e^x) for negative x, so tiny results keep full relative accuracy).
// dst may be x itself. It panics if len(dst) < len(x).
func Sigmoid(dst, x []float64) {
	check(dst, x)
	if len(x) == 0 {
		return
	}
	if use512 {
		sigmoidAVX512(dst[:len(x)], x)
		return
	}
	if useAsm {
		sigmoidAVX2(dst[:len(x)], x)
		return
	}
	sigmoidGeneric(dst[:len(x)], x)
}

// Tanh sets dst[i] = tanh(x[i]). It is computed as -m/(m+2) with
// m = expm1(-2|x|), so the relative error stays at the ulp level near 0;
// it returns ±1 for |x| > about 19.06, keeps the sign of ±0 and propagates
// NaN. dst may be x itself. It panics if len(dst) < len(x).
func Tanh(dst, x []float64) {
	check(dst, x)
	if len(x) == 0 {
		return
	}
	if use512 {
		tanhAVX512(dst[:len(x)], x)
		return
	}
	if useAsm {
		tanhAVX2(dst[:len(x)], x)
		return
	}
	tanhGeneric(dst[:len(x)], x)
}

// SoftplusSigmoid sets sp[i] = Softplus(x[i]) and sg[i] = Sigmoid(x[i]),
// sharing one exponential per element (sigmoid is the derivative of
// softplus). sp and/or sg may be x itself (but sp and sg must differ).
// It panics if len(sp) < len(x) or len(sg) < len(x).
func SoftplusSigmoid(sp, sg, x []float64) {
	check(sp, x)
	check(sg, x)
	if len(x) == 0 {
		return
	}
	if use512 {
		softplusSigmoidAVX512(sp[:len(x)], sg[:len(x)], x)
		return
	}
	if useAsm {
		softplusSigmoidAVX2(sp[:len(x)], sg[:len(x)], x)
		return
	}
	softplusSigmoidGeneric(sp[:len(x)], sg[:len(x)], x)
}

// Softmax sets dst[i] = exp(x[i] − max x)/Σ_j exp(x[j] − max x) (dst may be
// x itself): the exponentials in one Exp call, the normalisation as one
// multiplication by the reciprocal of the sum. A NaN in x makes every
// output NaN. It panics if len(dst) < len(x).
func Softmax(dst, x []float64) {
	check(dst, x)
	if len(x) == 0 {
		return
	}
	o := dst[:len(x)]
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	for i, v := range x {
		o[i] = v - m
	}
	Exp(o, o)
	s := 0.0
	for _, e := range o {
		s += e
	}
	inv := 1 / s
	for i := range o {
		o[i] *= inv
	}
}
