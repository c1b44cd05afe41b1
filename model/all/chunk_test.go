package all_test

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model"
	_ "github.com/gotpp/gotpp/model/all"
	"github.com/gotpp/gotpp/model/attention/modeltest"
	"github.com/gotpp/gotpp/train"
)

// TestChunkTokens checks, for the models given chunk_tokens this session, that
// training in chunks (a few sequences per forward and backward pass within
// each worker's part) gives the loss, event count and gradients of one pass
// over the whole part, to rounding; and that a negative setting is
// refused. The batch has sequences of different lengths, so the chunks
// have different padded lengths.
func TestChunkTokens(t *testing.T) {
	const k = 3
	seqs := modeltest.RandomSeqs(21, 13, 9, k)
	ds := &data.Dataset{Name: "chunks", NumTypes: k, Seqs: seqs}
	b := batch.PackSeqs(seqs, k)
	for _, name := range []string{"thp", "sahp", "attnhp", "rmtpp", "intensityfree", "fullynn"} {
		spec, err := model.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		run := func(chunk int) (float64, int, [][]float64) {
			h := model.Hyper{Hidden: 8, Layers: 1, Heads: 2, Specs: map[string]any{"chunk_tokens": chunk}}
			m, err := spec.New(k, h, 5)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			m.(interface{ SetThreads(int) }).SetThreads(2)
			if f, ok := m.(train.DataFitter); ok {
				if err := f.FitData(ds); err != nil {
					t.Fatal(err)
				}
			}
			modeltest.Randomise(m.Params(), 6, 0.3)
			loss, n := m.LossAndGrad(b)
			var gs [][]float64
			for _, p := range m.Params() {
				gs = append(gs, append([]float64(nil), p.Grad...))
			}
			return loss, n, gs
		}
		l0, n0, g0 := run(1 << 20) // one chunk per part
		for _, chunk := range []int{1, 10, 25} {
			l, n, g := run(chunk)
			if n != n0 || math.Abs(l-l0) > 1e-12*math.Max(1, math.Abs(l0)) {
				t.Fatalf("%s chunk_tokens %d: loss %v over %d events, whole parts give %v over %d", name, chunk, l, n, l0, n0)
			}
			for i := range g {
				for j := range g[i] {
					if math.Abs(g[i][j]-g0[i][j]) > 1e-10*math.Max(1, math.Abs(g0[i][j])) {
						t.Fatalf("%s chunk_tokens %d: gradient %d[%d] = %v, whole parts give %v", name, chunk, i, j, g[i][j], g0[i][j])
					}
				}
			}
		}
		if _, err := spec.New(k, model.Hyper{Specs: map[string]any{"chunk_tokens": -1}}, 1); err == nil {
			t.Errorf("%s: chunk_tokens -1 accepted", name)
		}
	}
}
