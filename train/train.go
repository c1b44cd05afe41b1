// Package train holds gotpp's training loop for neural point-process models,
// independent of how a model computes its gradients: length-bucketed
// mini-batches (package batch), Adam, global-norm gradient clipping, early
// stopping on the dev log-likelihood, optional data-parallel workers, a
// progress bar, a per-epoch log and atomic, checksummed checkpoints from which
// a run resumes bit for bit. Adam and clipping are written here (rather than
// taken from a library) because their state must live in gotpp's checkpoint
// and act on params.Param's flat buffers.
//
// # Loss
//
// Model.LossAndGrad returns the summed negative log-likelihood of a batch and
// the number of events it scored, and adds the gradient of that sum to the
// Grad buffers. The trainer divides the gradient by the number of events (the
// per-event loss EasyTPP minimises), clips it, and takes an Adam step. The
// epoch's train_loss is Σ loss / Σ events over its batches.
//
// # Run directory
//
//	epochs.jsonl     one EpochRecord (JSON) per completed epoch
//	checkpoint.ckpt  state after the last completed epoch (resume)
//	best.params      parameters of the best dev epoch (of the last epoch without a dev set)
//	model files      whatever Model.Save writes, called once at the end with the best parameters loaded
//
// Every file is written atomically (temporary file, sync, rename). The
// checkpoint is written first and is the record: a resumed run rewrites
// epochs.jsonl and best.params from it, so a crash between the writes leaves
// nothing inconsistent behind. A
// checkpoint is written only after the epoch's parameters were checked to be
// finite; a non-finite loss or gradient stops the run with a NonFiniteError
// before the optimiser touches the parameters.
//
// # File format
//
// checkpoint.ckpt and best.params share one envelope: 8 bytes of magic
// ("GOTPPCK1" for a checkpoint, "GOTPPPR1" for parameters), the payload length
// as a little-endian uint64, the payload (encoding/gob), and the CRC-32C
// (Castagnoli) of the payload as a little-endian uint32. A parameter payload
// is a []SavedParam {Name, Shape, Value}; LoadParams reads one into a model.
// A checkpoint payload holds the parameters, Adam's step count and moments,
// the state of the PCG random source that shuffles the batches, the best dev
// score with its parameters and epoch, the early-stopping counter, the epoch
// log, and a fingerprint (seed, batch size, token budget, workers, data and
// parameter sizes) that a resumed run must match.
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
)

// Model is a trainable neural point-process model.
type Model interface {
	// Params returns the model's parameters, in a fixed order, with Grad
	// buffers of the same length as Value.
	Params() []*params.Param
	// LossAndGrad returns the negative log-likelihood of the batch summed
	// over its sequences and the number of events it scored, and adds the
	// gradient of that sum to the Grad buffers. Which events are scored (the
	// likelihood convention) is the model's own setting.
	// It may be called on several clones at once (see Cloner) but never at
	// the same time as the optimiser updates the shared values.
	LossAndGrad(b *batch.Batch) (negLogLik float64, numEvents int)
	// DatasetLogLik scores a whole data set under convention c.
	DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error)
	// Save writes the model's own files into dir, atomically.
	Save(dir string) error
}

// DataFitter is a Model with constants fitted to the training data before
// training (for example the mean and spread of log inter-event gaps used to
// standardise inputs). Run calls FitData on the train split first.
type DataFitter interface {
	FitData(ds *data.Dataset) error
}

// Cloner is a Model that can run on several goroutines at once: Clone returns
// a model whose Params have the same names and shapes and share the Value
// slices with the original, but have their own Grad buffers (and whatever
// scratch space LossAndGrad needs).
type Cloner interface {
	Clone() Model
}

// Options control Run.
type Options struct {
	Epochs      int     // total number of epochs (a resumed run counts the ones already done)
	BatchSize   int     // sequences per batch
	MaxTokens   int     // padded positions per batch (B·L); 0 = no limit
	LR          float64 // Adam learning rate
	WeightDecay float64 // Adam weight decay (L2 in the gradient, as torch.optim.Adam)
	Clip        float64 // global gradient-norm clip after the per-event scaling; 0 = off
	Patience    int     // stop after this many epochs without a better dev score; 0 = never
	Seed        int64   // seeds the batch shuffling
	Workers     int     // goroutines per batch (needs a Cloner); 0 or 1 = one
	Quiet       bool    // no progress bar and no epoch lines
	Resume      bool    // continue from OutDir/checkpoint.ckpt
	Overwrite   bool    // start afresh even if OutDir already holds a checkpoint
	OutDir      string  // run directory; "" = write nothing (no checkpoints, no resume)
	// Convention is the likelihood convention of the dev evaluation.
	Convention likelihood.Convention
	// Log receives the progress bar (only when it is a terminal) and one line
	// per epoch; nil means os.Stderr.
	Log io.Writer
	// OnEpoch, if set, is called after each epoch's files are written.
	OnEpoch func(EpochRecord)
}

