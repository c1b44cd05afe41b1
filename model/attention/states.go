package attention

import (
	"sync"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// EncodeFunc encodes a padded batch with a causal encoder and returns the
// hidden state of every event, time-major [L·B, D].
type EncodeFunc func(t *engine.Tape, b *batch.Batch) *engine.Tensor

// StateCache gives prediction the state that drives each event of a
// sequence (h0 before the first event, then the encoder's output at event
// j−1 for event j) from one causal pass over the whole sequence, cached per
// sequence (predict.PrefixCache.Whole), so that predicting all n events of
// a sequence costs one encoding instead of n encodings of growing prefixes.
// It is safe for concurrent use.
type StateCache struct {
	cache predict.PrefixCache[[]float64]
	tapes sync.Pool
}

// State returns the state driving event i of seq (i = 0..seq.Len()). D is
// the state width, h0 the state before any event, ps the parameters the
// encoding depends on (their fingerprint invalidates the cache). The
// returned slice must not be modified.
func (c *StateCache) State(seq *data.Sequence, i, numTypes, D int, h0 []float64, ps []*params.Param, enc EncodeFunc) []float64 {
	return c.cache.Whole(seq, i, FingerprintParams(ps), func(seq *data.Sequence) [][]float64 {
		return c.All(seq, numTypes, D, h0, enc)
	})
}

// All returns the states driving events 0..seq.Len() of seq (h0, then the
// encoder's output at each event) from one causal pass, without caching:
// what a model's predict.SequenceModel.Laws needs.
func (c *StateCache) All(seq *data.Sequence, numTypes, D int, h0 []float64, enc EncodeFunc) [][]float64 {
	n := seq.Len()
	out := make([][]float64, n+1)
	out[0] = append([]float64(nil), h0...)
	if n == 0 {
		return out
	}
	t, _ := c.tapes.Get().(*engine.Tape)
	if t == nil {
		t = engine.NewTape()
	}
	defer c.tapes.Put(t)
	t.Reset()
	t.SetNoGrad(true)
	whole := data.Sequence{Times: seq.Times, Types: seq.Types, Start: seq.Start, End: seq.Times[n-1]}
	x := enc(t, batch.PackSeqs([]data.Sequence{whole}, numTypes))
	flat := append([]float64(nil), x.Data[:n*D]...)
	for j := 0; j < n; j++ {
		out[j+1] = flat[j*D : (j+1)*D : (j+1)*D]
	}
	return out
}

// FingerprintParams is predict.Fingerprint over the parameters' values.
func FingerprintParams(ps []*params.Param) uint64 {
	var buf [32][]float64
	vals := buf[:0]
	for _, p := range ps {
		vals = append(vals, p.Value)
	}
	return predict.Fingerprint(vals...)
}
