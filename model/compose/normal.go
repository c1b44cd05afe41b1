package compose

import "math"

// Standard normal helpers for the log-normal mixture. gonum's distuv.Normal
// gives the CDF but not its logarithm, and log(CDF) underflows to −Inf once
// the CDF drops below 1e-308 (x < −37.5); the log-likelihood of a survival
// term needs log Φ far into that tail, so it is written here.

const (
	logSqrt2Pi = 0.91893853320467274178 // ½·log(2π)
	sqrt2      = math.Sqrt2
)

// LogNormPDF is log φ(x) = −x²/2 − ½·log(2π).
func LogNormPDF(x float64) float64 { return -0.5*x*x - logSqrt2Pi }

// LogNormCDF is log Φ(x), Φ the standard normal CDF, accurate to about
// 1e-14 relative everywhere: log1p(−½·erfc(x/√2)) for x > 0 (where Φ is
// near 1), log(½·erfc(−x/√2)) for −30 ≤ x ≤ 0, and the asymptotic series
// log Φ(x) = log φ(x) − log(−x) + log(1 − x⁻² + 3x⁻⁴ − 15x⁻⁶ + 105x⁻⁸ − 945x⁻¹⁰)
// below −30, where the first omitted term is under 2e-14.
func LogNormCDF(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x > 0:
		return math.Log1p(-0.5 * math.Erfc(x/sqrt2))
	case x >= -30:
		return math.Log(0.5 * math.Erfc(-x/sqrt2))
	case math.IsInf(x, -1):
		return x
	}
	r := 1 / (x * x)
	series := 1 + r*(-1+r*(3+r*(-15+r*(105-945*r))))
	return LogNormPDF(x) - math.Log(-x) + math.Log(series)
}

// LogNormSF is log(1 − Φ(x)) = log Φ(−x).
func LogNormSF(x float64) float64 { return LogNormCDF(-x) }

// NormHazard is φ(x)/(1 − Φ(x)), the hazard of the standard normal (the
// derivative of −log(1 − Φ(x))), computed in log space so that it stays
// finite and accurate for large x (where it approaches x).
func NormHazard(x float64) float64 { return math.Exp(LogNormPDF(x) - LogNormSF(x)) }

// logSumExp returns log Σ exp(a_i) (−Inf for an empty slice or all −Inf).
func logSumExp(a []float64) float64 {
	m := math.Inf(-1)
	for _, v := range a {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, v := range a {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
