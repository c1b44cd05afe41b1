package predict

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/data"
)

// Generated is one sampled continuation of a prefix.
type Generated struct {
	Times []float64 `json:"times"`
	Types []int     `json:"types"`
	// MarkProbs[j][k] is λ_k/Σλ at the j-th generated event (for a Density,
	// its mark probabilities): the confidence T-mAP ranks events by.
	MarkProbs [][]float64 `json:"mark_probs,omitempty"`
}

// Generate continues the first prefixLen events of seq by up to horizon
// events, samples times, each event drawn exactly (Sample) from the model
// conditioned on the prefix and the events generated before it. A
// continuation stops early when the model's law becomes defective (no further
// event). Memory is O(prefixLen + horizon) per continuation whatever the data
// size. The draws come from rng.
//
// To ask the model for the law after the last event, Generate appends a
// placeholder event (the last time, mark 0) and calls NextAfter on its
// index: a model that does not look ahead ignores it.
func Generate(m Model, seq *data.Sequence, prefixLen, horizon, samples int, rng *rand.Rand, opts Options) ([]Generated, error) {
	if prefixLen < 0 || prefixLen > seq.Len() {
		return nil, fmt.Errorf("generate: prefix length %d outside [0, %d]", prefixLen, seq.Len())
	}
	k := m.NumTypes()
	o := opts.resolved()
	out := make([]Generated, samples)
	buf := data.Sequence{ID: seq.ID, Start: seq.Start}
	for s := range out {
		buf.Times = append(buf.Times[:0], seq.Times[:prefixLen]...)
		buf.Types = append(buf.Types[:0], seq.Types[:prefixLen]...)
		last := seq.Start
		if prefixLen > 0 {
			last = seq.Times[prefixLen-1]
		}
		g := Generated{}
		probs := make([]float64, k)
		for j := 0; j < horizon; j++ {
			n := len(buf.Times)
			buf.Times = append(buf.Times, last)
			buf.Types = append(buf.Types, 0)
			buf.End = last
			next := m.NextAfter(&buf, n)
			e, err := newEngine(next, o)
			if err != nil {
				return nil, fmt.Errorf("generate: sequence %q step %d: %w", seq.ID, j, err)
			}
			dt, mark, err := e.sample(rng, rng.ExpFloat64(), false)
			if err != nil {
				return nil, fmt.Errorf("generate: sequence %q step %d: %w", seq.ID, j, err)
			}
			if math.IsInf(dt, 1) || mark < 0 {
				buf.Times, buf.Types = buf.Times[:n], buf.Types[:n]
				break
			}
			if e.mode == dens {
				copy(probs, e.d.p)
			} else if _, err := e.intens(dt, probs); err != nil {
				return nil, err
			}
			tot := 0.0
			for _, v := range probs {
				tot += v
			}
			p := make([]float64, k)
			for i, v := range probs {
				p[i] = v / tot
			}
			last += dt
			buf.Times[n], buf.Types[n] = last, mark
			g.Times = append(g.Times, last)
			g.Types = append(g.Types, mark)
			g.MarkProbs = append(g.MarkProbs, p)
		}
		out[s] = g
	}
	return out, nil
}
