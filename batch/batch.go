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
	b := newBatch(B, L, k)
	copy(b.Index, idx)
	for c, s := range seqs {
		b.Lens[c] = len(s.Times)
		b.Start[c], b.End[c] = s.Start, s.End
		b.IDs[c] = s.ID
	}
	// Position-major, as the arrays are laid out: each row of B columns is
	// written in order (reading every sequence forward), instead of one
	// strided pass per sequence.
	prev := b.Tail // the last event time of each column so far; Tail at the end
	copy(prev, b.Start)
	for i := 0; i < L; i++ {
		row := i * B
		times, dt, types, mask := b.Times[row:row+B], b.Dt[row:row+B], b.Types[row:row+B], b.Mask[row:row+B]
		for c, s := range seqs {
			if i < len(s.Times) {
				t := s.Times[i]
				times[c] = t
				dt[c] = t - prev[c]
				types[c] = s.Types[i]
				mask[c] = 1
				prev[c] = t
				continue
			}
			times[c] = prev[c]
			types[c] = k
		}
	}
	for c := range prev {
		prev[c] = b.End[c] - prev[c]
	}
	return b
}

// newBatch allocates a batch of B columns and L positions: Dt and Mask
// zero (padding), the rest to be written. The float64 arrays share one
// allocation, and so do the int arrays.
func newBatch(B, L, k int) *Batch {
	n := L * B
	fs := make([]float64, 3*n+3*B)
	is := make([]int, n+2*B)
	return &Batch{
		B: B, L: L, NumTypes: k,
		Times: fs[:n:n],
		Dt:    fs[n : 2*n : 2*n],
		Mask:  fs[2*n : 3*n : 3*n],
		Start: fs[3*n : 3*n+B : 3*n+B],
		End:   fs[3*n+B : 3*n+2*B : 3*n+2*B],
		Tail:  fs[3*n+2*B : 3*n+3*B : 3*n+3*B],
		Types: is[:n:n],
		Lens:  is[n : n+B : n+B],
		Index: is[n+B : n+2*B : n+2*B],
		IDs:   make([]string, B),
	}
}

// Split divides the batch column-wise into at most n sub-batches of
// consecutive columns (sizes differ by at most one, larger ones first), each
// re-padded to its own longest sequence. Index and IDs carry over, so the
// sub-batches still map back to the dataset. Split is deterministic; it is
// how the trainer spreads a batch over worker goroutines.
func (b *Batch) Split(n int) []*Batch {
	n = b.NumParts(n)
	if n == 1 {
		return []*Batch{b}
	}
	out := make([]*Batch, n)
	for w := range out {
		out[w] = b.Part(w, n)
	}
	return out
}

// NumParts is the number of sub-batches Split(n) makes: min(n, B), at
// least 1.
func (b *Batch) NumParts(n int) int { return max(1, min(n, b.B)) }

// Part is sub-batch i of Split(n) (0 ≤ i < NumParts(n)), made on its own:
// workers can each cut their part concurrently (b is only read). With one
// part it is b itself.
func (b *Batch) Part(i, n int) *Batch {
	n = b.NumParts(n)
	if i < 0 || i >= n {
		panic(fmt.Sprintf("batch: part %d of %d", i, n))
	}
	if n == 1 {
		return b
	}
	lo, hi := PartRange(b.B, i, n)
	return b.columns(lo, hi)
}

// PartRange is the range [lo, hi) of the columns of part i of B columns
// cut into n parts as Split cuts them (sizes differ by at most one, larger
// ones first); 0 ≤ i < n ≤ B.
func PartRange(B, i, n int) (lo, hi int) {
	size, rem := B/n, B%n
	lo = i*size + min(i, rem)
	hi = lo + size
	if i < rem {
		hi++
	}
	return lo, hi
}

// Columns is a new batch of columns [lo, hi) of b, re-padded to its own
// longest sequence (as Part makes them).
func (b *Batch) Columns(lo, hi int) *Batch {
	if lo < 0 || hi > b.B || lo >= hi {
		panic(fmt.Sprintf("batch: columns [%d, %d) of %d", lo, hi, b.B))
	}
	return b.columns(lo, hi)
}

// columns copies columns [lo, hi) into a new batch.
func (b *Batch) columns(lo, hi int) *Batch {
	B := hi - lo
	L := 0
	for _, l := range b.Lens[lo:hi] {
		L = max(L, l)
	}
	s := newBatch(B, L, b.NumTypes)
	copy(s.Lens, b.Lens[lo:hi])
	copy(s.Start, b.Start[lo:hi])
	copy(s.End, b.End[lo:hi])
	copy(s.Tail, b.Tail[lo:hi])
	copy(s.Index, b.Index[lo:hi])
	copy(s.IDs, b.IDs[lo:hi])
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
