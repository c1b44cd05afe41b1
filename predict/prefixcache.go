package predict

import (
	"math"
	"sync"

	"github.com/gotpp/gotpp/data"
)

// PrefixCache keeps the encoded states of recently seen history prefixes so
// that a recurrent model's NextAfter(seq, 0), NextAfter(seq, 1), … costs one
// state update per call instead of re-encoding the whole prefix (O(n) rather
// than O(n²) over a sequence). Entries are keyed by the sequence pointer and
// validated against its contents (start, times, types) and a fingerprint of
// the model's parameters, so an edited or reused sequence buffer (Generate
// rewrites its own) or changed parameters never yield a stale state. An
// entry is checked out while in use: concurrent callers never share one.
// The zero value is ready to use; S is the model's state type, which Advance
// must not modify in place (it returns a new state).
type PrefixCache[S any] struct {
	mu      sync.Mutex
	entries map[*data.Sequence]*prefixEntry[S]
	order   []*data.Sequence
}

type prefixEntry[S any] struct {
	fp     uint64
	start  float64
	times  []float64
	types  []int
	states []S // states[j]: after j events
}

// MaxPrefixEntries bounds a PrefixCache (a few sequences per worker).
const MaxPrefixEntries = 32

// State returns the state after the first i events of seq. initial gives the
// state before any event (at seq.Start); advance(s, k, dt) the state after
// an event of type k that came dt after the previous one (or after Start).
func (c *PrefixCache[S]) State(seq *data.Sequence, i int, fp uint64, initial func() S, advance func(s S, k int, dt float64) S) S {
	c.mu.Lock()
	e := c.entries[seq]
	delete(c.entries, seq)
	c.mu.Unlock()

	if e == nil || e.fp != fp || e.start != seq.Start {
		e = &prefixEntry[S]{fp: fp, start: seq.Start, states: []S{initial()}}
	}
	q := 0
	for q < len(e.times) && q < i && e.times[q] == seq.Times[q] && e.types[q] == seq.Types[q] {
		q++
	}
	e.times, e.types, e.states = e.times[:q], e.types[:q], e.states[:q+1]
	for j := q; j < i; j++ {
		prev := seq.Start
		if j > 0 {
			prev = seq.Times[j-1]
		}
		e.states = append(e.states, advance(e.states[j], seq.Types[j], seq.Times[j]-prev))
		e.times = append(e.times, seq.Times[j])
		e.types = append(e.types, seq.Types[j])
	}
	s := e.states[i]

	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[*data.Sequence]*prefixEntry[S]{}
	}
	if len(c.entries) >= MaxPrefixEntries {
		// Evict the oldest entry still present (FIFO order of insertion).
		for len(c.order) > 0 {
			old := c.order[0]
			c.order = c.order[1:]
			if _, ok := c.entries[old]; ok {
				delete(c.entries, old)
				break
			}
		}
	}
	c.entries[seq] = e
	c.order = append(c.order, seq)
	c.mu.Unlock()
	return s
}

// Fingerprint hashes parameter values (FNV-1a over their bits) for
// PrefixCache's staleness check. To stay cheap enough to call on every
// NextAfter it reads at most 64 values of each slice, evenly spaced, plus
// its length: any optimiser step or reload changes those.
func Fingerprint(vals ...[]float64) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range vals {
		h ^= uint64(len(v))
		h *= 1099511628211
		step := max(1, len(v)/64)
		for j := 0; j < len(v); j += step {
			x := v[j]
			b := mathFloat64bits(x)
			for s := 0; s < 64; s += 8 {
				h ^= (b >> s) & 0xff
				h *= 1099511628211
			}
		}
	}
	return h
}

func mathFloat64bits(x float64) uint64 { return math.Float64bits(x) }
