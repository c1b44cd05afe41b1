package compose

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/model/compose/composetest"
	"github.com/gotpp/gotpp/params"
)

// encodeComposed is Encode as it was written before the fused input
// projection and layer ops: the first layer's input built as
// Concat(Lookup(emb, types), features) and projected by Linear, every layer
// stepped with its cell (GRUCell, RNNCell, LSTMCell) over Rows of the
// projection and the states joined with ConcatRows. TestEncodeMatchesComposed
// holds Encode to it.
func (e *Encoder) encodeComposed(t *engine.Tape, b *batch.Batch, st *LogGapStats) *engine.Tensor {
	B, L, H := b.B, b.L, e.cfg.Hidden
	F := e.cfg.numFeatures()
	typeIdx := make([]int, L*B)
	feats := make([]float64, L*B*F)
	for i := 0; i < L*B; i++ {
		if b.Mask[i] == 0 {
			typeIdx[i] = -1
			e.features(1, st.scaler(), feats[i*F:(i+1)*F])
			continue
		}
		typeIdx[i] = b.Types[i]
		e.features(b.Dt[i], st.scaler(), feats[i*F:(i+1)*F])
	}
	zeros := make([]int, B)
	var in, top *engine.Tensor
	if L > 0 {
		in = t.Concat(e.emb.Lookup(t, typeIdx), t.Const(feats, L*B, F))
	}
	outs := make([]*engine.Tensor, L+1)
	for li, ly := range e.layers {
		if L == 0 && li < len(e.layers)-1 {
			continue
		}
		h := t.Gather(t.Reshape(t.Param(ly.h0), 1, H), zeros)
		var c *engine.Tensor
		if ly.c0 != nil {
			c = t.Gather(t.Reshape(t.Param(ly.c0), 1, H), zeros)
		}
		outs[0] = h
		if L > 0 {
			xp := t.Linear(in, t.Param(ly.wx), t.Param(ly.b))
			wh := t.Param(ly.wh)
			var bh *engine.Tensor
			if ly.bh != nil {
				bh = t.Param(ly.bh)
			}
			for j := 0; j < L; j++ {
				x := t.Rows(xp, j*B, (j+1)*B)
				switch e.cfg.Cell {
				case CellRNN:
					h = t.RNNCell(x, h, wh)
				case CellGRU:
					h = t.GRUCell(x, h, wh, bh)
				default:
					h, c = t.LSTMCell(x, h, c, wh)
				}
				outs[j+1] = h
			}
		}
		if li == len(e.layers)-1 {
			top = t.ConcatRows(outs...)
		} else {
			in = t.ConcatRows(outs[1:]...)
		}
	}
	return top
}

// closeRel reports whether got is within tol of want relative to the
// larger of |want[i]| and a thousandth of want's largest magnitude.
func closeRel(got, want []float64, tol float64) (int, bool) {
	if len(got) != len(want) {
		return -1, false
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol*math.Max(math.Abs(want[i]), 1e-3*scale)) {
			return i, false
		}
	}
	return 0, true
}

// TestEncodeMatchesComposed compares Encode (EmbedProject for the first
// layer's input projection, GRUSeq for GRU layers) with the composition it
// replaced (encodeComposed): the states and the gradients of every
// parameter, through a random linear read-out of all states, to 1e-12
// relative, for every cell, 1 to 3 layers, both feature sets and batches
// with padding (an empty sequence, uneven lengths), an odd number of
// columns, one column, length 1 and length 0 (no events at all).
func TestEncodeMatchesComposed(t *testing.T) {
	batches := map[string]*batch.Batch{
		"padded":  batch.PackSeqs(composetest.RandomSeqs(11, 7, 9, 4), 4),
		"single":  batch.PackSeqs(composetest.RandomSeqs(12, 2, 6, 4)[1:], 4),
		"length1": batch.PackSeqs(composetest.RandomSeqs(13, 5, 1, 4), 4),
		"length0": batch.PackSeqs([]data.Sequence{{Start: 0, End: 1}, {Start: -1, End: 2}, {Start: 0.5, End: 0.7}}, 4),
	}
	if b := batches["length1"]; b.L != 1 {
		t.Fatalf("length1 batch has L = %d", b.L)
	}
	if b := batches["length0"]; b.L != 0 {
		t.Fatalf("length0 batch has L = %d", b.L)
	}
	st := LogGapStats{Mean: -0.2, Std: 0.9}
	for bname, b := range batches {
		for _, cell := range []string{CellRNN, CellGRU, CellLSTM} {
			for layers := 1; layers <= 3; layers++ {
				for _, feat := range []string{FeatureLog, FeatureLogLinear} {
					name := fmt.Sprintf("%s/%s/%d layers/%s", bname, cell, layers, feat)
					e, err := NewEncoder(EncoderConfig{Cell: cell, Hidden: 4, Layers: layers, EmbedSize: 3, TimeFeatures: feat}, 4)
					if err != nil {
						t.Fatal(err)
					}
					e.Init(engine.NewRand(uint64(layers)))
					randomise(e.Params(), 9, 0.4)
					w := make([]float64, (b.L+1)*b.B*4)
					rng := rand.New(rand.NewPCG(3, uint64(layers)))
					for i := range w {
						w[i] = rng.NormFloat64()
					}
					run := func(composed bool) ([]float64, [][]float64) {
						params.ZeroGrad(e.Params())
						tp := engine.NewTape()
						var S *engine.Tensor
						if composed {
							S = e.encodeComposed(tp, b, &st)
						} else {
							S = e.Encode(tp, b, &st)
						}
						tp.Backward(tp.WeightedSum(S, w))
						var g [][]float64
						for _, p := range e.Params() {
							g = append(g, append([]float64(nil), p.Grad...))
						}
						return append([]float64(nil), S.Data...), g
					}
					s1, g1 := run(true)
					s2, g2 := run(false)
					if i, ok := closeRel(s2, s1, 1e-12); !ok {
						t.Fatalf("%s: state value %d: Encode %v, composed %v", name, i, s2, s1)
					}
					for k, p := range e.Params() {
						if i, ok := closeRel(g2[k], g1[k], 1e-12); !ok {
							t.Fatalf("%s: gradient of %s[%d]: Encode %.17g, composed %.17g", name, p.Name, i, g2[k][i], g1[k][i])
						}
					}
				}
			}
		}
	}
}
