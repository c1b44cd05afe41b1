package fullynn

import (
	"testing"

	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/reftest"
)

// TestNoLookAhead: the predicted law of event i ignores events i, i+1, ….
func TestNoLookAhead(t *testing.T) {
	m := small(t, 3, likelihood.Full, 1)
	for _, s := range reftest.RandomSeqs(7, 3, 9, 3) {
		reftest.CheckNoLookAhead(t, m, s, 1e-12)
	}
}
