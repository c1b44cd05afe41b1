package rmtpp

import (
	"math"

	"github.com/gotpp/gotpp/predict"
)

// Closed-form one-step prediction. RMTPP's total intensity after a history
// is λ(t) = a·e^{w·t} with a = e^c, and the mark distribution p does not
// depend on t, so the whole one-step summary has closed forms (no
// quadrature):
//
//   - w > 0: Λ(t) = A(e^{wt} − 1) with A = a/w, proper law;
//     E[Δt] = ∫S = e^{A}·E₁(A)/w (substitute u = A·e^{wt});
//   - w = 0: exponential with rate a;
//   - w < 0: Λ(t) = B(1 − e^{−|w|t}) with B = a/|w|, so P(no event) =
//     e^{−B} and E[Δt | event] = G(B) / (|w|·(1 − e^{−B})) with
//     G(B) = e^{−B}·∫₀^B (e^s − 1)/s ds (substitute v = e^{−|w|t});
//   - the q-quantile level Λ(t) = q is reached at t = log1p(q·w/a)/w
//     (q/a when w = 0), for any sign of w as long as q < B.
//
// The mark probabilities are p_k·(1 − e^{−B}) (p_k when w >= 0).
// TestClosedFormMatchesQuadrature checks all of it against the predict
// package's adaptive quadrature of the same intensity.

// Closed implements predict.ClosedForm.
func (n *next) Closed() (predict.ClosedLaw, bool) {
	a := math.Exp(n.c)
	w := n.w
	if !(a > 0) || math.IsInf(a, 1) || math.IsNaN(w) || math.IsInf(w, 0) {
		return predict.ClosedLaw{}, false
	}
	law := predict.ClosedLaw{MarkProbs: make([]float64, len(n.p))}
	occurred := 1.0
	switch {
	case w > 0:
		law.MeanGivenEvent = meanRising(a, w)
	case w == 0:
		law.MeanGivenEvent = 1 / a
	default:
		b := a / -w
		law.TailMass = math.Exp(-b)
		occurred = -math.Expm1(-b)
		if !(occurred > 0) {
			return predict.ClosedLaw{}, false // no event can happen
		}
		law.MeanGivenEvent = meanFalling(a, w, b, occurred)
	}
	law.MedianGivenEvent = levelTime(a, w, math.Ln2-math.Log1p(law.TailMass))
	law.Median = math.Inf(1)
	if law.TailMass < 0.5 {
		law.Median = levelTime(a, w, math.Ln2)
	}
	for k, p := range n.p {
		law.MarkProbs[k] = p * occurred
	}
	return law, true
}

// levelTime is the t with Λ(t) = q: log1p(q·w/a)/w, by its series in
// y = q·w/a when |y| is tiny (w → 0).
func levelTime(a, w, q float64) float64 {
	y := q * w / a
	if math.Abs(y) < 1e-8 {
		return q / a * (1 - y/2 + y*y/3)
	}
	return math.Log1p(y) / w
}

// meanRising is E[Δt] for w > 0: e^{A}E₁(A)/w with A = a/w; for huge A its
// asymptotic series (1/a)(1 − 1/A + 2/A² − 6/A³), exact to ~24/A⁴.
func meanRising(a, w float64) float64 {
	A := a / w
	if A > 1e8 {
		r := 1 / A
		return (1 - r*(1-r*(2-6*r))) / a
	}
	return expE1(A) / w
}

// meanFalling is E[Δt | event] for w < 0: G(B)/(|w|·(1 − e^{−B})); for huge
// B the series (1/a)(1 + 1/B + 2/B² + 6/B³).
func meanFalling(a, w, b, occurred float64) float64 {
	if b > 1e8 {
		r := 1 / b
		return (1 + r*(1+r*(2+6*r))) / a
	}
	return g(b) / (-w * occurred)
}

// eulerGamma is the Euler–Mascheroni constant.
const eulerGamma = 0.57721566490153286060651209008240243

// expE1 is e^{x}·E₁(x) for x > 0, E₁ the exponential integral
// ∫_x^∞ e^{−t}/t dt: the power series −γ − ln x + Σ (−1)^{n+1} xⁿ/(n·n!)
// for x <= 1 (Abramowitz & Stegun 5.1.11), else the continued fraction
// 1/(x+1 − 1²/(x+3 − 2²/(x+5 − …))) (A&S 5.1.22) evaluated by the modified
// Lentz method.
func expE1(x float64) float64 {
	if x <= 1 {
		sum, term := 0.0, 1.0
		for n := 1; n < 60; n++ {
			term *= -x / float64(n)
			d := term / float64(n)
			sum -= d
			if math.Abs(d) < 1e-17*math.Abs(sum) {
				break
			}
		}
		return math.Exp(x) * (-eulerGamma - math.Log(x) + sum)
	}
	const tiny = 1e-300
	b := x + 1
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 1000; i++ {
		an := -float64(i * i)
		b += 2
		d = an*d + b
		if d == 0 {
			d = tiny
		}
		c = b + an/c
		if c == 0 {
			c = tiny
		}
		d = 1 / d
		del := c * d
		h *= del
		if math.Abs(del-1) < 1e-16 {
			break
		}
	}
	return h
}

// g is G(B) = e^{−B}·∫₀^B (e^s − 1)/s ds for B > 0: e^{−B}·Σ_{n>=1}
// Bⁿ/(n·n!) (positive terms, no cancellation) for B <= 50, else the
// asymptotic expansion of e^{−B}·Ei(B), (1/B)·Σ n!/Bⁿ summed to its
// smallest term, minus e^{−B}(γ + ln B).
func g(b float64) float64 {
	if b <= 50 {
		sum, term := 0.0, 1.0
		for n := 1; n < 400; n++ {
			term *= b / float64(n)
			d := term / float64(n)
			sum += d
			if float64(n) > b && d < 1e-17*sum {
				break
			}
		}
		return math.Exp(-b) * sum
	}
	sum, term := 1.0, 1.0
	for n := 1; n < 400; n++ {
		next := term * float64(n) / b
		if next >= term || next < 1e-17 {
			break
		}
		term = next
		sum += term
	}
	return sum/b - math.Exp(-b)*(eulerGamma+math.Log(b))
}

var _ predict.ClosedForm = (*next)(nil)
