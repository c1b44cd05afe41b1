package engine

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/gotpp/gotpp/params"
)

// Workers runs a data-parallel step: a batch is split into contiguous
// chunks, one per worker goroutine, each with its own Tape and private
// parameter-gradient buffers; after all finish, the private gradients are
// added into the parameters' Grad in worker order. For a fixed number of
// workers the result is therefore deterministic.
type Workers struct {
	ps    []*params.Param
	tapes []*Tape
}

// NewWorkers prepares n (≥ 1) workers for the parameters ps. Tapes and
// gradient buffers are kept and reused across calls.
func NewWorkers(ps []*params.Param, n int) *Workers {
	n = max(n, 1)
	w := &Workers{ps: ps, tapes: make([]*Tape, n)}
	for i := range w.tapes {
		w.tapes[i] = NewTape()
		if n > 1 {
			w.tapes[i].shadow = make(map[*params.Param][]float64, len(ps))
		}
	}
	return w
}

// N is the number of workers.
func (w *Workers) N() int { return len(w.tapes) }

// Tape returns worker i's tape.
func (w *Workers) Tape(i int) *Tape { return w.tapes[i] }

// Chunk returns the half-open range of items [lo, hi) that worker i of n
// handles out of total: consecutive ranges, sizes differing by at most one,
// larger ones first (the same split as batch.Batch.Split).
func Chunk(total, n, i int) (lo, hi int) {
	size, rem := total/n, total%n
	lo = i*size + min(i, rem)
	hi = lo + size
	if i < rem {
		hi++
	}
	return lo, hi
}

// Run calls fn(i, tape) for i = 0..parts−1 (parts ≤ N()), each on its own
// goroutine with a freshly Reset tape that records gradients; fn runs the
// forward pass and tape.Backward. Run then adds every worker's parameter
// gradients into p.Grad in worker order.
func (w *Workers) Run(parts int, fn func(i int, t *Tape)) {
	w.run(parts, false, fn)
	if len(w.tapes) == 1 {
		return // the single tape wrote into p.Grad directly
	}
	for _, p := range w.ps {
		if len(p.Grad) != len(p.Value) {
			p.Grad = make([]float64, len(p.Value))
		}
		for i := 0; i < parts; i++ {
			g, ok := w.tapes[i].shadow[p]
			if !ok {
				continue
			}
			for j, v := range g {
				p.Grad[j] += v
			}
		}
	}
}

// Eval is Run without gradients: the tapes do not record.
func (w *Workers) Eval(parts int, fn func(i int, t *Tape)) {
	w.run(parts, true, fn)
}

func (w *Workers) run(parts int, noGrad bool, fn func(i int, t *Tape)) {
	if parts > len(w.tapes) {
		panic("engine: Workers.Run with more parts than workers")
	}
	// Training tapes get the random source of Dropout: PCG stream i of a
	// seed hashed from the current parameter values, so that the masks
	// change from step to step, repeat exactly for the same parameters and
	// data (a resumed run draws what the uninterrupted one drew), and do not
	// depend on anything but the number of workers.
	var seed uint64
	if !noGrad {
		seed = paramSeed(w.ps)
	}
	prep := func(i int) *Tape {
		t := w.tapes[i]
		t.Reset()
		t.SetNoGrad(noGrad)
		t.rng = nil
		if !noGrad {
			for _, g := range t.shadow {
				clear(g)
			}
			if t.pcg == nil {
				t.pcg = rand.NewPCG(0, 0)
				t.ownRng = rand.New(t.pcg)
			}
			t.pcg.Seed(seed, uint64(i))
			t.rng = t.ownRng
		}
		return t
	}
	if parts == 1 {
		fn(0, prep(0))
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < parts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, prep(i))
		}()
	}
	wg.Wait()
}

// paramSeed hashes up to 16 evenly spaced values of every parameter (and
// the sizes) into a seed: any optimiser step changes it.
func paramSeed(ps []*params.Param) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, p := range ps {
		h = (h ^ uint64(len(p.Value))) * 0x100000001b3
		step := max(1, len(p.Value)/16)
		for j := 0; j < len(p.Value); j += step {
			b := math.Float64bits(p.Value[j])
			h = (h ^ b ^ (b >> 29)) * 0x100000001b3
		}
	}
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	return h ^ (h >> 29)
}
