package engine

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/params"
)

var (
	ctMask     = []float64{1, 0, 1}
	evTypes    = []int{0, 2, -1, 1, 2}
	qWeights   = []float64{0.3, 0, 0.25, 1.1, 0, 0.7, 0.05}
	statsFused IntensityStats
	// embedIdx picks rows of a 3-row table, with padding (−1) among them
	embedIdx = []int{2, 0, -1, 2, 1, -1, 0}
)

func fusedCases() []opCase {
	return []opCase{
		{"RNNCell", []in{u(3, 4), u(3, 4), u(4, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.RNNCell(x[0], x[1], x[2]) }},
		{"RNNUnrolled", []in{u(3, 4), u(4, 4), u(9, 4)}, func(o Ops, x []*Tensor) *Tensor {
			h := x[0]
			var hs []*Tensor
			for s := 0; s < 3; s++ {
				h = o.RNNCell(o.Rows(x[2], 3*s, 3*s+3), h, x[1])
				hs = append(hs, h)
			}
			return o.ConcatRows(hs...)
		}},
		{"LSTMCell", []in{u(3, 16), u(3, 4), u(3, 4), u(4, 16)}, func(o Ops, x []*Tensor) *Tensor {
			h, c := o.LSTMCell(x[0], x[1], x[2], x[3])
			return o.Concat(h, c)
		}},
		{"LSTMUnrolled", []in{u(6, 8), u(2, 2), u(2, 2), u(2, 8)}, func(o Ops, x []*Tensor) *Tensor {
			h, c := x[1], x[2]
			for s := 0; s < 3; s++ {
				h, c = o.LSTMCell(o.Rows(x[0], 2*s, 2*s+2), h, c, x[3])
			}
			return o.Concat(h, o.Square(c))
		}},
		{"GRUCell", []in{u(3, 12), u(3, 4), u(4, 12), u(12)}, func(o Ops, x []*Tensor) *Tensor { return o.GRUCell(x[0], x[1], x[2], x[3]) }},
		{"GRUCellNoBias", []in{u(3, 12), u(3, 4), u(4, 12)}, func(o Ops, x []*Tensor) *Tensor { return o.GRUCell(x[0], x[1], x[2], nil) }},
		{"GRUSeq", []in{u(12, 12), u(3, 4), u(4, 12), u(12)}, func(o Ops, x []*Tensor) *Tensor { return o.GRUSeq(x[0], x[1], x[2], x[3]) }},
		{"GRUSeqNoBias", []in{u(10, 9), u(5, 3), u(3, 9)}, func(o Ops, x []*Tensor) *Tensor { return o.GRUSeq(x[0], x[1], x[2], nil) }},
		{"GRUSeqL1", []in{u(3, 12), u(3, 4), u(4, 12), u(12)}, func(o Ops, x []*Tensor) *Tensor { return o.GRUSeq(x[0], x[1], x[2], x[3]) }},
		{"GRUSeqL0", []in{u(0, 12), u(3, 4), u(4, 12), u(12)}, func(o Ops, x []*Tensor) *Tensor { return o.GRUSeq(x[0], x[1], x[2], x[3]) }},
		{"GRUSeqStacked", []in{u(6, 12), u(2, 4), u(4, 12), u(12), u(4, 12), u(2, 4), u(4, 12)}, func(o Ops, x []*Tensor) *Tensor {
			// two layers, the second fed the first's states through a view
			s1 := o.GRUSeq(x[0], x[1], x[2], x[3])
			xp := o.Linear(o.Rows(s1, 2, 8), x[4], nil)
			return o.Concat(s1, o.GRUSeq(xp, x[5], x[6], x[3]))
		}},
		{"EmbedProject", []in{u(3, 5), u(7, 2), u(2, 5), u(5)}, func(o Ops, x []*Tensor) *Tensor {
			return o.EmbedProject(x[0], embedIdx, x[1], x[2], x[3])
		}},
		{"EmbedProjectNoBias", []in{u(3, 6), u(7, 1), u(1, 6)}, func(o Ops, x []*Tensor) *Tensor {
			return o.EmbedProject(x[0], embedIdx, x[1], x[2], nil)
		}},
		{"EmbedProjectOfWx", []in{u(3, 4), u(6, 5), u(7, 2), u(5)}, func(o Ops, x []*Tensor) *Tensor {
			// as the encoder uses it: the table and wf are views of one Wx
			table := o.MatMul(x[0], o.Rows(x[1], 0, 4), false, false)
			return o.EmbedProject(table, embedIdx, x[2], o.Rows(x[1], 4, 6), x[3])
		}},
		{"CTDecay", []in{u(3, 4), u(3, 4), pos(3, 4), pos(3, 5)}, func(o Ops, x []*Tensor) *Tensor {
			return o.CTDecay(x[0], x[1], x[2], x[3], nil)
		}},
		{"CTDecayMasked", []in{u(3, 4), u(3, 4), pos(3, 4), pos(3, 5)}, func(o Ops, x []*Tensor) *Tensor {
			return o.CTDecay(x[0], x[1], x[2], x[3], ctMask)
		}},
		{"CTHidden", []in{u(3, 4), u(3, 4), pos(3, 4), u(3, 4), pos(3, 2)}, func(o Ops, x []*Tensor) *Tensor {
			return o.CTHidden(x[0], x[1], x[2], x[3], x[4], nil)
		}},
		{"CTHiddenMasked", []in{u(3, 4), u(3, 4), pos(3, 4), u(3, 4), pos(3, 2)}, func(o Ops, x []*Tensor) *Tensor {
			return o.CTHidden(x[0], x[1], x[2], x[3], x[4], ctMask)
		}},
		{"PickLogSoftmax", []in{in{[]int{3, 4}, -3, 3}}, func(o Ops, x []*Tensor) *Tensor { return o.PickLogSoftmax(x[0], pickIdx) }},
		{"IntensityLL", []in{u(5, 3), u(7, 3), u(3, 3), u(3), u(3)}, func(o Ops, x []*Tensor) *Tensor {
			return o.SoftplusIntensityLL(IntensityLL{HEv: x[0], Types: evTypes, HQ: x[1], QW: qWeights, W: x[2], B: x[3], LogBeta: x[4], Stats: &statsFused})
		}},
		{"IntensityLLPlain", []in{u(5, 3), u(7, 3), u(3, 3)}, func(o Ops, x []*Tensor) *Tensor {
			return o.SoftplusIntensityLL(IntensityLL{HEv: x[0], Types: evTypes, HQ: x[1], QW: qWeights, W: x[2]})
		}},
		{"IntensityLLEventsOnly", []in{u(5, 3), in{[]int{3, 3}, -4, 4}, u(3)}, func(o Ops, x []*Tensor) *Tensor {
			return o.SoftplusIntensityLL(IntensityLL{HEv: x[0], Types: evTypes, W: x[1], LogBeta: x[2]})
		}},
	}
}

// TestFusedGradients checks the hand-written backward pass of every fused
// op against central finite differences.
func TestFusedGradients(t *testing.T) {
	for ci, c := range fusedCases() {
		t.Run(c.name, func(t *testing.T) {
			seed := uint64(500 + ci)
			ps := makeInputs(c, seed)
			tp := NewTape()
			loss := func() float64 { tp.Reset(); return scalarLoss(tp, tp, c, ps, seed).Item() }
			grad := func() { tp.Reset(); tp.Backward(scalarLoss(tp, tp, c, ps, seed)) }
			if err := CheckGradients(ps, loss, grad, GradCheck{RelTol: 1e-6, AbsTol: 1e-9}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFusedMatchesComposite compares each fused op with its composition of
// primitive ops: values and gradients.
func TestFusedMatchesComposite(t *testing.T) {
	for ci, c := range fusedCases() {
		t.Run(c.name, func(t *testing.T) {
			seed := uint64(900 + ci)
			ps := makeInputs(c, seed)
			run := func(composite bool) (float64, [][]float64, IntensityStats) {
				params.ZeroGrad(ps)
				tp := NewTape()
				var o Ops = tp
				if composite {
					o = Composite{tp}
				}
				statsFused = IntensityStats{}
				l := scalarLoss(tp, o, c, ps, seed)
				tp.Backward(l)
				g := make([][]float64, len(ps))
				for i, p := range ps {
					g[i] = append([]float64(nil), p.Grad...)
				}
				return l.Item(), g, statsFused
			}
			vf, gf, sf := run(false)
			vc, gc, sc := run(true)
			if math.Abs(vf-vc) > 1e-12*max(1, math.Abs(vc)) {
				t.Fatalf("value: fused %.15g, composite %.15g", vf, vc)
			}
			for i := range gf {
				closeSlices(t, ps[i].Name+" gradient", gf[i], gc[i], 1e-11)
			}
			for _, pair := range [][2]float64{{sf.EventLog, sc.EventLog}, {sf.TotalLog, sc.TotalLog}, {sf.Integral, sc.Integral}} {
				if math.Abs(pair[0]-pair[1]) > 1e-12*max(1, math.Abs(pair[1])) {
					t.Fatalf("stats: fused %+v, composite %+v", sf, sc)
				}
			}
			if sf.NumEvents != sc.NumEvents {
				t.Fatalf("stats: fused %+v, composite %+v", sf, sc)
			}
		})
	}
}

// TestIntensityLLScalar checks the intensity op against a direct scalar
// evaluation of its definition.
func TestIntensityLLScalar(t *testing.T) {
	var c opCase
	for _, fc := range fusedCases() {
		if fc.name == "IntensityLL" {
			c = fc
		}
	}
	ps := makeInputs(c, 3)
	tp := NewTape()
	got := scalarLoss(tp, tp, c, ps, 3).Item() / 1.3
	hEv, hQ, w, b, lb := ps[0].Value, ps[1].Value, ps[2].Value, ps[3].Value, ps[4].Value
	lam := func(h []float64, k int) float64 {
		z := b[k]
		for d := 0; d < 3; d++ {
			z += h[d] * w[d*3+k]
		}
		beta := math.Exp(lb[k])
		return math.Log(1+math.Exp(beta*z)) / beta
	}
	want := 0.0
	for i, k := range evTypes {
		if k >= 0 {
			want += math.Log(lam(hEv[i*3:i*3+3], k))
		}
	}
	for m, q := range qWeights {
		for k := 0; k < 3; k++ {
			want -= q * lam(hQ[m*3:m*3+3], k)
		}
	}
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("SoftplusIntensityLL = %.15g, scalar definition %.15g", got, want)
	}
}

// TestIntensityLLExtreme checks that very small intensities keep finite
// log-values and exact gradients (no clamping): log λ = x − log β + O(e^x).
func TestIntensityLLExtreme(t *testing.T) {
	h := NewParam("h", 1, 1)
	h.Value[0] = 1
	w := NewParam("w", 1, 1)
	w.Value[0] = -900
	tp := NewTape()
	out := tp.SoftplusIntensityLL(IntensityLL{HEv: tp.Param(h), Types: []int{0}, W: tp.Param(w)})
	tp.Backward(out)
	if out.Item() != -900 || h.Grad[0] != -900 || w.Grad[0] != 1 {
		t.Fatalf("log λ = %v, dh = %v, dw = %v; want -900, -900, 1", out.Item(), h.Grad[0], w.Grad[0])
	}
}
