package metrics

import (
	"fmt"
	"math"
	"sort"
)

// KSResult is a one-sample Kolmogorov-Smirnov test of data against Exp(1).
type KSResult struct {
	// D is sup_x |F_n(x) - (1 - e^{-x})|.
	D float64 `json:"ks"`
	// PValue is the asymptotic p-value Q_KS((√n + 0.12 + 0.11/√n)·D), Q_KS
	// the Kolmogorov distribution's survival function; the small-n
	// correction is Stephens' (1970). It is accurate to about 1e-2 from
	// n ≈ 5 on, which is what a calibration check needs.
	PValue float64 `json:"ks_pvalue"`
	N      int     `json:"n"`
}

// KSExp1 tests whether x (for instance time-rescaled inter-event gaps
// Λ(t_{i-1}, t_i], which are i.i.d. Exp(1) under the true model) is a sample
// of Exp(1). Values must be finite and >= 0.
func KSExp1(x []float64) (KSResult, error) {
	n := len(x)
	if n == 0 {
		return KSResult{}, fmt.Errorf("ks: %w: no values", ErrMissing)
	}
	s := append([]float64(nil), x...)
	for i, v := range s {
		if !(v >= 0) || math.IsInf(v, 0) {
			return KSResult{}, fmt.Errorf("ks: value [%d] = %v, want a finite number >= 0", i, v)
		}
	}
	sort.Float64s(s)
	d := 0.0
	for i, v := range s {
		f := -math.Expm1(-v) // 1 - e^{-v}
		d = math.Max(d, math.Max(float64(i+1)/float64(n)-f, f-float64(i)/float64(n)))
	}
	sn := math.Sqrt(float64(n))
	return KSResult{D: d, PValue: KolmogorovQ((sn + 0.12 + 0.11/sn) * d), N: n}, nil
}

// KolmogorovQ is the survival function of the Kolmogorov distribution,
// Q(λ) = P(K > λ) = 2 Σ_{j>=1} (-1)^{j-1} e^{-2 j² λ²}, the limit law of
// √n·D_n. For small λ, where that series converges slowly, it uses the
// equivalent theta-function form 1 - (√(2π)/λ) Σ_{j>=1} e^{-(2j-1)² π² / (8λ²)}.
func KolmogorovQ(lambda float64) float64 {
	if lambda <= 0 {
		return 1
	}
	if lambda < 1 {
		s := 0.0
		for j := 1; j <= 20; j++ {
			a := float64(2*j - 1)
			s += math.Exp(-a * a * math.Pi * math.Pi / (8 * lambda * lambda))
		}
		return 1 - math.Sqrt(2*math.Pi)/lambda*s
	}
	s := 0.0
	sign := 1.0
	for j := 1; j <= 100; j++ {
		term := math.Exp(-2 * float64(j*j) * lambda * lambda)
		s += sign * term
		if term < 1e-17 {
			break
		}
		sign = -sign
	}
	return math.Min(1, math.Max(0, 2*s))
}

// QQPoint is one point of a QQ plot: the Exp(1) quantile at plotting
// position p and the matching empirical order statistic.
type QQPoint struct {
	P           float64 `json:"p"`
	Theoretical float64 `json:"theoretical"`
	Empirical   float64 `json:"empirical"`
}

// QQExp1 returns QQ-plot data of x against Exp(1): for the i-th smallest
// value (i = 1..n) the plotting position p_i = (i - 0.5)/n and the
// theoretical quantile -ln(1 - p_i). A calibrated model gives points near
// the diagonal. When maxPoints > 0 and n > maxPoints, maxPoints evenly spaced
// order statistics are kept (the first and last included).
func QQExp1(x []float64, maxPoints int) ([]QQPoint, error) {
	n := len(x)
	if n == 0 {
		return nil, fmt.Errorf("qq: %w: no values", ErrMissing)
	}
	s := append([]float64(nil), x...)
	for i, v := range s {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("qq: value [%d] is NaN", i)
		}
	}
	sort.Float64s(s)
	pick := func(i int) QQPoint {
		p := (float64(i) + 0.5) / float64(n)
		return QQPoint{P: p, Theoretical: -math.Log1p(-p), Empirical: s[i]}
	}
	if maxPoints <= 0 || n <= maxPoints {
		out := make([]QQPoint, n)
		for i := range out {
			out[i] = pick(i)
		}
		return out, nil
	}
	if maxPoints < 2 {
		maxPoints = 2
	}
	out := make([]QQPoint, maxPoints)
	for j := range out {
		i := int(math.Round(float64(j) * float64(n-1) / float64(maxPoints-1)))
		out[j] = pick(i)
	}
	return out, nil
}
