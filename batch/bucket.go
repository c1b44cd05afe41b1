package batch

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gotpp/gotpp/data"
)

// Options bound the size of a batch.
type Options struct {
	// BatchSize is the largest number of sequences in one batch (> 0).
	BatchSize int
	// MaxTokens, when > 0, bounds the padded size B*L of a batch (with L
	// counted as at least 1). A sequence longer than MaxTokens gets a batch
	// of its own.
	MaxTokens int
}

func (o Options) check() error {
	if o.BatchSize <= 0 {
		return fmt.Errorf("batch: batch size %d, want > 0", o.BatchSize)
	}
	if o.MaxTokens < 0 {
		return fmt.Errorf("batch: token budget %d, want >= 0 (0 = none)", o.MaxTokens)
	}
	return nil
}

// Bucketer plans length-bucketed batches over one data set.
//
// Plan with a random source does, per epoch: shuffle the sequence indices,
// sort them by length (stable, so sequences of equal length end up in a
// random order and are spread over different batches from epoch to epoch),
// cut the sorted list greedily into batches of at most BatchSize sequences
// and at most MaxTokens padded positions, and shuffle the order of the
// batches. Plan with a nil source skips both shuffles and gives the
// deterministic length-sorted plan used for evaluation. The same source
// state gives the same plan; every sequence appears in exactly one batch.
type Bucketer struct {
	ds   *data.Dataset
	opt  Options
	lens []int
}

// NewBucketer checks ds (see Check) and the options.
func NewBucketer(ds *data.Dataset, opt Options) (*Bucketer, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if err := Check(ds); err != nil {
		return nil, err
	}
	lens := make([]int, len(ds.Seqs))
	for i := range ds.Seqs {
		lens[i] = len(ds.Seqs[i].Times)
	}
	return &Bucketer{ds: ds, opt: opt, lens: lens}, nil
}

// Dataset is the data set being batched.
func (k *Bucketer) Dataset() *data.Dataset { return k.ds }

// Plan returns the batches of one epoch as lists of dataset indices (see
// Bucketer for the procedure). rng may be nil for the fixed evaluation plan.
func (k *Bucketer) Plan(rng *rand.Rand) [][]int {
	n := len(k.lens)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if rng != nil {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	slices.SortStableFunc(order, func(a, b int) int { return k.lens[a] - k.lens[b] })

	var groups [][]int
	var cur []int
	for _, i := range order {
		l := max(k.lens[i], 1) // sorted ascending: the newcomer sets the padded length
		if len(cur) > 0 && (len(cur)+1 > k.opt.BatchSize || (k.opt.MaxTokens > 0 && (len(cur)+1)*l > k.opt.MaxTokens)) {
			groups = append(groups, cur)
			cur = nil
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	if rng != nil {
		rng.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	}
	return groups
}

// Batch packs one planned group.
func (k *Bucketer) Batch(group []int) *Batch { return Pack(k.ds, group) }

// Fixed returns the deterministic, length-sorted batches of ds (the plan of a
// nil source), for evaluation.
func Fixed(ds *data.Dataset, opt Options) ([]*Batch, error) {
	k, err := NewBucketer(ds, opt)
	if err != nil {
		return nil, err
	}
	groups := k.Plan(nil)
	out := make([]*Batch, len(groups))
	for i, g := range groups {
		out[i] = k.Batch(g)
	}
	return out, nil
}
