package engine

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/params"
)

// AdamConfig holds Adam's hyper-parameters; zero fields take the defaults
// LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8.
type AdamConfig struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	// Decoupled applies weight decay as AdamW (θ ← θ·(1 − LR·WeightDecay))
	// instead of adding WeightDecay·θ to the gradient.
	Decoupled bool `json:"decoupled"`
}

// Adam is the Adam optimiser (Kingma & Ba 2015) over flat parameters, with
// PyTorch's update:
//
//	g ← Grad (+ WeightDecay·θ unless Decoupled)
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//	θ ← θ − LR/(1−β1^t) · m / (√v/√(1−β2^t) + Eps)
//
// M, V and T are its whole state (exported for checkpoints).
type Adam struct {
	Config AdamConfig
	Params []*params.Param
	M, V   [][]float64
	T      int
}

// NewAdam returns Adam over ps with zero moments.
func NewAdam(ps []*params.Param, cfg AdamConfig) *Adam {
	if cfg.LR == 0 {
		cfg.LR = 1e-3
	}
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	a := &Adam{Config: cfg, Params: ps, M: make([][]float64, len(ps)), V: make([][]float64, len(ps))}
	for i, p := range ps {
		a.M[i] = make([]float64, len(p.Value))
		a.V[i] = make([]float64, len(p.Value))
	}
	return a
}

// Step applies one update from the parameters' gradients (which it does not
// clear).
func (a *Adam) Step() {
	c := a.Config
	a.T++
	t := float64(a.T)
	bc1 := 1 - math.Pow(c.Beta1, t)
	sbc2 := math.Sqrt(1 - math.Pow(c.Beta2, t))
	lr := c.LR / bc1
	for i, p := range a.Params {
		m, v := a.M[i], a.V[i]
		if len(m) != len(p.Value) || len(p.Grad) != len(p.Value) {
			panic(fmt.Sprintf("engine: Adam state or gradient of %s has the wrong size", p.Name))
		}
		for j, g := range p.Grad {
			th := p.Value[j]
			if c.WeightDecay != 0 {
				if c.Decoupled {
					th *= 1 - c.LR*c.WeightDecay
				} else {
					g += c.WeightDecay * th
				}
			}
			m[j] = c.Beta1*m[j] + (1-c.Beta1)*g
			v[j] = c.Beta2*v[j] + (1-c.Beta2)*g*g
			p.Value[j] = th - lr*m[j]/(math.Sqrt(v[j])/sbc2+c.Eps)
		}
	}
}

// GradNorm is the Euclidean norm of all gradients of ps together.
func GradNorm(ps []*params.Param) float64 {
	s := 0.0
	for _, p := range ps {
		for _, g := range p.Grad {
			s += g * g
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm rescales the gradients of ps so that their global norm is at
// most maxNorm (> 0) and returns the norm before clipping. A non-finite norm
// is returned unchanged and the gradients are left alone.
func ClipGradNorm(ps []*params.Param, maxNorm float64) float64 {
	n := GradNorm(ps)
	if maxNorm > 0 && n > maxNorm && !math.IsInf(n, 0) {
		s := maxNorm / n
		for _, p := range ps {
			for j := range p.Grad {
				p.Grad[j] *= s
			}
		}
	}
	return n
}