// DefaultOptions are the trainer settings of EasyTPP's example configs
// (batch 256, lr 1e-3, seed 2019) with 20 epochs and no clipping.
func DefaultOptions() Options {
	return Options{Epochs: 20, BatchSize: 256, LR: 1e-3, Seed: 2019, Workers: 1}
}

func (o *Options) check() error {
	var bad []string
	if o.Epochs < 0 {
		bad = append(bad, fmt.Sprintf("epochs %d < 0", o.Epochs))
	}
	if o.BatchSize <= 0 {
		bad = append(bad, fmt.Sprintf("batch size %d <= 0", o.BatchSize))
	}
	if o.MaxTokens < 0 {
		bad = append(bad, fmt.Sprintf("token budget %d < 0", o.MaxTokens))
	}
	if !(o.LR > 0) || math.IsInf(o.LR, 0) {
		bad = append(bad, fmt.Sprintf("learning rate %v, want > 0", o.LR))
	}
	if o.WeightDecay < 0 || math.IsNaN(o.WeightDecay) {
		bad = append(bad, fmt.Sprintf("weight decay %v < 0", o.WeightDecay))
	}
	if o.Clip < 0 || math.IsNaN(o.Clip) {
		bad = append(bad, fmt.Sprintf("clip %v < 0", o.Clip))
	}
	if o.Patience < 0 {
		bad = append(bad, fmt.Sprintf("patience %d < 0", o.Patience))
	}
	if o.Workers < 0 {
		bad = append(bad, fmt.Sprintf("workers %d < 0", o.Workers))
	}
	if o.Resume && o.OutDir == "" {
		bad = append(bad, "resume needs a run directory")
	}
	if len(bad) > 0 {
		return errors.New("train: bad options: " + strings.Join(bad, "; "))
	}
	return nil
}

// EpochRecord is one line of epochs.jsonl.
type EpochRecord struct {
	Epoch       int     `json:"epoch"`
	TrainLoss   float64 `json:"train_loss"` // negative log-likelihood per event, averaged over the epoch
	TrainEvents int     `json:"train_events"`
	Batches     int     `json:"batches"`
	// Dev scores per event (null without a dev set or when not finite).
	DevLogLik     *float64 `json:"dev_loglik_per_event"`
	DevTimeLogLik *float64 `json:"dev_time_loglik_per_event,omitempty"`
	DevMarkLogLik *float64 `json:"dev_mark_loglik_per_event,omitempty"`
	DevEvents     int      `json:"dev_events,omitempty"`
	Best          bool     `json:"best"` // this epoch is the best so far

	Seconds         float64 `json:"seconds"`       // whole epoch, dev evaluation and files included
	TrainSeconds    float64 `json:"train_seconds"` // training batches only
	EventsPerSecond float64 `json:"events_per_second"`
	LR              float64 `json:"lr"`
	GradNorm        float64 `json:"grad_norm"`     // mean global gradient norm (per-event scale, before clipping)
	GradNormMax     float64 `json:"grad_norm_max"` // largest one
	Clipped         int     `json:"clipped_batches"`
}

// Result summarises a run.
type Result struct {
	Epochs       int     // epochs completed, resumed ones included
	StartEpoch   int     // epochs already done when this call began (resume)
	BestEpoch    int     // epoch whose parameters the model holds at the end (0 = none)
	BestDev      float64 // dev log-likelihood per event of BestEpoch (NaN without dev set)
	TrainLoss    float64 // train loss of the last epoch (NaN if none ran)
	StoppedEarly bool
	Workers      int     // goroutines actually used per batch
	Seconds      float64 // wall time of this call
	History      []EpochRecord
}

