package odetpp

import (
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/reftest"
)

// TestTimeRescaling: sequences sampled from the model through NextAfter,
// rescaled with the compensator of the batched training path, give Exp(1)
// gaps; 30%-inflated gaps are rejected; each batched gap agrees with
// NextAfter's integrated intensity to maxGapDiff (reftest.CheckTimeRescaling).
func TestTimeRescaling(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 8, Threads: 1}, 3)
	randomise(m, 21, 0.6)
	rng := rand.New(rand.NewPCG(22, 1))
	nSeq, nEv := 20, 40
	if testing.Short() {
		nSeq = 10
	}
	full := func(s data.Sequence) float64 { return seqLogLik(m, s, likelihood.Full).LogLik }
	reftest.CheckTimeRescaling(t, m, full, nSeq, nEv, maxGapDiff, rng)
}

// TestPredictConcurrent: predict.Dataset with 4 workers (sharing the prefix
// cache) gives the same rows as with one.
func TestPredictConcurrent(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 6}, 3)
	randomise(m, 31, 0.5)
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: randomSeqs(32, 6, 8, 3)}
	reftest.CheckPredictConcurrent(t, m, ds)
}

// maxGapDiff bounds the difference between the batched compensator of a
// gap and NextAfter's intensity integrated by predict (relative to
// max(1, gap)): the RK4 error of integrating Λ as an ODE state.
const maxGapDiff = 5e-3

// TestNoLookAhead: the predicted law of event i ignores events i, i+1, …,
// through NextAfter and through Laws.
func TestNoLookAhead(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 5}, 3)
	randomise(m, 4, 0.5)
	for _, s := range randomSeqs(7, 3, 9, 3) {
		reftest.CheckNoLookAhead(t, m, s, 1e-12)
	}
}
