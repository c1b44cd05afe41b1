package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gotpp/gotpp/params"
)

// GradCheck configures CheckGradients.
type GradCheck struct {
	// Step is the central-difference step relative to max(1, |θ|)
	// (default 1e-5).
	Step float64
	// RelTol and AbsTol bound the mismatch: a coordinate passes when
	// |numeric − analytic| ≤ AbsTol + RelTol·max(|numeric|, |analytic|)
	// (defaults 1e-5 and 1e-8).
	RelTol, AbsTol float64
	// MaxPerParam, when > 0, checks at most that many coordinates of each
	// parameter, chosen at random with Seed.
	MaxPerParam int
	Seed        uint64
}

func (o GradCheck) withDefaults() GradCheck {
	if o.Step == 0 {
		o.Step = 1e-5
	}
	if o.RelTol == 0 {
		o.RelTol = 1e-5
	}
	if o.AbsTol == 0 {
		o.AbsTol = 1e-8
	}
	return o
}

// GradMismatch is one coordinate whose analytic and numeric gradients
// disagree.
type GradMismatch struct {
	Param             string
	Index             int
	Analytic, Numeric float64
}

// GradCheckError lists the coordinates that failed, worst first.
type GradCheckError struct {
	Checked    int
	Mismatches []GradMismatch
}

func (e *GradCheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gradient check: %d of %d coordinates disagree", len(e.Mismatches), e.Checked)
	for i, m := range e.Mismatches {
		if i == 10 {
			fmt.Fprintf(&b, "; ...")
			break
		}
		fmt.Fprintf(&b, "; %s[%d]: analytic %.10g, numeric %.10g", m.Param, m.Index, m.Analytic, m.Numeric)
	}
	return b.String()
}

// CheckGradients compares analytic gradients with central finite
// differences. grad must compute the gradient of loss at the current
// parameter values and add it into the parameters' Grad slices
// (CheckGradients zeroes them first); loss must return the scalar loss at
// the current values. Coordinates are perturbed one at a time and restored.
// It returns nil or a *GradCheckError.
func CheckGradients(ps []*params.Param, loss func() float64, grad func(), opt GradCheck) error {
	opt = opt.withDefaults()
	for _, p := range ps {
		if len(p.Grad) != len(p.Value) {
			p.Grad = make([]float64, len(p.Value))
		}
	}
	params.ZeroGrad(ps)
	grad()
	analytic := make([][]float64, len(ps))
	for i, p := range ps {
		analytic[i] = append([]float64(nil), p.Grad...)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6772616463686b))
	e := &GradCheckError{}
	for pi, p := range ps {
		idx := make([]int, len(p.Value))
		for i := range idx {
			idx[i] = i
		}
		if opt.MaxPerParam > 0 && len(idx) > opt.MaxPerParam {
			rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			idx = idx[:opt.MaxPerParam]
			sort.Ints(idx)
		}
		for _, i := range idx {
			v := p.Value[i]
			h := opt.Step * max(1, math.Abs(v))
			p.Value[i] = v + h
			fp := loss()
			p.Value[i] = v - h
			fm := loss()
			p.Value[i] = v
			num := (fp - fm) / (2 * h)
			ana := analytic[pi][i]
			e.Checked++
			if !(math.Abs(num-ana) <= opt.AbsTol+opt.RelTol*max(math.Abs(num), math.Abs(ana))) {
				e.Mismatches = append(e.Mismatches, GradMismatch{Param: p.Name, Index: i, Analytic: ana, Numeric: num})
			}
		}
	}
	if len(e.Mismatches) == 0 {
		return nil
	}
	sort.SliceStable(e.Mismatches, func(i, j int) bool {
		a, b := e.Mismatches[i], e.Mismatches[j]
		return math.Abs(a.Analytic-a.Numeric) > math.Abs(b.Analytic-b.Numeric) || math.IsNaN(a.Analytic-a.Numeric)
	})
	return e
}
