package engine

import (
	"math"
	"testing"
)

// addLNCases run AddLayerNorm with and without gain and bias, and with one
// of the two summands constant.
func addLNCases() []opCase {
	ln := func(withGain, withBias bool) func(o Ops, x []*Tensor) *Tensor {
		return func(o Ops, x []*Tensor) *Tensor {
			var g, b *Tensor
			if withGain {
				g = x[2]
			}
			if withBias {
				b = x[3]
			}
			return o.(*Tape).AddLayerNorm(x[0], o.Tanh(x[1]), g, b, 1e-5)
		}
	}
	ins := []in{u(3, 5), u(3, 5), pos(5), u(5)}
	return []opCase{
		{"AddLayerNorm", ins, ln(true, true)},
		{"AddLayerNormPlain", ins, ln(false, false)},
		{"AddLayerNormGain", ins, ln(true, false)},
		{"AddLayerNormConstY", ins, func(o Ops, x []*Tensor) *Tensor {
			t := o.(*Tape)
			return t.AddLayerNorm(x[0], t.Const(fixedRows(t, 15), 3, 5), x[2], x[3], 1e-5)
		}},
		{"AddLayerNormConstX", ins, func(o Ops, x []*Tensor) *Tensor {
			t := o.(*Tape)
			return t.AddLayerNorm(t.Const(fixedRows(t, 15), 3, 5), x[1], x[2], x[3], 1e-5)
		}},
	}
}

// fixedRows returns n constant values from t's arena.
func fixedRows(t *Tape, n int) []float64 {
	v := t.Floats(n)
	for i := range v {
		v[i] = math.Sin(float64(3*i + 1))
	}
	return v
}

// TestAddLayerNormGradients checks AddLayerNorm's backward pass against
// central finite differences.
func TestAddLayerNormGradients(t *testing.T) { checkCaseGradients(t, addLNCases(), 500) }

// TestAddLayerNormMatchesUnfused checks that AddLayerNorm's values and
// gradients are bit-identical to LayerNorm(Add(x, y)).
func TestAddLayerNormMatchesUnfused(t *testing.T) {
	c := opCase{"AddLayerNormBits", []in{u(7, 6), u(7, 6), pos(6), u(6)}, nil}
	checkFusedBits(t, c, 9, 3, func(tp *Tape, x []*Tensor, fused bool) *Tensor {
		if fused {
			return tp.AddLayerNorm(x[0], x[1], x[2], x[3], 1e-5)
		}
		return tp.LayerNorm(tp.Add(x[0], x[1]), x[2], x[3], 1e-5)
	})
}

// checkFusedBits runs f unfused and fused on the inputs of c (seed) with a
// random weighted sum of the output (seed wseed) as the loss, and fails
// unless the outputs and every input gradient are bit-identical. It
// returns the unfused output.
func checkFusedBits(t *testing.T, c opCase, seed, wseed uint64, f func(tp *Tape, x []*Tensor, fused bool) *Tensor) []float64 {
	t.Helper()
	run := func(fused bool) (out []float64, grads [][]float64) {
		ps := makeInputs(c, seed)
		tp := NewTape()
		x := make([]*Tensor, len(ps))
		for i, p := range ps {
			x[i] = tp.Param(p)
		}
		o := f(tp, x, fused)
		w := tp.Floats(o.Size())
		rng := NewRand(wseed)
		for i := range w {
			w[i] = rng.Float64()*2 - 1
		}
		tp.Backward(tp.WeightedSum(o, w))
		out = append(out, o.Data...)
		for _, p := range ps {
			grads = append(grads, append([]float64(nil), p.Grad...))
		}
		return out, grads
	}
	o1, g1 := run(false)
	o2, g2 := run(true)
	for i := range o1 {
		if math.Float64bits(o1[i]) != math.Float64bits(o2[i]) {
			t.Fatalf("%s: output %d: unfused %v, fused %v", c.name, i, o1[i], o2[i])
		}
	}
	for k := range g1 {
		for i := range g1[k] {
			if math.Float64bits(g1[k][i]) != math.Float64bits(g2[k][i]) {
				t.Fatalf("%s: gradient %d[%d]: unfused %v, fused %v", c.name, k, i, g1[k][i], g2[k][i])
			}
		}
	}
	return o1
}

// TestFillRows checks fillRows on short, block-sized and tall matrices.
func TestFillRows(t *testing.T) {
	for _, n := range []int{1, 3, 32, 100, 3000} {
		for _, rows := range []int{1, 2, 7, 64, 65, 700} {
			row := make([]float64, n)
			for i := range row {
				row[i] = float64(i + 1)
			}
			dst := make([]float64, n*rows)
			fillRows(dst, row)
			for i, v := range dst {
				if v != row[i%n] {
					t.Fatalf("n %d rows %d: dst[%d] = %v, want %v", n, rows, i, v, row[i%n])
				}
			}
		}
	}
}
