package engine

import (
	"fmt"

	"gonum.org/v1/gonum/integrate/quad"
)

// GaussLegendre returns the n nodes and weights of Gauss–Legendre
// quadrature on [0, 1] (from gonum's quad.Legendre): Σ w_i f(x_i)
// integrates polynomials of degree ≤ 2n−1 exactly. To integrate over an
// interval of length Δ starting at a, use nodes a + Δ·x_i and weights Δ·w_i.
func GaussLegendre(n int) (nodes, weights []float64) {
	if n < 1 {
		panic(fmt.Sprintf("engine: GaussLegendre with %d nodes", n))
	}
	nodes = make([]float64, n)
	weights = make([]float64, n)
	quad.Legendre{}.FixedLocations(nodes, weights, 0, 1)
	return nodes, weights
}
