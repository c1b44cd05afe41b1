package sampler

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/hawkes"
)

// DatasetOptions describes a simulated data set.
type DatasetOptions struct {
	// Name is copied to each split's Dataset.Name.
	Name string
	// Sequences is the total number of sequences over all splits.
	Sequences int
	// Start and End bound every sequence's observation window.
	Start, End float64
	// Seed picks the random streams: sequence i (before splitting) uses
	// NewRand(Seed, i).
	Seed uint64
	// Split holds the train, dev and test fractions (≥ 0, summing to 1;
	// all zero means 0.7, 0.1, 0.2). Sequences 0..n_train−1 go to train,
	// the next n_dev to dev, the rest to test; counts use largest-remainder
	// rounding.
	Split [3]float64
	// MaxEvents caps each sequence (default DefaultMaxEvents).
	MaxEvents int
}

// SplitCounts turns fractions into counts summing to n (largest-remainder
// rounding, ties to the earlier split).
func SplitCounts(n int, fr [3]float64) ([3]int, error) {
	var out [3]int
	sum := 0.0
	for i, f := range fr {
		if math.IsNaN(f) || f < 0 {
			return out, fmt.Errorf("split fraction %d (%s) = %v: must be ≥ 0", i, data.Splits[i], f)
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-9 {
		return out, fmt.Errorf("split fractions %v sum to %v, want 1", fr, sum)
	}
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left := n
	for i, f := range fr {
		x := f * float64(n)
		out[i] = int(math.Floor(x))
		left -= out[i]
		rems = append(rems, rem{i, x - math.Floor(x)})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for q := 0; left > 0; q++ {
		out[rems[q%3].i]++
		left--
	}
	return out, nil
}

// HawkesDataset simulates o.Sequences sequences of m and splits them into
// train/dev/test data sets (keys as in data.Splits; empty splits are left
// out).
func HawkesDataset(m *hawkes.Model, o DatasetOptions) (map[string]*data.Dataset, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	seqs, err := HawkesSequences(m, o.Sequences, o.Start, o.End, o.Seed, o.MaxEvents)
	if err != nil {
		return nil, err
	}
	return o.split(seqs, m.NumTypes())
}

// PoissonDataset is HawkesDataset for a homogeneous Poisson process.
func PoissonDataset(rates []float64, o DatasetOptions) (map[string]*data.Dataset, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	seqs, err := PoissonSequences(rates, o.Sequences, o.Start, o.End, o.Seed)
	if err != nil {
		return nil, err
	}
	return o.split(seqs, len(rates))
}

func (o *DatasetOptions) check() error {
	if o.Sequences <= 0 {
		return fmt.Errorf("number of sequences must be > 0, got %d", o.Sequences)
	}
	if math.IsNaN(o.Start) || math.IsNaN(o.End) || math.IsInf(o.Start, 0) || math.IsInf(o.End, 0) || !(o.End > o.Start) {
		return fmt.Errorf("window [%v, %v]: want finite start < end", o.Start, o.End)
	}
	if o.Split == [3]float64{} {
		o.Split = [3]float64{0.7, 0.1, 0.2}
	}
	return nil
}

func (o *DatasetOptions) split(seqs []data.Sequence, k int) (map[string]*data.Dataset, error) {
	counts, err := SplitCounts(len(seqs), o.Split)
	if err != nil {
		return nil, err
	}
	out := map[string]*data.Dataset{}
	lo := 0
	for i, name := range data.Splits {
		hi := lo + counts[i]
		if hi > lo {
			out[name] = &data.Dataset{Name: o.Name, NumTypes: k, Seqs: seqs[lo:hi]}
		}
		lo = hi
	}
	if len(out) == 0 {
		return nil, errors.New("no sequences in any split")
	}
	return out, nil
}
