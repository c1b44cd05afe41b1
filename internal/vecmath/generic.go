package vecmath

import "math"

// Constants shared by the pure-Go kernels. The assembly kernels use the
// same algorithms (with FMA-based range reduction) and keep their own
// copies of these values in vecmath_amd64.s.
const (
	log2e = 1.4426950408889634074 // 1/ln 2
	magic = 6755399441055744.0    // 1.5·2^52: x+magic rounds x to an integer held in the low mantissa bits

	// Cody–Waite split of ln 2 for the pure-Go path (no FMA assumed):
	// cwLn2Hi has 32 significant bits so n·cwLn2Hi is exact for |n| < 2^21.
	cwLn2Hi = 6.93147180369123816490e-01
	cwLn2Lo = 1.90821492927058770002e-10

	// ln 2 as an unevaluated sum hi+lo (hi is the double nearest ln 2).
	ln2Hi = 0.6931471805599453
	ln2Lo = 2.3190468138462996e-17

	expLo  = -746.0 // e^x rounds to 0 below about -745.13
	expHi  = 710.0  // e^x overflows above about 709.78
	tanhLo = -40.0  // e^-40 - 1 == -1 in float64

	// Taylor coefficients 1/k! of e^r, k = 2..13.
	c2  = 1.0 / 2
	c3  = 1.0 / 6
	c4  = 1.0 / 24
	c5  = 1.0 / 120
	c6  = 1.0 / 720
	c7  = 1.0 / 5040
	c8  = 1.0 / 40320
	c9  = 1.0 / 362880
	c10 = 1.0 / 3628800
	c11 = 1.0 / 39916800
	c12 = 1.0 / 479001600
	c13 = 1.0 / 6227020800

	// 2/(2j+1), coefficients of 2·atanh(s) = 2s + s·Σ l_j s^(2j).
	l1  = 2.0 / 3
	l2  = 2.0 / 5
	l3  = 2.0 / 7
	l4  = 2.0 / 9
	l5  = 2.0 / 11
	l6  = 2.0 / 13
	l7  = 2.0 / 15
	l8  = 2.0 / 17
	l9  = 2.0 / 19
	l10 = 2.0 / 21
	l11 = 2.0 / 23
)

// expm1Poly returns e^r - 1 for |r| <= ln2/2 as r + r²·Q(r), with Q
// evaluated in an Estrin-like order (same order as the assembly).
func expm1Poly(r float64) float64 {
	r2 := r * r
	r4 := r2 * r2
	b2 := (c12+c13*r)*r2 + c10 + c11*r
	b1 := (c8+c9*r)*r2 + c6 + c7*r
	b0 := (c4+c5*r)*r2 + c2 + c3*r
	q := (b2*r4+b1)*r4 + b0
	return q*r2 + r
}

// reduce clamps x to [lo, expHi] (NaN passes through) and returns r, n with
// x = n·ln2 + r, |r| <= ln2/2 (approximately).
func reduce(x, lo float64) (r float64, n int64) {
	if x < lo {
		x = lo
	} else if x > expHi {
		x = expHi
	}
	t := x*log2e + magic
	nf := t - magic
	r = (x - nf*cwLn2Hi) - nf*cwLn2Lo
	return r, int64(math.Float64bits(t) - math.Float64bits(magic))
}

// pow2 returns 2^n for -1022 <= n <= 1023.
func pow2(n int64) float64 {
	return math.Float64frombits(uint64(n+1023) << 52)
}

// exp1 is the scalar e^x. The scale 2^n is applied in two steps so that
// results in the subnormal range are rounded once and correctly.
func exp1(x float64) float64 {
	if x != x {
		return x
	}
	r, n := reduce(x, expLo)
	n1 := n >> 1
	return (1 + expm1Poly(r)) * pow2(n1) * pow2(n-n1)
}

// log1pUnit returns log(1+z) for 0 <= z <= 1 (NaN propagates).
func log1pUnit(z float64) float64 {
	// 1+z = 2^k·(1+f) with f exact: f = z (k=0) or (z-1)/2 (k=1).
	f, k := z, 0.0
	if z > 0.5 {
		f, k = (z-1)*0.5, 1
	}
	s := f / (2 + f)
	w := s * s
	w4 := (w * w) * (w * w)
	g1 := ((l4*w+l3)*w+l2)*w + l1
	g2 := ((l8*w+l7)*w+l6)*w + l5
	g3 := (l11*w+l10)*w + l9
	rr := ((g3*w4+g2)*w4 + g1) * w
	// log(1+f) = 2s + s·rr = f - s·(f - rr)
	return k*ln2Hi + ((f - s*(f-rr)) + k*ln2Lo)
}

// divOnePlus returns num/(1+z) with the rounding of 1+z compensated.
func divOnePlus(num, z float64) float64 {
	u := 1 + z
	c := z - (u - 1) // exact: u + c == 1 + z
	q := num / u
	inv := 1.5 - 0.5*u // crude 1/u; only scales a correction of size 2^-53
	return q - q*(c*inv)
}

func softplus1(x float64) float64 {
	z := exp1(-math.Abs(x))
	return math.Max(x, 0) + log1pUnit(z)
}

func sigmoid1(x float64) float64 {
	z := exp1(-math.Abs(x))
	num := 1.0
	if math.Signbit(x) {
		num = z
	}
	return divOnePlus(num, z)
}

func softplusSigmoid1(x float64) (sp, sg float64) {
	z := exp1(-math.Abs(x))
	num := 1.0
	if math.Signbit(x) {
		num = z
	}
	return math.Max(x, 0) + log1pUnit(z), divOnePlus(num, z)
}

func tanh1(x float64) float64 {
	if x != x {
		return x
	}
	// em = e^y - 1 with y = -2|x| = n·ln2 + r, so em = 2^n·expm1(r) + (2^n - 1).
	r, n := reduce(-2*math.Abs(x), tanhLo)
	s := pow2(n)
	em := s*expm1Poly(r) + (s - 1)
	// tanh|x| = -em/(em+2), with the rounding of em+2 compensated.
	d := em + 2
	dc := (2 - d) + em
	q := -em / d
	q -= q * (dc * (1.5 - 0.5*d))
	return math.Copysign(q, x)
}

func expGeneric(dst, x []float64) {
	for i, v := range x {
		dst[i] = exp1(v)
	}
}

func softplusGeneric(dst, x []float64) {
	for i, v := range x {
		dst[i] = softplus1(v)
	}
}

func sigmoidGeneric(dst, x []float64) {
	for i, v := range x {
		dst[i] = sigmoid1(v)
	}
}

func tanhGeneric(dst, x []float64) {
	for i, v := range x {
		dst[i] = tanh1(v)
	}
}

func softplusSigmoidGeneric(sp, sg, x []float64) {
	for i, v := range x {
		sp[i], sg[i] = softplusSigmoid1(v)
	}
}
