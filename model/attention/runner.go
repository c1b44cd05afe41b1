package attention

import (
	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/params"
)

// Intervals is the gap layout of a padded time-major batch used by the
// models of this family: column b with n events has the n+1 gaps p = 0..n,
// stored at row p·B + b of a [(L+1)·B] array. Gap p ends at event p (p < n)
// or at the window end (p = n, the survival term) and starts at event p−1
// (at the window start for p = 0); the model state that drives it is the
// one after event p−1 (an initial state for p = 0).
type Intervals struct {
	P, B int
	// Delta is the length of each gap (0 for padding).
	Delta []float64
	// Types is the type of the event ending the gap when its log-intensity
	// is scored, −1 otherwise.
	Types []int
	// IntMask is 1 when the gap's compensator counts, 0 otherwise.
	IntMask []float64
	// Scored is the number of scored events.
	Scored int
}

// NewIntervals lays out the gaps of b under convention c: Full scores
// every event and integrates every gap including the survival term;
// EasyTPP scores events 1..n−1 and integrates gaps 1..n−1 (from the first
// event to the last). The slices come from the tape's arena.
func NewIntervals(t *engine.Tape, b *batch.Batch, c likelihood.Convention) Intervals {
	B, P := b.B, b.L+1
	iv := Intervals{P: P, B: B, Delta: t.Floats(P * B), Types: t.Ints(P * B), IntMask: t.Floats(P * B)}
	for i := range iv.Types {
		iv.Types[i] = -1
	}
	for col := 0; col < B; col++ {
		n := b.Lens[col]
		for p := 0; p <= n; p++ {
			r := p*B + col
			if p < n {
				iv.Delta[r] = b.Dt[r]
			} else {
				iv.Delta[r] = b.Tail[col]
			}
			ev, in := p < n, true
			if c == likelihood.EasyTPP {
				ev = p >= 1 && p < n
				in = ev
			}
			if ev {
				iv.Types[r] = b.Types[r]
				iv.Scored++
			}
			if in {
				iv.IntMask[r] = 1
			}
		}
	}
	return iv
}

// Active reports whether gap row r is scored or integrated.
func (iv Intervals) Active(r int) bool { return iv.Types[r] >= 0 || iv.IntMask[r] != 0 }

// ForwardFunc builds the log-likelihood of batch b under convention c on
// tape t and returns it (a scalar) with its parts.
type ForwardFunc = runner.ForwardFunc

// Runner scores batches with a model's ForwardFunc on worker goroutines
// (one engine tape each, gradients summed in a fixed order, so results are
// deterministic for a fixed number of threads); the models of this family
// train under the Full convention, each worker's part in column chunks of
// their Config.ChunkTokens. It is the runner nhp, odetpp and s2p2 use
// (model/internal/runner). It is not safe for concurrent use.
type Runner = runner.Runner

// NewRunner prepares a runner over ps with threads workers (0: GOMAXPROCS).
func NewRunner(name string, numTypes int, ps []*params.Param, threads int, f ForwardFunc) *Runner {
	return runner.New(name, numTypes, ps, threads, f)
}

// EvalBatchSize is the number of sequences per batch in DatasetLogLik.
const EvalBatchSize = runner.EvalBatchSize

// PartsOf fills a likelihood.Parts from the stats of an intensity op.
func PartsOf(st engine.IntensityStats, numSeqs int) likelihood.Parts {
	return likelihood.Parts{
		LogLik:    st.EventLog - st.Integral,
		TimeLL:    st.TotalLog - st.Integral,
		MarkLL:    st.EventLog - st.TotalLog,
		NumEvents: st.NumEvents,
		NumSeqs:   numSeqs,
	}
}

// Rule returns the Gauss–Legendre rule with n nodes on [0, 1].
func Rule(n int) (nodes, weights []float64) { return engine.GaussLegendre(n) }
