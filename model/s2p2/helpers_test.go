package s2p2

import (
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/reftest"
)

// Shared helpers (model/internal/reftest): random sequences with ties and
// windows, the independent Simpson-quadrature log-likelihood, utilities.
var (
	randomSeqs = reftest.RandomSeqs
	relClose   = reftest.RelClose
	simpson    = reftest.Simpson
	refLogLik  = reftest.RefLogLik
	repoRoot   = reftest.RepoRoot
)

// randomise sets every parameter to a U(−a, a) draw.
func randomise(m *Model, seed uint64, a float64) { reftest.Randomise(m.ps, seed, a) }

func newTest(t testing.TB, cfg Config, k int) *Model {
	t.Helper()
	m, err := New(cfg, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// seqLogLik scores one sequence through the batched path.
func seqLogLik(m *Model, s data.Sequence, c likelihood.Convention) likelihood.Parts {
	return m.BatchLogLik(batch.PackSeqs([]data.Sequence{s}, m.k), c)
}
