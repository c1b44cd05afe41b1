package s2p2

import "math"

// geluFast is geluScalar (x·Φ(x)) for the prediction path, where GELU is
// evaluated H·Layers times per intensity evaluation and math.Erfc (two
// math.Exp calls for |x| > 1.77) dominated the cost.
//
//   - On (geluLo, geluHi) Φ is a piecewise polynomial: on each of
//     geluPieces pieces of width 1/16, the degree-7 interpolant of Φ at the
//     Chebyshev points of the piece, computed once from normCDF. Its
//     interpolation error is below 1e-17 (the bound r⁸/(2⁷·8!)·max|Φ⁽⁸⁾|
//     with r = 1/32), so there geluFast differs from geluScalar by
//     rounding only, |Δ| < 1e-15·max(1, |x|).
//   - For x ≥ geluHi = 10, 1 − Φ(x) < 1e-23 is below half an ulp of 1, and
//     x·Φ(x) rounds to x (as geluScalar gives).
//   - For x ≤ geluLo = −10, x·Φ(x) = −φ(x)·(1 − x⁻² + 3x⁻⁴ − 15x⁻⁶ +
//     105x⁻⁸ − 945x⁻¹⁰ + ...), the asymptotic series of the Mills ratio,
//     whose remainder is below 10395x⁻¹² < 1.1e-8 of a value below 1e-22
//     in magnitude.
//
// TestGeluFast checks all three against math.Erfc.
func geluFast(x float64) float64 {
	if x > geluLo && x < geluHi {
		s := (x - geluLo) * geluScale
		i := int(s)
		if i >= geluPieces {
			i = geluPieces - 1
		}
		t := 2*(s-float64(i)) - 1
		c := &geluTable[i]
		phi := c[0] + t*(c[1]+t*(c[2]+t*(c[3]+t*(c[4]+t*(c[5]+t*(c[6]+t*c[7]))))))
		return x * phi
	}
	if x >= geluHi {
		return x
	}
	if x <= geluLo {
		q := 1 / (x * x)
		return -normPDF(x) * (1 - q*(1-q*(3-q*(15-q*(105-q*945)))))
	}
	return x // NaN
}

const (
	geluLo     = -10.0
	geluHi     = 10.0
	geluScale  = 16.0 // pieces per unit
	geluPieces = int((geluHi - geluLo) * geluScale)
	geluDeg    = 7
)

// geluTable[i] holds the monomial coefficients, in the local variable
// t ∈ [−1, 1], of Φ's interpolant on piece i, [geluLo + i/16,
// geluLo + (i+1)/16].
var geluTable = buildGeluTable()

func buildGeluTable() *[geluPieces][geluDeg + 1]float64 {
	const n = geluDeg + 1
	var tab [geluPieces][n]float64
	// Chebyshev points t_q = cos θ_q, θ_q = π(q+½)/n, and T_j(t_q) = cos(jθ_q)
	var tq [n]float64
	var cheb [n][n]float64 // cheb[j][q] = T_j(t_q)
	for q := 0; q < n; q++ {
		th := math.Pi * (float64(q) + 0.5) / n
		tq[q] = math.Cos(th)
		for j := 0; j < n; j++ {
			cheb[j][q] = math.Cos(float64(j) * th)
		}
	}
	// mono[j] holds the monomial coefficients of T_j
	var mono [n][n]float64
	mono[0][0] = 1
	mono[1][1] = 1
	for j := 2; j < n; j++ {
		for d := 0; d < n; d++ {
			v := -mono[j-2][d]
			if d > 0 {
				v += 2 * mono[j-1][d-1]
			}
			mono[j][d] = v
		}
	}
	half := 0.5 / geluScale
	for i := range tab {
		mid := geluLo + (float64(i)+0.5)/geluScale
		// the transform acts on Φ − Φ(mid), so that its rounding scales
		// with the variation of Φ over the piece, not with Φ itself
		f0 := normCDF(mid)
		tab[i][0] = f0
		var f [n]float64
		for q := 0; q < n; q++ {
			f[q] = normCDF(mid+half*tq[q]) - f0
		}
		for j := 0; j < n; j++ {
			a := 0.0
			for q := 0; q < n; q++ {
				a += f[q] * cheb[j][q]
			}
			a *= 2.0 / n
			if j == 0 {
				a /= 2
			}
			for d := 0; d < n; d++ {
				tab[i][d] += a * mono[j][d]
			}
		}
	}
	return &tab
}

// geluSlice overwrites each x[i] with geluFast(x[i]), the table branch
// inlined in the loop (the same arithmetic).
func geluSlice(x []float64) {
	for i, v := range x {
		if v > geluLo && v < geluHi {
			s := (v - geluLo) * geluScale
			k := int(s)
			if k >= geluPieces {
				k = geluPieces - 1
			}
			t := 2*(s-float64(k)) - 1
			c := &geluTable[k]
			phi := c[0] + t*(c[1]+t*(c[2]+t*(c[3]+t*(c[4]+t*(c[5]+t*(c[6]+t*c[7]))))))
			x[i] = v * phi
			continue
		}
		x[i] = geluFast(v)
	}
}
