// Package params describes trainable parameters as flat float64 vectors so
// that optimisers, checkpoints and gradient checks work the same for every
// model, whatever computes its gradients.
package params

// Param is one named parameter tensor stored row-major in Value, with its
// gradient (same length) in Grad.
type Param struct {
	Name  string
	Shape []int
	Value []float64
	Grad  []float64
}

// Size is the number of scalars in the parameter.
func (p *Param) Size() int { return len(p.Value) }

// Count is the total number of scalars over ps.
func Count(ps []*Param) int {
	n := 0
	for _, p := range ps {
		n += len(p.Value)
	}
	return n
}

// ZeroGrad clears every gradient.
func ZeroGrad(ps []*Param) {
	for _, p := range ps {
		clear(p.Grad)
	}
}
