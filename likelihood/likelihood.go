// Package likelihood defines how gotpp scores event sequences: the two
// log-likelihood conventions (gotpp's full-window one and EasyTPP's), the
// split of a log-likelihood into its time and mark parts, and the interface a
// model implements so that any model can be evaluated the same way.
//
// Under the Full convention every event in the window is scored and the
// compensator runs from the window start to the window end (including the
// survival term after the last event). Under the EasyTPP convention the first
// event of each sequence is conditioned on (it is history, not scored) and the
// compensator runs from the first to the last event, with no survival term:
// this reproduces the numbers EasyTPP reports.
package likelihood

import (
	"fmt"
	"strings"

	"github.com/gotpp/gotpp/data"
)

// Convention selects which events are scored and over which interval the
// compensator is integrated.
type Convention int

const (
	// Full scores every event and integrates the intensity over [Start, End].
	Full Convention = iota
	// EasyTPP conditions on the first event and integrates over [t_0, t_{N-1}].
	EasyTPP
)

func (c Convention) String() string {
	switch c {
	case Full:
		return "full"
	case EasyTPP:
		return "easytpp"
	}
	return fmt.Sprintf("Convention(%d)", int(c))
}

// ParseConvention reads "full" or "easytpp".
func ParseConvention(s string) (Convention, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "full", "":
		return Full, nil
	case "easytpp":
		return EasyTPP, nil
	}
	return Full, fmt.Errorf("unknown likelihood convention %q (want full or easytpp)", s)
}

// Scope returns, for one sequence under convention c, the index of the first
// scored event and the interval [from, to] over which the compensator is
// integrated. Events before firstScored are history only. A sequence with no
// scored events under EasyTPP (fewer than two events) gets from == to.
func Scope(s *data.Sequence, c Convention) (firstScored int, from, to float64) {
	if c == EasyTPP {
		n := len(s.Times)
		if n == 0 {
			return 0, s.Start, s.Start
		}
		return 1, s.Times[0], s.Times[n-1]
	}
	return 0, s.Start, s.End
}

// Parts is a log-likelihood split into its time and mark parts:
// LogLik = TimeLL + MarkLL, where for an intensity model
// TimeLL = Σ log λ(t_i) − ∫ λ(t) dt (λ the total intensity) and
// MarkLL = Σ log(λ_{k_i}(t_i) / λ(t_i)).
type Parts struct {
	LogLik    float64 `json:"loglik"`
	TimeLL    float64 `json:"time_loglik"`
	MarkLL    float64 `json:"mark_loglik"`
	NumEvents int     `json:"num_events"`
	NumSeqs   int     `json:"num_sequences"`
}

// Add accumulates q into p.
func (p *Parts) Add(q Parts) {
	p.LogLik += q.LogLik
	p.TimeLL += q.TimeLL
	p.MarkLL += q.MarkLL
	p.NumEvents += q.NumEvents
	p.NumSeqs += q.NumSeqs
}

// PerEvent is LogLik / NumEvents (NaN when no events were scored).
func (p Parts) PerEvent() float64 { return p.LogLik / float64(p.NumEvents) }

// SequenceScorer is a model that scores one sequence at a time.
type SequenceScorer interface {
	SequenceLogLik(s *data.Sequence, c Convention) Parts
}

// DatasetScorer is a model that scores whole data sets (neural models score
// padded batches rather than one sequence at a time).
type DatasetScorer interface {
	DatasetLogLik(ds *data.Dataset, c Convention) (Parts, error)
}

// Evaluate scores every sequence of ds under convention c with m, which must
// implement SequenceScorer or DatasetScorer.
func Evaluate(m any, ds *data.Dataset, c Convention) (Parts, error) {
	switch s := m.(type) {
	case DatasetScorer:
		return s.DatasetLogLik(ds, c)
	case SequenceScorer:
		var tot Parts
		for i := range ds.Seqs {
			tot.Add(s.SequenceLogLik(&ds.Seqs[i], c))
		}
		return tot, nil
	}
	return Parts{}, fmt.Errorf("likelihood: %T cannot score sequences", m)
}
