// Package runner holds the batch loops shared by gotpp's engine-based
// neural models (rmtpp, nhp, odetpp, s2p2, the compose models and the
// attention family): a batch is split over worker goroutines, one engine
// tape each, optionally processed in column chunks, and the gradients are
// summed in a fixed order, so results are deterministic for a fixed number
// of threads and chunk size. The package also holds the model-file code
// those models share (save.go).
//
// # Chunks
//
// A tape holds every activation of its forward pass until the backward
// pass has used it. Over a worker's whole part of a 256-sequence batch
// that is tens of megabytes, which the products and element loops then
// stream from memory; over a few sequences it stays in the core's 1 MB L2
// cache. Running the part in chunks of a few hundred padded positions
// (Runner.ChunkTokens, a setting of each model: THP 128, SAHP 256, AttNHP
// 64, RMTPP 512, IntensityFree 256, and NHP 512, ODETPP 512, S2P2 128,
// which were chunked earlier to bound memory) made training 1.3–1.9×
// faster on this project's 2-core benchmark machine (Taxi, batch 256; tpp
// bench --speed); FullyNN did not gain and runs whole parts. The loss and
// gradients are those of one pass to rounding (model/all's
// TestChunkTokens, reftest.CheckChunking).
package runner

import (
	"fmt"
	"runtime"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
)

// ForwardFunc builds the log-likelihood of batch b under convention c on
// tape t and returns it (a scalar) with its parts.
type ForwardFunc func(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts)

// Runner scores batches with a model's ForwardFunc on worker goroutines
// (one engine tape each, gradients summed in a fixed order, so results are
// deterministic for a fixed number of threads). Each worker runs its part
// of a batch in column chunks of at most ChunkTokens padded positions
// (none when ChunkTokens is 0), accumulating the gradients, which keeps a
// pass's activations in cache and bounds memory whatever the batch size.
// It is not safe for concurrent use.
type Runner struct {
	Name     string // model name, for error messages
	NumTypes int    // number of event types a batch must have
	Forward  ForwardFunc
	// Train is the convention LossAndGrad trains with (New: Full).
	Train likelihood.Convention
	// ChunkTokens bounds the padded positions (columns × length) of one
	// tape pass; 0 (New's choice) processes each worker's part at once.
	ChunkTokens int
	workers     *engine.Workers
}

// New prepares a runner over ps with threads workers (0: GOMAXPROCS),
// training under the Full convention without chunking; set Train and
// ChunkTokens to change that.
func New(name string, numTypes int, ps []*params.Param, threads int, f ForwardFunc) *Runner {
	r := &Runner{Name: name, NumTypes: numTypes, Forward: f, Train: likelihood.Full}
	r.SetThreads(ps, threads)
	return r
}

// SetThreads changes the number of worker goroutines over ps (0:
// GOMAXPROCS).
func (r *Runner) SetThreads(ps []*params.Param, n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	r.workers = engine.NewWorkers(ps, n)
}

func (r *Runner) check(b *batch.Batch) {
	if b.NumTypes != r.NumTypes {
		panic(fmt.Sprintf("%s: batch has %d event types, model has %d", r.Name, b.NumTypes, r.NumTypes))
	}
}

// Chunks returns worker i's share of batch b (part i of n, as
// batch.Split cuts it) in column chunks of at most ChunkTokens padded
// positions (at least one column each; as the part's own Split into that
// many pieces would cut them), each cut from b directly; with ChunkTokens
// 0, or a part small enough, the part alone (b itself when n is 1).
func (r *Runner) Chunks(b *batch.Batch, i, n int) []*batch.Batch {
	lo, hi := 0, b.B
	if n > 1 {
		lo, hi = batch.PartRange(b.B, i, n)
	}
	L := 0
	for _, l := range b.Lens[lo:hi] {
		L = max(L, l)
	}
	B := hi - lo
	if r.ChunkTokens <= 0 || B*L <= r.ChunkTokens {
		if n == 1 {
			return []*batch.Batch{b}
		}
		return []*batch.Batch{b.Columns(lo, hi)}
	}
	cols := max(1, r.ChunkTokens/max(L, 1))
	k := min((B+cols-1)/cols, B)
	out := make([]*batch.Batch, k)
	for j := range out {
		a, z := batch.PartRange(B, j, k)
		out[j] = b.Columns(lo+a, lo+z)
	}
	return out
}

// LossAndGrad computes the negative log-likelihood of batch b under the
// Train convention (summed over the batch) and adds its gradient into the
// parameters' Grad. It returns the loss and the number of scored events.
func (r *Runner) LossAndGrad(b *batch.Batch) (negLogLik float64, numEvents int) {
	r.check(b)
	n := b.NumParts(r.workers.N())
	lls := make([]float64, n)
	r.workers.Run(n, func(i int, t *engine.Tape) {
		// each worker cuts its own columns (batch.Split's parts)
		for _, ch := range r.Chunks(b, i, n) {
			t.Reset()
			ll, _ := r.Forward(t, ch, r.Train)
			lls[i] += ll.Item()
			t.Backward(t.Neg(ll))
		}
	})
	for _, v := range lls {
		negLogLik -= v
	}
	return negLogLik, b.NumScored(r.Train)
}

// BatchLogLik scores batch b under convention c without gradients.
func (r *Runner) BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts {
	r.check(b)
	n := b.NumParts(r.workers.N())
	parts := make([]likelihood.Parts, n)
	r.workers.Eval(n, func(i int, t *engine.Tape) {
		for _, ch := range r.Chunks(b, i, n) {
			t.Reset()
			_, p := r.Forward(t, ch, c)
			parts[i].Add(p)
		}
	})
	var tot likelihood.Parts
	for _, p := range parts {
		tot.Add(p)
	}
	return tot
}

// EvalBatchSize is the number of sequences per batch in DatasetLogLik.
const EvalBatchSize = 64

// DatasetLogLik scores every sequence of ds under convention c in
// length-bucketed batches of EvalBatchSize.
func (r *Runner) DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error) {
	if ds.NumTypes != r.NumTypes {
		return likelihood.Parts{}, fmt.Errorf("%s: data set %q has %d event types, model has %d", r.Name, ds.Name, ds.NumTypes, r.NumTypes)
	}
	bk, err := batch.NewBucketer(ds, batch.Options{BatchSize: EvalBatchSize})
	if err != nil {
		return likelihood.Parts{}, err
	}
	var tot likelihood.Parts
	for _, idx := range bk.Plan(nil) {
		tot.Add(r.BatchLogLik(batch.Pack(ds, idx), c))
	}
	return tot, nil
}
