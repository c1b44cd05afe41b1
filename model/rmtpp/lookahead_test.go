package rmtpp

import (
	"testing"

	"github.com/gotpp/gotpp/model/internal/reftest"
)

// TestNoLookAhead: the predicted law of event i ignores events i, i+1, ….
func TestNoLookAhead(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 5}, 3)
	for _, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] += 0.1 * float64((i*7)%5-2)
		}
	}
	for _, s := range reftest.RandomSeqs(7, 3, 9, 3) {
		reftest.CheckNoLookAhead(t, m, s, 1e-12)
	}
}
