package predict

import (
	"gonum.org/v1/gonum/mat"
)

// The 7-point Gauss / 15-point Kronrod pair on [-1, 1] (the classical
// QUADPACK constants). gonum's integrate/quad has fixed Gauss-Legendre rules
// but no embedded Kronrod extension, and this package needs the embedded
// error estimate on every panel, so the pair is written out here; the test
// checks that K15 integrates polynomials up to degree 22 and G7 up to degree
// 13 exactly.
var (
	xgk = [8]float64{
		0.991455371120812639206854697526329,
		0.949107912342758524526189684047851,
		0.864864423359769072789712788640926,
		0.741531185599394439863864773280788,
		0.586087235467691130294144845693013,
		0.405845151377397166906606412076961,
		0.207784955007898467600689403773245,
		0,
	}
	wgkHalf = [8]float64{
		0.022935322010529224963732008058970,
		0.063092092629978553290700663189204,
		0.104790010322250183839876322541518,
		0.140653259715525918745189590510238,
		0.169004726639267902826583426598550,
		0.190350578064785409913256402421014,
		0.204432940075298892414161999234649,
		0.209482141084727828012999174891714,
	}
	wgHalf = [4]float64{
		0.129484966168869693270611432679082,
		0.279705391489276667901467771423780,
		0.381830050505118944950369775488975,
		0.417959183673469387755102040816327,
	}
)

const nK = 15

// Nodes in ascending order with their Kronrod and Gauss weights (Gauss
// weight 0 at Kronrod-only nodes), and the indefinite-integration matrix
// cumW: for a polynomial p of degree <= 14, ∫_{-1}^{node[i]} p = Σ_j
// cumW[i][j]·p(node[j]). It lets a panel produce the compensator at every
// Kronrod node from the intensities at those same nodes.
var (
	node [nK]float64
	wK   [nK]float64
	wG   [nK]float64
	cumW [nK][nK]float64
	// legC maps values at the nodes to the Legendre coefficients of their
	// degree-14 interpolant (the inverse Legendre Vandermonde matrix), so
	// that the interpolant's integral can be evaluated anywhere in a panel.
	legC [nK][nK]float64
)

func init() {
	for j := 0; j < nK; j++ {
		idx := j
		sign := -1.0
		if j > 7 {
			idx = 14 - j
			sign = 1
		}
		node[j] = sign * xgk[idx]
		wK[j] = wgkHalf[idx]
		if idx%2 == 1 {
			wG[j] = wgHalf[(idx-1)/2]
		}
	}
	// Legendre Vandermonde V[i][m] = P_m(x_i) and Q[i][m] = ∫_{-1}^{x_i} P_m;
	// cumW = Q V^{-1}.
	V := mat.NewDense(nK, nK, nil)
	Q := mat.NewDense(nK, nK, nil)
	for i := 0; i < nK; i++ {
		p := legendre(node[i], nK)
		for m := 0; m < nK; m++ {
			V.Set(i, m, p[m])
			if m == 0 {
				Q.Set(i, m, node[i]+1)
			} else {
				Q.Set(i, m, (p[m+1]-p[m-1])/float64(2*m+1))
			}
		}
	}
	var vinv, w mat.Dense
	if err := vinv.Inverse(V); err != nil {
		panic("predict: Kronrod Vandermonde matrix is singular: " + err.Error())
	}
	w.Mul(Q, &vinv)
	for i := 0; i < nK; i++ {
		for j := 0; j < nK; j++ {
			cumW[i][j] = w.At(i, j)
			legC[i][j] = vinv.At(i, j)
		}
	}
}

// interpIntegral returns ∫_{-1}^{xi} p for the degree-14 polynomial p whose
// Legendre coefficients are c (see legC), for xi in [-1, 1], using
// ∫_{-1}^{x} P_0 = x + 1 and ∫_{-1}^{x} P_m = (P_{m+1} - P_{m-1})/(2m+1).
func interpIntegral(c *[nK]float64, xi float64) float64 {
	// Bonnet's recurrence and the integral's weights with the divisions
	// taken out (legRecA, legRecB, legInv): this runs inside the
	// quantiles' root finding.
	var p [nK + 1]float64
	p[0], p[1] = 1, xi
	for m := 1; m < nK; m++ {
		p[m+1] = legRecA[m]*xi*p[m] - legRecB[m]*p[m-1]
	}
	s := c[0] * (xi + 1)
	for m := 1; m < nK; m++ {
		s += c[m] * (p[m+1] - p[m-1]) * legInv[m]
	}
	return s
}

// legRecA[m] = (2m+1)/(m+1), legRecB[m] = m/(m+1), legInv[m] = 1/(2m+1).
var legRecA, legRecB, legInv = func() (a, b, inv [nK]float64) {
	for m := 1; m < nK; m++ {
		a[m] = float64(2*m+1) / float64(m+1)
		b[m] = float64(m) / float64(m+1)
		inv[m] = 1 / float64(2*m+1)
	}
	return a, b, inv
}()

// legendre returns P_0(x) .. P_n(x) by the three-term recurrence.
func legendre(x float64, n int) []float64 {
	p := make([]float64, n+1)
	p[0] = 1
	if n > 0 {
		p[1] = x
	}
	for m := 1; m < n; m++ {
		p[m+1] = (float64(2*m+1)*x*p[m] - float64(m)*p[m-1]) / float64(m+1)
	}
	return p
}

// gk15 integrates f over [a, b] with the Kronrod rule and returns the Kronrod
// value and |Kronrod - Gauss|.
func gk15(f func(x float64) (float64, error), a, b float64) (val, errEst float64, err error) {
	c, r := (a+b)/2, (b-a)/2
	var k, g float64
	for j := 0; j < nK; j++ {
		v, e := f(c + r*node[j])
		if e != nil {
			return 0, 0, e
		}
		k += wK[j] * v
		g += wG[j] * v
	}
	return r * k, abs(r * (k - g)), nil
}

// adaptiveGK integrates f over [a, b] by recursive bisection until every
// piece has |K15 - G7| <= tol·(piece width)/(b - a) + 1e-14·|piece|.
func adaptiveGK(f func(x float64) (float64, error), a, b, tol float64, depth int) (float64, error) {
	v, e, err := gk15(f, a, b)
	if err != nil {
		return 0, err
	}
	if e <= tol+1e-14*abs(v) || depth <= 0 || b-a <= 1e-15*(abs(a)+abs(b)) {
		return v, nil
	}
	m := (a + b) / 2
	l, err := adaptiveGK(f, a, m, tol/2, depth-1)
	if err != nil {
		return 0, err
	}
	r, err := adaptiveGK(f, m, b, tol/2, depth-1)
	return l + r, err
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
