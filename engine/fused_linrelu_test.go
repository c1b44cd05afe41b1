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
	out := checkFusedBits(t, c, 5, 4, func(tp *Tape, x []*Tensor, fused bool) *Tensor {
		if fused {
			return tp.LinearReLU(x[0], x[1], x[2])
		}
		return tp.ReLU(tp.Linear(x[0], x[1], x[2]))
	})
	zeros := 0
	for _, v := range out {
		if v == 0 {
			zeros++
		}
	}
	if zeros == 0 || zeros == len(out) {
		t.Fatalf("%d of %d outputs are 0: the test needs both signs", zeros, len(out))
	}
}

// TestPositiveMask checks the branch-free test of LinearReLU's backward
// against x > 0 on the values where it could go wrong.
func TestPositiveMask(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, x := range []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1, -1, math.MaxFloat64, -math.MaxFloat64, inf, -inf, nan, -nan, math.Float64frombits(0x7FF0000000000001), math.Float64frombits(0xFFF8000000000000)} {
		want := uint64(0)
		if x > 0 {
			want = ^uint64(0)
		}
		if got := positiveMask(x); got != want {
			t.Errorf("positiveMask(%v [%#x]) = %#x, want %#x", x, math.Float64bits(x), got, want)
		}
	}
}
