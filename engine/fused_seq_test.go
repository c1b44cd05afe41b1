package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/gotpp/gotpp/params"
)

// relTol checks got against want element by element, relative to the
// larger of |want[i]| and a thousandth of want's largest magnitude (so
// that values cancelling to near zero are judged on the vector's scale).
func relTol(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol*max(math.Abs(want[i]), 1e-3*scale)) {
			t.Fatalf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

// seqRun builds f on a fresh tape over the parameters ps, back-propagates
// a fixed random weighting of its output and returns the output values and
// the parameters' gradients.
func seqRun(ps []*params.Param, f func(tp *Tape, x []*Tensor) *Tensor) (out []float64, grads [][]float64) {
	params.ZeroGrad(ps)
	tp := NewTape()
	x := make([]*Tensor, len(ps))
	for i, p := range ps {
		x[i] = tp.Param(p)
	}
	o := f(tp, x)
	w := tp.Floats(o.Size())
	rng := NewRand(77)
	for i := range w {
		w[i] = rng.Float64()*2 - 1
	}
	tp.Backward(tp.WeightedSum(o, w))
	for _, p := range ps {
		grads = append(grads, append([]float64(nil), p.Grad...))
	}
	return append([]float64(nil), o.Data...), grads
}

// TestGRUSeqMatchesCells compares GRUSeq with the per-step composition it
// replaces (GRUCell over Rows of xp, states joined by ConcatRows, h0
// first), on both paths of the backward row kernel: the states bit for
// bit, every gradient (xp, h0, Wh, bh) to 1e-12, for several batch sizes
// (1, odd, not a multiple of the kernels' blocks), lengths 0, 1 and more,
// state sizes the AVX2 kernel takes and one it leaves to Go, with and
// without bh.
func TestGRUSeqMatchesCells(t *testing.T) {
	saved := gruAsm
	defer func() { gruAsm = saved }()
	for _, asm := range []bool{false, true} {
		if asm && !saved {
			continue
		}
		gruAsm = asm
		for _, H := range []int{3, 4, 8} {
			for _, B := range []int{1, 5, 13} {
				for _, L := range []int{0, 1, 2, 7} {
					for _, bias := range []bool{false, true} {
						name := fmt.Sprintf("asm%v/H%d/B%d/L%d/bias%v", asm, H, B, L, bias)
						c := opCase{name: name, inputs: []in{u(L*B, 3*H), u(B, H), u(H, 3*H)}}
						if bias {
							c.inputs = append(c.inputs, u(3*H))
						}
						ps := makeInputs(c, uint64(H*1000+B*10+L))
						bh := func(x []*Tensor) *Tensor {
							if bias {
								return x[3]
							}
							return nil
						}
						o1, g1 := seqRun(ps, func(tp *Tape, x []*Tensor) *Tensor {
							hs := []*Tensor{x[1]}
							h := x[1]
							for j := 0; j < L; j++ {
								h = tp.GRUCell(tp.Rows(x[0], j*B, (j+1)*B), h, x[2], bh(x))
								hs = append(hs, h)
							}
							return tp.ConcatRows(hs...)
						})
						o2, g2 := seqRun(ps, func(tp *Tape, x []*Tensor) *Tensor {
							return tp.GRUSeq(x[0], x[1], x[2], bh(x))
						})
						for i := range o1 {
							if math.Float64bits(o1[i]) != math.Float64bits(o2[i]) {
								t.Fatalf("%s: state value %d: cells %v, GRUSeq %v", name, i, o1[i], o2[i])
							}
						}
						for k := range g1 {
							relTol(t, name+": gradient of "+ps[k].Name, g2[k], g1[k], 1e-12)
						}
					}
				}
			}
		}
	}
}

// TestGRUSeqNoGrad checks that the evaluation-only path (recording off,
// one step's scratch reused) gives the recorded path's values bit for bit.
func TestGRUSeqNoGrad(t *testing.T) {
	c := opCase{name: "nograd", inputs: []in{u(5*7, 12), u(7, 4), u(4, 12), u(12)}}
	ps := makeInputs(c, 4)
	run := func(noGrad bool) []float64 {
		tp := NewTape()
		tp.SetNoGrad(noGrad)
		return tp.GRUSeq(tp.Param(ps[0]), tp.Param(ps[1]), tp.Param(ps[2]), tp.Param(ps[3])).Data
	}
	a, b := run(false), run(true)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("value %d: recorded %v, no-grad %v", i, a[i], b[i])
		}
	}
}

// TestEmbedProjectMatchesLinear compares the encoder's input projection
// through EmbedProject (table = emb·Wx[:E] by MatMul, wf = Wx[E:] as a
// Rows view of the same Wx) with the composition it replaces,
// Linear(Concat(Gather(emb, idx), feats), Wx, b): values and the gradients
// of emb, Wx, b and feats to 1e-12, with padded rows (index −1), one and
// two features, with and without the bias, and row counts 0, 1 and odd.
func TestEmbedProjectMatchesLinear(t *testing.T) {
	const K, E, N = 4, 5, 9
	for _, F := range []int{1, 2} {
		for _, M := range []int{0, 1, 6, 23} {
			for _, bias := range []bool{false, true} {
				name := fmt.Sprintf("F%d/M%d/bias%v", F, M, bias)
				idx := make([]int, M)
				rng := NewRand(uint64(M + 10*F))
				for i := range idx {
					idx[i] = rng.IntN(K+1) - 1 // −1: padding
				}
				if M > 2 {
					idx[1] = -1
				}
				c := opCase{name: name, inputs: []in{u(K, E), u(E+F, N), u(M, F)}}
				if bias {
					c.inputs = append(c.inputs, u(N))
				}
				ps := makeInputs(c, uint64(7+M))
				b := func(x []*Tensor) *Tensor {
					if bias {
						return x[3]
					}
					return nil
				}
				o1, g1 := seqRun(ps, func(tp *Tape, x []*Tensor) *Tensor {
					return tp.Linear(tp.Concat(tp.Gather(x[0], idx), x[2]), x[1], b(x))
				})
				o2, g2 := seqRun(ps, func(tp *Tape, x []*Tensor) *Tensor {
					table := tp.MatMul(x[0], tp.Rows(x[1], 0, E), false, false)
					return tp.EmbedProject(table, idx, x[2], tp.Rows(x[1], E, E+F), b(x))
				})
				relTol(t, name+": value", o2, o1, 1e-12)
				for k := range g1 {
					relTol(t, name+": gradient of "+ps[k].Name, g2[k], g1[k], 1e-12)
				}
			}
		}
	}
}