// NonFiniteError reports a NaN or infinite loss, gradient or dev score.
type NonFiniteError struct {
	Epoch, Batch int    // 1-based; Batch is 0 for the dev evaluation
	What         string // "loss", "gradient", "parameter" or "dev log-likelihood"
	Param        string // parameter name for gradients and parameters
	Index        int    // element index inside Param
	Value        float64
	Seqs         []int // dataset indices of the batch's sequences (at most 8)
}

func (e *NonFiniteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "train: %v %s at epoch %d", e.Value, e.What, e.Epoch)
	if e.Batch > 0 {
		fmt.Fprintf(&b, ", batch %d", e.Batch)
	}
	if e.Param != "" {
		fmt.Fprintf(&b, ", parameter %s[%d]", e.Param, e.Index)
	}
	if len(e.Seqs) > 0 {
		fmt.Fprintf(&b, " (batch sequences %v", e.Seqs)
		b.WriteString(")")
	}
	b.WriteString("; no checkpoint was written for this epoch")
	return b.String()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// firstNonFinite finds the first non-finite entry of the chosen buffer.
func firstNonFinite(ps []*params.Param, grad bool) (name string, idx int, val float64, ok bool) {
	for _, p := range ps {
		buf := p.Value
		if grad {
			buf = p.Grad
		}
		for j, x := range buf {
			if !finite(x) {
				return p.Name, j, x, true
			}
		}
	}
	return "", 0, 0, false
}

// pcgStreamSalt is the second PCG word; the first is the seed.
const pcgStreamSalt = 0x9e3779b97f4a7c15

