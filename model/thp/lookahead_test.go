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
