package data

import (
	"fmt"
	"math"
	"strconv"
)

// The default-window rule shared by every reader and writer: a file that
// gives no window start means Start = 0; one that gives no window end means
// End = the last event time (Start when there are no events). Writers store a
// window bound only when it differs from this default, so every format
// round-trips windows exactly.

// DefaultEnd is the window end implied when a file gives none.
func DefaultEnd(times []float64, start float64) float64 {
	if len(times) == 0 {
		return start
	}
	return times[len(times)-1]
}

// HasDefaultStart reports whether s.Start is the implied start (0).
func (s *Sequence) HasDefaultStart() bool { return s.Start == 0 }

// HasDefaultEnd reports whether s.End is the implied end given s.Start.
func (s *Sequence) HasDefaultEnd() bool { return s.End == DefaultEnd(s.Times, s.Start) }

// HasDefaultWindow reports whether the window is the implied one, so that a
// writer may leave it out.
func (s *Sequence) HasDefaultWindow() bool { return s.HasDefaultStart() && s.HasDefaultEnd() }

// applyWindow sets the window from optional file values.
func (s *Sequence) applyWindow(start, end *float64) {
	s.Start = 0
	s.StartGiven = start != nil
	if start != nil {
		s.Start = *start
	}
	if end != nil {
		s.End = *end
	} else {
		s.End = DefaultEnd(s.Times, s.Start)
	}
}

// defaultID is the ID a reader gives the i-th sequence of a split when the
// file names none; writers leave IDs equal to it out.
func defaultID(i int) string { return strconv.Itoa(i) }

// validateSeq checks a sequence as read from a file. It reports problems in
// the order that explains them best: lengths, then non-finite or decreasing
// times, then times before the window start, and only then the rest of
// Sequence.Validate (window end, types). With a default window the end is
// the last event, so checking the window first would blame the wrong event.
func validateSeq(s *Sequence, k int) error {
	if len(s.Times) != len(s.Types) {
		return s.Validate(k)
	}
	for i, t := range s.Times {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return &FieldError{Field: "times", Index: i, Msg: fmt.Sprintf("not finite: %v", t)}
		}
		if i > 0 && t < s.Times[i-1] {
			return &FieldError{Field: "times", Index: i, Msg: fmt.Sprintf("decreasing: %v after %v", t, s.Times[i-1])}
		}
	}
	if len(s.Times) > 0 && s.Times[0] < s.Start && !math.IsNaN(s.Start) {
		msg := fmt.Sprintf("event time %v outside window [%v, %v]", s.Times[0], s.Start, s.End)
		if s.Start == 0 {
			msg += " (no window start given means start 0)"
		}
		return &FieldError{Field: "times", Index: 0, Msg: msg}
	}
	return s.Validate(k)
}

// inferNumTypes is the number of types implied by the largest type seen
// (-1: none): max type + 1, and at least 1, so that a data set of empty
// sequences still has a mark space (and a valid dim_process when written).
func inferNumTypes(maxType int) int { return max(maxType+1, 1) }

// Origin names where the observation window of a sequence starts when its
// file gives no start.
type Origin string

const (
	// OriginZero is the file format's rule: no start means Start = 0.
	OriginZero Origin = "zero"
	// OriginFirstEvent starts such windows at the sequence's first event,
	// as EasyTPP does by shifting every sequence to t_0 = 0. Use it for data
	// stored in absolute time (Taobao's times are ~1.5e5), where Start = 0
	// would make the full-window likelihood score a long empty interval
	// before the first event.
	OriginFirstEvent Origin = "first-event"
)

// ParseOrigin reads "zero" or "first-event".
func ParseOrigin(s string) (Origin, error) {
	switch Origin(s) {
	case OriginZero, "":
		return OriginZero, nil
	case OriginFirstEvent:
		return OriginFirstEvent, nil
	}
	return OriginZero, fmt.Errorf("unknown window origin %q (want zero or first-event)", s)
}

// ApplyOrigin moves the window start of every sequence whose file gave no
// start (StartGiven false, Start 0) and that has at least one event to its first event when o is
// OriginFirstEvent. Times are not changed. It returns how many sequences
// changed.
func (d *Dataset) ApplyOrigin(o Origin) int {
	if o != OriginFirstEvent {
		return 0
	}
	n := 0
	for i := range d.Seqs {
		s := &d.Seqs[i]
		if !s.StartGiven && s.Start == 0 && len(s.Times) > 0 && s.Times[0] > 0 {
			s.Start = s.Times[0]
			n++
		}
	}
	return n
}
