// Package batch turns a data.Dataset into padded, time-major batches for the
// neural models: Pack packs chosen sequences in a fixed order (evaluation),
// and a Bucketer groups sequences of similar length into batches bounded by a
// sequence count and a padded-token budget, in a seeded random order per
// epoch (training).
//
// # Layout
//
// A Batch holds B sequences padded to L positions, the length of its longest
// sequence. Every per-position array has L*B entries and is time-major:
// position i of batch column b is at index i*B + b (see Batch.At), so the
// B values of one step are contiguous, which is what a recurrent model reads
// at each step. Column b holds dataset sequence Index[b] with Lens[b] real
// events at positions 0..Lens[b]-1 and padding after them (right padding).
//
// For a real event (i < Lens[b]):
//
//	Times[i*B+b] = t_i                 absolute time
//	Dt[i*B+b]    = t_i - t_{i-1}        with Dt[b] = t_0 - Start[b]
//	Types[i*B+b] = k_i                 in [0, K)
//	Mask[i*B+b]  = 1
//
// For a padded position (i >= Lens[b]):
//
//	Times = the last real event time (Start[b] when the sequence is empty)
//	Dt    = 0                           so Times[i] - Times[i-1] = Dt[i] holds everywhere
//	Types = PadType() = K               one past the last real type, as in EasyTPP
//	Mask  = 0
//
// Per column: Lens, Start and End (the observation window), Tail = End minus
// the last event time (End - Start when empty: the interval of the survival
// term under the Full convention), IDs and Index (the sequence's position in
// the dataset, so results can be mapped back).
package batch