// Run trains m on trainDS, evaluating on devDS (may be nil) after every epoch,
// and leaves the best-dev parameters in m (the last epoch's without a dev
// set). See the package documentation for the files it writes. With
// opts.Workers > 1 and a Cloner model, each batch is split column-wise over
// that many goroutines and their gradients are added in worker order, so a
// run is deterministic for a given worker count (but differs in the last bits
// between counts). When Run fails part-way (non-finite values, a cancelled
// ctx, a write error) m holds the parameters of the moment of failure and
// checkpoint.ckpt those of the last completed epoch.
func Run(ctx context.Context, m Model, trainDS, devDS *data.Dataset, opts Options) (Result, error) {
	t0 := time.Now()
	res := Result{BestDev: math.NaN(), TrainLoss: math.NaN()}
	if err := opts.check(); err != nil {
		return res, err
	}
	if f, ok := m.(DataFitter); ok && trainDS != nil {
		// Deterministic in the training data, so a resumed run gets the
		// same constants as the run it continues.
		if err := f.FitData(trainDS); err != nil {
			return res, fmt.Errorf("train: fitting data constants: %w", err)
		}
	}
	logw := opts.Log
	if logw == nil {
		logw = os.Stderr
	}
	say := func(format string, a ...any) {
		if !opts.Quiet {
			fmt.Fprintf(logw, format+"\n", a...)
		}
	}

	ps := m.Params()
	if err := checkParams(ps); err != nil {
		return res, err
	}
	bk, err := batch.NewBucketer(trainDS, batch.Options{BatchSize: opts.BatchSize, MaxTokens: opts.MaxTokens})
	if err != nil {
		return res, fmt.Errorf("train: training data: %w", err)
	}
	if devDS != nil {
		if err := batch.Check(devDS); err != nil {
			return res, fmt.Errorf("train: dev data: %w", err)
		}
	}

	workers := max(opts.Workers, 1)
	models := []Model{m}
	if workers > 1 {
		cl, ok := m.(Cloner)
		if !ok {
			say("train: %T cannot be cloned; using 1 worker instead of %d", m, workers)
			workers = 1
		}
		for w := 1; w < workers; w++ {
			c := cl.Clone()
			if err := checkClone(ps, c.Params()); err != nil {
				return res, err
			}
			models = append(models, c)
		}
	}
	res.Workers = workers

	fp := fingerprint{Seed: opts.Seed, BatchSize: opts.BatchSize, MaxTokens: opts.MaxTokens, Workers: workers,
		TrainSeqs: len(trainDS.Seqs), TrainEvents: trainDS.NumEvents(), NumParams: params.Count(ps)}
	pcg := rand.NewPCG(uint64(opts.Seed), pcgStreamSalt)
	rng := rand.New(pcg)
	adam := NewAdam(ps, opts.LR)
	adam.WeightDecay = opts.WeightDecay

	st := &checkpoint{Fingerprint: fp, BestDev: math.Inf(-1)}
	var ckPath string
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return res, err
		}
		ckPath = filepath.Join(opts.OutDir, CheckpointFile)
		_, statErr := os.Stat(ckPath)
		switch {
		case opts.Resume:
			if statErr != nil {
				return res, fmt.Errorf("train: resume: no checkpoint in %s (%v)", opts.OutDir, statErr)
			}
			c, err := loadCheckpoint(ckPath)
			if err != nil {
				return res, fmt.Errorf("train: resume: %w", err)
			}
			if err := c.Fingerprint.diff(fp); err != nil {
				return res, fmt.Errorf("train: resume from %s: %w", ckPath, err)
			}
			if err := restore(ps, c.Params, ckPath); err != nil {
				return res, fmt.Errorf("train: resume: %w", err)
			}
			if err := adam.SetState(c.Adam, ps); err != nil {
				return res, fmt.Errorf("train: resume: %s: %w", ckPath, err)
			}
			if err := pcg.UnmarshalBinary(c.RNG); err != nil {
				return res, fmt.Errorf("train: resume: %s: random state: %w", ckPath, err)
			}
			st = c
			if err := writeEpochs(opts.OutDir, st.Log); err != nil {
				return res, err
			}
			if err := saveBest(opts.OutDir, st); err != nil {
				return res, fmt.Errorf("train: resume: %w", err)
			}
			say("train: resuming %s after epoch %d", opts.OutDir, st.Epoch)
		case statErr == nil && !opts.Overwrite:
			return res, fmt.Errorf("train: %s already holds a checkpoint; resume it or choose another directory", opts.OutDir)
		}
	}
	res.StartEpoch = st.Epoch

	tr := &trainer{opts: opts, ps: ps, models: models, adam: adam, logw: logw}
	if !st.Stopped {
		for epoch := st.Epoch + 1; epoch <= opts.Epochs; epoch++ {
			te := time.Now()
			groups := bk.Plan(rng)
			rec, err := tr.epoch(ctx, epoch, bk, groups)
			if err != nil {
				return tr.finish(res, st, t0), err
			}
			rec.TrainSeconds = time.Since(te).Seconds()
			if rec.TrainSeconds > 0 {
				rec.EventsPerSecond = float64(rec.TrainEvents) / rec.TrainSeconds
			}
			if name, idx, v, bad := firstNonFinite(ps, false); bad {
				return tr.finish(res, st, t0), &NonFiniteError{Epoch: epoch, What: "parameter", Param: name, Index: idx, Value: v}
			}

			improved := true
			if devDS != nil {
				parts, err := m.DatasetLogLik(devDS, opts.Convention)
				if err != nil {
					return tr.finish(res, st, t0), fmt.Errorf("train: epoch %d: dev evaluation: %w", epoch, err)
				}
				ll := parts.PerEvent()
				if math.IsNaN(ll) && parts.NumEvents > 0 {
					return tr.finish(res, st, t0), &NonFiniteError{Epoch: epoch, What: "dev log-likelihood", Value: ll}
				}
				rec.DevLogLik = finitePtr(ll)
				rec.DevTimeLogLik = finitePtr(parts.TimeLL / float64(parts.NumEvents))
				rec.DevMarkLogLik = finitePtr(parts.MarkLL / float64(parts.NumEvents))
				rec.DevEvents = parts.NumEvents
				improved = !st.HaveBest || ll > st.BestDev
				if improved {
					st.BestDev = ll
				}
			}
			if improved {
				st.HaveBest, st.BestEpoch, st.BadEpochs = true, epoch, 0
				st.BestParams = snapshot(ps)
			} else {
				st.BadEpochs++
			}
			rec.Best = improved
			st.Stopped = devDS != nil && opts.Patience > 0 && st.BadEpochs >= opts.Patience

			rec.Seconds = time.Since(te).Seconds()
			st.Epoch = epoch
			st.Log = append(st.Log, rec)
			st.Params = snapshot(ps)
			st.Adam = adam.State()
			if st.RNG, err = pcg.MarshalBinary(); err != nil {
				return tr.finish(res, st, t0), err
			}
			if opts.OutDir != "" {
				// The checkpoint is the record; the other two files are
				// rewritten from it on resume if a crash cuts them short.
				if err := saveCheckpoint(ckPath, st); err != nil {
					return tr.finish(res, st, t0), fmt.Errorf("train: epoch %d: %w", epoch, err)
				}
				if err := writeEpochs(opts.OutDir, st.Log); err != nil {
					return tr.finish(res, st, t0), err
				}
				if improved {
					if err := saveBest(opts.OutDir, st); err != nil {
						return tr.finish(res, st, t0), fmt.Errorf("train: epoch %d: %w", epoch, err)
					}
				}
			}
			say("%s", rec.line(opts.Epochs))
			if opts.OnEpoch != nil {
				opts.OnEpoch(rec)
			}
			if st.Stopped {
				say("train: early stop after epoch %d: no dev improvement for %d epochs (best epoch %d, %.5g per event)", epoch, st.BadEpochs, st.BestEpoch, st.BestDev)
				break
			}
		}
	}

	res = tr.finish(res, st, t0)
	if st.HaveBest {
		if err := restore(ps, st.BestParams, "best parameters"); err != nil {
			return res, err
		}
	}
	if opts.OutDir != "" {
		if err := m.Save(opts.OutDir); err != nil {
			return res, fmt.Errorf("train: saving model to %s: %w", opts.OutDir, err)
		}
	}
	return res, nil
}

