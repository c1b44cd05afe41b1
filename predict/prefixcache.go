package predict

import (
	"fmt"
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
	c.put(seq, e)
	return s
}

// put stores e as seq's entry, evicting the oldest entry when full.
func (c *PrefixCache[S]) put(seq *data.Sequence, e *prefixEntry[S]) {
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
}

// Fingerprint hashes parameter values for PrefixCache's staleness check
// (FNV-1a-style multiply-xor over whole 64-bit words, finished by a
// splitmix64 mix). To stay cheap enough to call on every NextAfter it reads
// at most 16 values of each slice, evenly spaced, plus its length: any
// optimiser step or reload changes those.
func Fingerprint(vals ...[]float64) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range vals {
		h = (h ^ uint64(len(v))) * 1099511628211
		step := max(1, len(v)/16)
		for j := 0; j < len(v); j += step {
			b := math.Float64bits(v[j])
			h = (h ^ b ^ (b >> 29)) * 1099511628211
		}
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ (h >> 31)
}

// Whole returns the state driving event i of seq (the state after its first
// i events) for a model whose states at all events come out of one pass over
// the whole sequence, as a causal self-attention encoder's do: all(seq)
// returns the seq.Len()+1 states (all(seq)[j] must depend on events 0..j-1
// only). The pass runs once per sequence; later calls reuse it as long as the
// parameters' fingerprint, the start and the first i events are unchanged
// (a sequence that grew or changed after event i still reuses it, since state
// i does not depend on later events). Same concurrency rules as State.
func (c *PrefixCache[S]) Whole(seq *data.Sequence, i int, fp uint64, all func(seq *data.Sequence) []S) S {
	c.mu.Lock()
	e := c.entries[seq]
	delete(c.entries, seq)
	c.mu.Unlock()

	ok := e != nil && e.fp == fp && e.start == seq.Start && i < len(e.states) && i <= len(e.times)
	for q := 0; ok && q < i; q++ {
		ok = e.times[q] == seq.Times[q] && e.types[q] == seq.Types[q]
	}
	if !ok {
		states := all(seq)
		if len(states) != seq.Len()+1 {
			panic(fmt.Sprintf("predict: PrefixCache.Whole: %d states for a sequence of %d events, want %d", len(states), seq.Len(), seq.Len()+1))
		}
		e = &prefixEntry[S]{fp: fp, start: seq.Start, states: states,
			times: append([]float64(nil), seq.Times...), types: append([]int(nil), seq.Types...)}
	}
	s := e.states[i]
	c.put(seq, e)
	return s
}
