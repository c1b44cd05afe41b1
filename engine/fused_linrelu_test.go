package engine

import (
	"math"
	"testing"
)

// linReLUCases run LinearReLU with and without a bias, on inputs that put
// pre-activations on both sides of 0 (none at a kink: finite differences
// need a smooth neighbourhood), and over a product large enough for the
// assembly kernel's full tiles.
func linReLUCases() []opCase {
	return []opCase{
		{"LinearReLU", []in{u(4, 3), u(3, 5), u(5)}, func(o Ops, x []*Tensor) *Tensor {
			return o.(*Tape).LinearReLU(x[0], x[1], x[2])
		}},
		{"LinearReLUNoBias", []in{u(4, 3), u(3, 5)}, func(o Ops, x []*Tensor) *Tensor {
			return o.(*Tape).LinearReLU(x[0], x[1], nil)
		}},
		{"LinearReLUTall", []in{u(13, 6), u(6, 9), u(9)}, func(o Ops, x []*Tensor) *Tensor {
			return o.(*Tape).LinearReLU(x[0], x[1], x[2])
		}},
	}
}

// TestLinearReLUGradients checks LinearReLU's backward pass against
// central finite differences.
func TestLinearReLUGradients(t *testing.T) { checkCaseGradients(t, linReLUCases(), 500) }

// TestLinearReLUMatchesUnfused checks that LinearReLU's values and
// gradients are bit-identical to ReLU(Linear(x, w, b)).
func TestLinearReLUMatchesUnfused(t *testing.T) {
	c := opCase{"LinearReLUBits", []in{u(20, 7), u(7, 10), u(10)}, nil}
	run := func(fused bool) (out []float64, grads [][]float64) {
		ps := makeInputs(c, 5)
		tp := NewTape()
		x, w, b := tp.Param(ps[0]), tp.Param(ps[1]), tp.Param(ps[2])
		var o *Tensor
		if fused {
			o = tp.LinearReLU(x, w, b)
		} else {
			o = tp.ReLU(tp.Linear(x, w, b))
		}
		wt := tp.Floats(o.Size())
		rng := NewRand(4)
		for i := range wt {
			wt[i] = rng.Float64()*2 - 1
		}
		tp.Backward(tp.WeightedSum(o, wt))
		out = append(out, o.Data...)
		for _, p := range ps {
			grads = append(grads, append([]float64(nil), p.Grad...))
		}
		return out, grads
	}
	o1, g1 := run(false)
	o2, g2 := run(true)
	zeros := 0
	for i := range o1 {
		if o1[i] == 0 {
			zeros++
		}
		if math.Float64bits(o1[i]) != math.Float64bits(o2[i]) {
			t.Fatalf("output %d: unfused %v, fused %v", i, o1[i], o2[i])
		}
	}
	if zeros == 0 || zeros == len(o1) {
		t.Fatalf("%d of %d outputs are 0: the test needs both signs", zeros, len(o1))
	}
	for k := range g1 {
		for i := range g1[k] {
			if math.Float64bits(g1[k][i]) != math.Float64bits(g2[k][i]) {
				t.Fatalf("gradient %d[%d]: unfused %v, fused %v", k, i, g1[k][i], g2[k][i])
			}
		}
	}
}
