package train

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/params"
)

// Adam is the Adam optimiser (Kingma & Ba 2015) over flat parameters, with
// the update PyTorch's torch.optim.Adam performs:
//
//	g  ← Grad (+ WeightDecay·θ unless Decoupled)
//	m  ← β1·m + (1−β1)·g
//	v  ← β2·v + (1−β2)·g²
//	θ  ← θ − LR/(1−β1^t) · m / (√v/√(1−β2^t) + Eps)
//
// With Decoupled set, weight decay is AdamW's θ ← θ·(1 − LR·WeightDecay)
// before the step instead of an L2 term in the gradient. Its whole state (step
// count and moments) is returned by State and restored by SetState, so a
// resumed run continues bit for bit.
type Adam struct {
	LR          float64
	Beta1       float64 // 0.9
	Beta2       float64 // 0.999
	Eps         float64 // 1e-8
	WeightDecay float64 // 0 = none
	Decoupled   bool

	step int64
	m, v [][]float64
}

// AdamState is Adam's checkpointable state.
type AdamState struct {
	Step int64
	M, V [][]float64
}

// NewAdam returns Adam with β1 = 0.9, β2 = 0.999, ε = 1e-8 and zero moments
// shaped like ps.
func NewAdam(ps []*params.Param, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	a.m = make([][]float64, len(ps))
	a.v = make([][]float64, len(ps))
	for i, p := range ps {
		a.m[i] = make([]float64, len(p.Value))
		a.v[i] = make([]float64, len(p.Value))
	}
	return a
}

// Steps is the number of updates taken so far.
func (a *Adam) Steps() int64 { return a.step }

// Step applies one update to ps (the parameters NewAdam was given, in the
// same order) from their Grad buffers. Grad is read, not modified.
func (a *Adam) Step(ps []*params.Param) {
	a.step++
	t := float64(a.step)
	bc1 := 1 - math.Pow(a.Beta1, t)
	sqrtBC2 := math.Sqrt(1 - math.Pow(a.Beta2, t))
	stepSize := a.LR / bc1
	for i, p := range ps {
		m, v := a.m[i], a.v[i]
		for j, g := range p.Grad {
			th := p.Value[j]
			if a.WeightDecay != 0 {
				if a.Decoupled {
					th *= 1 - a.LR*a.WeightDecay
				} else {
					g += a.WeightDecay * th
				}
			}
			m[j] = a.Beta1*m[j] + (1-a.Beta1)*g
			v[j] = a.Beta2*v[j] + (1-a.Beta2)*g*g
			p.Value[j] = th - stepSize*m[j]/(math.Sqrt(v[j])/sqrtBC2+a.Eps)
		}
	}
}

// State returns a deep copy of the optimiser state.
func (a *Adam) State() AdamState {
	s := AdamState{Step: a.step, M: make([][]float64, len(a.m)), V: make([][]float64, len(a.v))}
	for i := range a.m {
		s.M[i] = append([]float64(nil), a.m[i]...)
		s.V[i] = append([]float64(nil), a.v[i]...)
	}
	return s
}

// SetState restores a state taken with State; its shapes must match ps.
func (a *Adam) SetState(s AdamState, ps []*params.Param) error {
	if len(s.M) != len(ps) || len(s.V) != len(ps) {
		return fmt.Errorf("adam state holds %d/%d moment vectors, model has %d parameters", len(s.M), len(s.V), len(ps))
	}
	for i, p := range ps {
		if len(s.M[i]) != len(p.Value) || len(s.V[i]) != len(p.Value) {
			return fmt.Errorf("adam state for parameter %s has %d/%d entries, want %d", p.Name, len(s.M[i]), len(s.V[i]), len(p.Value))
		}
	}
	a.step = s.Step
	a.m = make([][]float64, len(ps))
	a.v = make([][]float64, len(ps))
	for i := range ps {
		a.m[i] = append([]float64(nil), s.M[i]...)
		a.v[i] = append([]float64(nil), s.V[i]...)
	}
	return nil
}

// GlobalNorm is the Euclidean norm of all gradients of ps taken together.
func GlobalNorm(ps []*params.Param) float64 {
	s := 0.0
	for _, p := range ps {
		for _, g := range p.Grad {
			s += g * g
		}
	}
	return math.Sqrt(s)
}

// ClipGlobalNorm rescales all gradients of ps by maxNorm/‖g‖ when their
// global norm ‖g‖ exceeds maxNorm (> 0). It returns the norm before clipping
// and whether it clipped.
func ClipGlobalNorm(ps []*params.Param, maxNorm float64) (norm float64, clipped bool) {
	norm = GlobalNorm(ps)
	if maxNorm <= 0 || !(norm > maxNorm) {
		return norm, false
	}
	scaleGrads(ps, maxNorm/norm)
	return norm, true
}

func scaleGrads(ps []*params.Param, c float64) {
	for _, p := range ps {
		for j := range p.Grad {
			p.Grad[j] *= c
		}
	}
}
