package s2p2

import (
	"sync"

	"github.com/gotpp/gotpp/data"
)

// prefixCache keeps the encoded states of recently seen history prefixes,
// so that NextAfter(seq, 0), NextAfter(seq, 1), ... costs one event update
// per call instead of re-encoding the whole prefix. Entries are keyed by the
// sequence pointer but validated against the sequence's contents (start,
// times, types) and the parameters' fingerprint, so a reused or edited
// sequence (predict.Generate rewrites its buffer) or changed parameters
// never give a stale state. An entry is checked out while in use, so
// concurrent callers never share one.
type prefixCache struct {
	mu      sync.Mutex
	entries map[*data.Sequence]*prefixEntry
}

type prefixEntry struct {
	fp     uint64
	start  float64
	times  []float64
	types  []int
	states []state // states[j]: after j events (states[0]: the initial state)
}

// maxPrefixEntries bounds the cache (a few sequences per worker).
const maxPrefixEntries = 32

// encode returns the state after the first i events of seq.
func (c *prefixCache) encode(seq *data.Sequence, i int, fp uint64, initial func() state, advance func(s state, k int, dt float64) state) state {
	c.mu.Lock()
	e := c.entries[seq]
	delete(c.entries, seq)
	c.mu.Unlock()

	if e == nil || e.fp != fp || e.start != seq.Start {
		e = &prefixEntry{fp: fp, start: seq.Start, states: []state{initial()}}
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
		c.entries = map[*data.Sequence]*prefixEntry{}
	}
	if len(c.entries) >= maxPrefixEntries {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[seq] = e
	c.mu.Unlock()
	return s
}