func finitePtr(x float64) *float64 {
	if !finite(x) {
		return nil
	}
	return &x
}

func (r EpochRecord) line(total int) string {
	dev := "n/a"
	if r.DevLogLik != nil {
		dev = fmt.Sprintf("%.5f", *r.DevLogLik)
	}
	best := ""
	if r.Best {
		best = " *"
	}
	return fmt.Sprintf("epoch %d/%d  train_loss %.5f  dev_ll/event %s%s  %.1fs  %.0f ev/s  |g| %.3g",
		r.Epoch, total, r.TrainLoss, dev, best, r.Seconds, r.EventsPerSecond, r.GradNorm)
}

// saveBest writes the best parameters of st to best.params (nothing before
// the first epoch).
func saveBest(dir string, st *checkpoint) error {
	if !st.HaveBest {
		return nil
	}
	return writeEnvelope(filepath.Join(dir, BestFile), paramsMagic, st.BestParams)
}

// writeEpochs rewrites epochs.jsonl with recs, atomically.
func writeEpochs(dir string, recs []EpochRecord) error {
	var b strings.Builder
	for _, r := range recs {
		j, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("train: epoch log: %w", err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return atomicfile.WriteFile(filepath.Join(dir, EpochsFile), []byte(b.String()))
}

func checkParams(ps []*params.Param) error {
	if len(ps) == 0 {
		return errors.New("train: model has no parameters")
	}
	seen := map[string]bool{}
	for i, p := range ps {
		if p.Name == "" {
			return fmt.Errorf("train: parameter %d has no name", i)
		}
		if seen[p.Name] {
			return fmt.Errorf("train: parameter name %q used twice", p.Name)
		}
		seen[p.Name] = true
		if len(p.Grad) != len(p.Value) {
			return fmt.Errorf("train: parameter %s: %d gradient entries for %d values", p.Name, len(p.Grad), len(p.Value))
		}
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if n != len(p.Value) {
			return fmt.Errorf("train: parameter %s: shape %v holds %d values, has %d", p.Name, p.Shape, n, len(p.Value))
		}
	}
	return nil
}

// checkClone verifies that a clone shares values but not gradients.
func checkClone(ps, cs []*params.Param) error {
	if len(ps) != len(cs) {
		return fmt.Errorf("train: clone has %d parameters, model %d", len(cs), len(ps))
	}
	for i, p := range ps {
		c := cs[i]
		if c.Name != p.Name || len(c.Value) != len(p.Value) || len(c.Grad) != len(p.Grad) {
			return fmt.Errorf("train: clone parameter %d (%s) does not match %s", i, c.Name, p.Name)
		}
		if len(p.Value) > 0 && &c.Value[0] != &p.Value[0] {
			return fmt.Errorf("train: clone parameter %s does not share its values with the model", p.Name)
		}
		if len(p.Grad) > 0 && &c.Grad[0] == &p.Grad[0] {
			return fmt.Errorf("train: clone parameter %s shares its gradient buffer with the model", p.Name)
		}
	}
	return nil
}

type trainer struct {
	opts   Options
	ps     []*params.Param
	models []Model
	adam   *Adam
	logw   io.Writer
}

func (t *trainer) finish(res Result, st *checkpoint, t0 time.Time) Result {
	res.Epochs = st.Epoch
	res.History = append([]EpochRecord(nil), st.Log...)
	res.StoppedEarly = st.Stopped
	if st.HaveBest {
		res.BestEpoch = st.BestEpoch
		if finite(st.BestDev) {
			res.BestDev = st.BestDev
		}
	}
	if n := len(st.Log); n > 0 {
		res.TrainLoss = st.Log[n-1].TrainLoss
	}
	res.Seconds = time.Since(t0).Seconds()
	return res
}

// epoch runs the batches of one epoch.
func (t *trainer) epoch(ctx context.Context, epoch int, bk *batch.Bucketer, groups [][]int) (EpochRecord, error) {
	rec := EpochRecord{Epoch: epoch, Batches: len(groups), LR: t.adam.LR}
	bar := newBar(t.logw, t.opts.Quiet, len(groups), epoch, t.opts.Epochs)
	defer bar.finish()
	start := time.Now()
	lossSum := 0.0
	normSum := 0.0
	// The next batch is packed on its own goroutine while the current one
	// trains (the workers leave a core idle between steps: gradient sums,
	// clipping, the optimiser). The channel holds one batch, so an early
	// return leaves no goroutine blocked.
	next := make(chan *batch.Batch, 1)
	prefetch := func(i int) {
		if i < len(groups) {
			go func() { next <- bk.Batch(groups[i]) }()
		}
	}
	prefetch(0)
	for bi, g := range groups {
		if err := ctx.Err(); err != nil {
			return rec, fmt.Errorf("train: stopped in epoch %d (the checkpoint holds epoch %d): %w", epoch, epoch-1, err)
		}
		b := <-next
		prefetch(bi + 1)
		loss, n := t.lossAndGrad(b)
		seqs := g[:min(len(g), 8)]
		if !finite(loss) {
			return rec, &NonFiniteError{Epoch: epoch, Batch: bi + 1, What: "loss", Value: loss, Seqs: seqs}
		}
		if name, idx, v, bad := firstNonFinite(t.ps, true); bad {
			return rec, &NonFiniteError{Epoch: epoch, Batch: bi + 1, What: "gradient", Param: name, Index: idx, Value: v, Seqs: seqs}
		}
		scaleGrads(t.ps, 1/float64(max(n, 1)))
		norm, clipped := ClipGlobalNorm(t.ps, t.opts.Clip)
		if !finite(norm) {
			return rec, &NonFiniteError{Epoch: epoch, Batch: bi + 1, What: "gradient norm", Value: norm, Seqs: seqs}
		}
		if clipped {
			rec.Clipped++
		}
		normSum += norm
		rec.GradNormMax = max(rec.GradNormMax, norm)
		t.adam.Step(t.ps)
		lossSum += loss
		rec.TrainEvents += n
		bar.update(lossSum/float64(max(rec.TrainEvents, 1)), float64(rec.TrainEvents)/time.Since(start).Seconds())
	}
	if rec.TrainEvents > 0 {
		rec.TrainLoss = lossSum / float64(rec.TrainEvents)
	}
	if len(groups) > 0 {
		rec.GradNorm = normSum / float64(len(groups))
	}
	return rec, nil
}

// lossAndGrad computes the batch loss and leaves the summed gradient in the
// main model's Grad buffers. With several workers the batch is split
// column-wise (batch.Split) and the workers' gradients are added in worker
// order, so the result is deterministic for a given worker count.
func (t *trainer) lossAndGrad(b *batch.Batch) (float64, int) {
	for _, m := range t.models {
		params.ZeroGrad(m.Params())
	}
	parts := b.Split(len(t.models))
	if len(parts) == 1 {
		return t.models[0].LossAndGrad(parts[0])
	}
	losses := make([]float64, len(parts))
	counts := make([]int, len(parts))
	var wg sync.WaitGroup
	for w := range parts {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			losses[w], counts[w] = t.models[w].LossAndGrad(parts[w])
		}(w)
	}
	wg.Wait()
	loss, n := losses[0], counts[0]
	for w := 1; w < len(parts); w++ {
		loss += losses[w]
		n += counts[w]
		for i, p := range t.models[w].Params() {
			dst := t.ps[i].Grad
			for j, g := range p.Grad {
				dst[j] += g
			}
		}
	}
	return loss, n
}
