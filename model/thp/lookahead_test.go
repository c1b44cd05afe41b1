package thp

import (
	"testing"

	"github.com/gotpp/gotpp/model/attention/modeltest"
	"github.com/gotpp/gotpp/model/internal/reftest"
)

// TestNoLookAhead: the predicted law of event i ignores events i, i+1, …
// (prediction encodes each sequence once and reuses it for every event).
func TestNoLookAhead(t *testing.T) {
	m := newTest(t, small(1), 3, 2)
	modeltest.Randomise(m.Params(), 4, 0.4)
	for _, s := range modeltest.RandomSeqs(7, 3, 9, 3) {
		reftest.CheckNoLookAhead(t, m, s, 1e-12)
	}
}

// TestDropout: dropout acts in training only (modeltest.CheckDropout).
func TestDropout(t *testing.T) {
	cfg := small(1)
	plain := newTest(t, cfg, 3, 2)
	cfg.Dropout = 0.3
	drop := newTest(t, cfg, 3, 2)
	modeltest.Randomise(drop.Params(), 4, 0.4)
	modeltest.CheckDropout(t, drop, plain, modeltest.RandomSeqs(5, 4, 8, 3))
}