import (
	"fmt"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// Batch is B sequences padded to length L in time-major order. See the
// package documentation for the exact layout and padding values.
type Batch struct {
	B, L     int // number of sequences, padded length
	NumTypes int // K; padded positions carry type K

	Times []float64 // L*B absolute event times
	Dt    []float64 // L*B inter-event gaps, Dt_0 = t_0 - Start
	Types []int     // L*B event types, K at padded positions
	Mask  []float64 // L*B, 1 for a real event, 0 for padding

	Lens  []int     // B numbers of real events
	Start []float64 // B window starts
	End   []float64 // B window ends
	Tail  []float64 // B: End - last event time (End - Start when empty)
	Index []int     // B indices of the sequences in the dataset they came from
	IDs   []string  // B sequence IDs
}

// At is the flat index of position i in column b.
func (b *Batch) At(i, col int) int { return i*b.B + col }

// PadType is the type stored at padded positions (NumTypes).
func (b *Batch) PadType() int { return b.NumTypes }

// NumEvents is the number of real events in the batch.
func (b *Batch) NumEvents() int {
	n := 0
	for _, l := range b.Lens {
		n += l
	}
	return n
}

// ScoreMask returns an L*B mask of the events whose log-intensity term is
// scored under convention c: every real event under Full, every real event
// but the first of each sequence under EasyTPP (likelihood.Scope).
func (b *Batch) ScoreMask(c likelihood.Convention) []float64 {
	m := make([]float64, len(b.Mask))
	copy(m, b.Mask)
	if c == likelihood.EasyTPP && b.L > 0 {
		clear(m[:b.B])
	}
	return m
}

// NumScored is the number of events scored under convention c (the sum of
// ScoreMask(c)).
func (b *Batch) NumScored(c likelihood.Convention) int {
	n := 0
	for _, l := range b.Lens {
		if c == likelihood.EasyTPP {
			if l > 1 {
				n += l - 1
			}
		} else {
			n += l
		}
	}
	return n
}

// Sequence rebuilds column col as a data.Sequence (fresh slices).
func (b *Batch) Sequence(col int) data.Sequence {
	n := b.Lens[col]
	s := data.Sequence{
		ID:    b.IDs[col],
		Times: make([]float64, n),
		Types: make([]int, n),
		Start: b.Start[col],
		End:   b.End[col],
	}
	for i := 0; i < n; i++ {
		s.Times[i] = b.Times[i*b.B+col]
		s.Types[i] = b.Types[i*b.B+col]
	}
	return s
}

// Unpack rebuilds every column as a data.Sequence, in column order.
func (b *Batch) Unpack() []data.Sequence {
	out := make([]data.Sequence, b.B)
	for c := range out {
		out[c] = b.Sequence(c)
	}
	return out
}

// Pack packs ds.Seqs[idx[0]], ds.Seqs[idx[1]], ... into one batch, in that
// order, padded to the longest of them. It panics when an index is out of
// range; sequences are assumed valid (see Check).
func Pack(ds *data.Dataset, idx []int) *Batch {
	seqs := make([]*data.Sequence, len(idx))
	for j, i := range idx {
		seqs[j] = &ds.Seqs[i]
	}
	return pack(seqs, idx, ds.NumTypes)
}

// PackSeqs packs the given sequences (with Index 0..len-1) into one batch.
func PackSeqs(seqs []data.Sequence, numTypes int) *Batch {
	ps := make([]*data.Sequence, len(seqs))
	idx := make([]int, len(seqs))
	for i := range seqs {
		ps[i] = &seqs[i]
		idx[i] = i
	}
	return pack(ps, idx, numTypes)
}

func pack(seqs []*data.Sequence, idx []int, k int) *Batch {
	B := len(seqs)
	L := 0
	for _, s := range seqs {
		L = max(L, len(s.Times))
	}
	b := &Batch{
		B: B, L: L, NumTypes: k,
		Times: make([]float64, L*B),
		Dt:    make([]float64, L*B),
		Types: make([]int, L*B),
		Mask:  make([]float64, L*B),
		Lens:  make([]int, B),
		Start: make([]float64, B),
		End:   make([]float64, B),
		Tail:  make([]float64, B),
		Index: append([]int(nil), idx...),
		IDs:   make([]string, B),
	}
	for c, s := range seqs {
		n := len(s.Times)
		b.Lens[c] = n
		b.Start[c], b.End[c] = s.Start, s.End
		b.IDs[c] = s.ID
		prev := s.Start
		for i := 0; i < L; i++ {
			j := i*B + c
			if i < n {
				t := s.Times[i]
				b.Times[j] = t
				b.Dt[j] = t - prev
				b.Types[j] = s.Types[i]
				b.Mask[j] = 1
				prev = t
			} else {
				b.Times[j] = prev
				b.Types[j] = k
			}
		}
		b.Tail[c] = s.End - prev
	}
	return b
}

// Split divides the batch column-wise into at most n sub-batches of
// consecutive columns (sizes differ by at most one, larger ones first), each
// re-padded to its own longest sequence. Index and IDs carry over, so the
// sub-batches still map back to the dataset. Split is deterministic; it is
// how the trainer spreads a batch over worker goroutines.
func (b *Batch) Split(n int) []*Batch {
	if n > b.B {
		n = b.B
	}
	if n <= 1 {
		return []*Batch{b}
	}
	out := make([]*Batch, 0, n)
	lo := 0
	for w := 0; w < n; w++ {
		size := b.B / n
		if w < b.B%n {
			size++
		}
		out = append(out, b.columns(lo, lo+size))
		lo += size
	}
	return out
}

// columns copies columns [lo, hi) into a new batch.
func (b *Batch) columns(lo, hi int) *Batch {
	B := hi - lo
	L := 0
	for _, l := range b.Lens[lo:hi] {
		L = max(L, l)
	}
	s := &Batch{
		B: B, L: L, NumTypes: b.NumTypes,
		Times: make([]float64, L*B),
		Dt:    make([]float64, L*B),
		Types: make([]int, L*B),
		Mask:  make([]float64, L*B),
		Lens:  append([]int(nil), b.Lens[lo:hi]...),
		Start: append([]float64(nil), b.Start[lo:hi]...),
		End:   append([]float64(nil), b.End[lo:hi]...),
		Tail:  append([]float64(nil), b.Tail[lo:hi]...),
		Index: append([]int(nil), b.Index[lo:hi]...),
		IDs:   append([]string(nil), b.IDs[lo:hi]...),
	}
	for i := 0; i < L; i++ {
		copy(s.Times[i*B:(i+1)*B], b.Times[i*b.B+lo:i*b.B+hi])
		copy(s.Dt[i*B:(i+1)*B], b.Dt[i*b.B+lo:i*b.B+hi])
		copy(s.Types[i*B:(i+1)*B], b.Types[i*b.B+lo:i*b.B+hi])
		copy(s.Mask[i*B:(i+1)*B], b.Mask[i*b.B+lo:i*b.B+hi])
	}
	return s
}

// Check verifies that every sequence of ds can be packed: NumTypes > 0 and
// each sequence passes data.Sequence.Validate. The error names the data set,
// the sequence (index and ID) and the field.
func Check(ds *data.Dataset) error {
	if ds.NumTypes <= 0 {
		return fmt.Errorf("data set %q: number of event types is %d, want > 0", ds.Name, ds.NumTypes)
	}
	for i := range ds.Seqs {
		if err := ds.Seqs[i].Validate(ds.NumTypes); err != nil {
			id := ""
			if ds.Seqs[i].ID != "" {
				id = fmt.Sprintf(" (id %q)", ds.Seqs[i].ID)
			}
			return fmt.Errorf("data set %q: sequence %d%s: %w", ds.Name, i, id, err)
		}
	}
	return nil
}
