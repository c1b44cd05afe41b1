// Package params describes trainable parameters as flat float64 vectors so
// that optimisers, checkpoints and gradient checks work the same for every
// model, whatever computes its gradients.
package params

import (
	"fmt"
	"math"
	"slices"
)

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

// Saved is one parameter as model files store it (JSON).
type Saved struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Value []float64 `json:"value"`
}

// Snapshot returns ps for saving; a NaN or infinite value is an error
// (prefixed with who, e.g. the model name), so no poisoned file is written.
func Snapshot(who string, ps []*Param) ([]Saved, error) {
	out := make([]Saved, 0, len(ps))
	for _, p := range ps {
		for i, v := range p.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: parameter %s[%d] is %v; not saving", who, p.Name, i, v)
			}
		}
		out = append(out, Saved{Name: p.Name, Shape: p.Shape, Value: p.Value})
	}
	return out, nil
}

// Restore copies saved values into ps, checking count, names, shapes and
// finiteness; errors name the file (path) and the params field.
func Restore(path string, saved []Saved, ps []*Param) error {
	if len(saved) != len(ps) {
		return fmt.Errorf("%s: field params: %d parameters, want %d", path, len(saved), len(ps))
	}
	for i, p := range ps {
		q := saved[i]
		if q.Name != p.Name {
			return fmt.Errorf("%s: field params[%d].name: %q, want %q", path, i, q.Name, p.Name)
		}
		if !slices.Equal(q.Shape, p.Shape) || len(q.Value) != len(p.Value) {
			return fmt.Errorf("%s: field params[%d] (%s): shape %v with %d values, want %v", path, i, p.Name, q.Shape, len(q.Value), p.Shape)
		}
		for j, v := range q.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: field params[%d] (%s) value [%d]: %v", path, i, p.Name, j, v)
			}
		}
		copy(p.Value, q.Value)
	}
	return nil
}
