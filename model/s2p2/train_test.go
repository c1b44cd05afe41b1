package s2p2

import (
	"math"
	"testing"
	"time"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/internal/reftest"
	"github.com/gotpp/gotpp/predict"
)

// TestTrainHawkes trains S2P2 with train.Run on simulated Hawkes data and
// checks that the held-out log-likelihood per event moves most of the way
// from its initial value to the true model's. It also reports the accuracy
// of the default compensator quadrature on the trained model.
func TestTrainHawkes(t *testing.T) {
	t0 := time.Now()
	m, err := New(Config{HiddenSize: 16, StateSize: 4, Layers: 2}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	te := reftest.CheckTrainHawkes(t, m)
	t.Logf("training and evaluation took %.1fs", time.Since(t0).Seconds())

	sub := &data.Dataset{Name: "sub", NumTypes: 2, Seqs: te.Seqs[:15]}
	gl, easy, ref := reftest.CompensatorRules(m, m.nodes, m.weights, sub)
	t.Logf("compensator over 15 test sequences: reference %.6f; Gauss–Legendre %d nodes rel. error %.2e; EasyTPP 20 equispaced points rel. error %.2e",
		ref, m.cfg.QuadNodes, math.Abs(gl-ref)/ref, math.Abs(easy-ref)/ref)
	if math.Abs(gl-ref) > 5e-3*ref || math.Abs(gl-ref) > math.Abs(easy-ref) {
		t.Fatalf("Gauss–Legendre compensator %.8g, reference %.8g, EasyTPP rule %.8g", gl, ref, easy)
	}
	var _ predict.Model = m
}
