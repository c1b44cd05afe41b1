// Package data holds gotpp's event-sequence data model (Sequence, Dataset)
// and the readers, writers and validators for the file formats that feed it.
//
// Formats (each optionally gzip-compressed; detected from the extension, or
// from the content when the extension is ".json", unknown or missing):
//   - JSON Lines (.jsonl): {"times":[...],"types":[...],"start":..,"end":..,"id":..}
//   - CSV (.csv): sequence_id,time,type[,start,end], one event per row
//   - EasyTPP Hugging Face JSON (.json): records with dim_process, seq_len,
//     time_since_start, time_since_last_event, type_event
//   - EasyTPP Gatech pickles (.pkl): {dim_process, train/dev/test: [[{...}]]}
//
// A data-set directory holds train/dev/test files and an optional meta.json
// (Meta: num_types, type_names, anything else kept verbatim). Readers check
// every sequence and report problems as *LoadError naming the file, line or
// record, and field. Writers store floats in their shortest exact form and
// windows and IDs only when they differ from the defaults, so every format
// converts to every other losslessly. ComputeStats summarises a data set;
// Import turns a raw event-log CSV into a split data set.
//
// JSON and CSV use encoding/json and encoding/csv. Pickles are decoded with
// github.com/kisielk/og-rek after a hand-written opcode scan that refuses any
// pickle referencing a global (see pickle.go); the pickle writer is
// hand-written because og-rek's encoder emits dict keys in random order.
package data

import (
	"fmt"
	"math"
)

// Sequence is one realisation of a marked temporal point process observed on
// the window [Start, End]. Times are absolute and non-decreasing; Types are
// marks in [0, K).
type Sequence struct {
	// ID identifies the sequence inside its source (line number, sequence_id, ...).
	ID    string    `json:"id,omitempty"`
	Times []float64 `json:"times"`
	Types []int     `json:"types"`
	// Start and End bound the observation window. When a file gives no window,
	// Start = 0 and End = the last event time.
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	// StartGiven records that the file gave the window start explicitly
	// (readers set it; ApplyOrigin leaves such windows alone).
	StartGiven bool `json:"-"`
}

// Len is the number of events.
func (s *Sequence) Len() int { return len(s.Times) }

// Duration is End - Start.
func (s *Sequence) Duration() float64 { return s.End - s.Start }

// Validate checks the invariants of a sequence with k types (k <= 0 skips the
// upper bound on types). The error names the offending field and index.
func (s *Sequence) Validate(k int) error {
	if len(s.Times) != len(s.Types) {
		return &FieldError{Field: "types", Index: -1, Msg: fmt.Sprintf("length %d differs from times length %d", len(s.Types), len(s.Times))}
	}
	if math.IsNaN(s.Start) || math.IsInf(s.Start, 0) {
		return &FieldError{Field: "start", Index: -1, Msg: fmt.Sprintf("not finite: %v", s.Start)}
	}
	if math.IsNaN(s.End) || math.IsInf(s.End, 0) {
		return &FieldError{Field: "end", Index: -1, Msg: fmt.Sprintf("not finite: %v", s.End)}
	}
	if s.End < s.Start {
		return &FieldError{Field: "end", Index: -1, Msg: fmt.Sprintf("window end %v before start %v", s.End, s.Start)}
	}
	for i, t := range s.Times {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return &FieldError{Field: "times", Index: i, Msg: fmt.Sprintf("not finite: %v", t)}
		}
		if i > 0 && t < s.Times[i-1] {
			return &FieldError{Field: "times", Index: i, Msg: fmt.Sprintf("decreasing: %v after %v", t, s.Times[i-1])}
		}
		if t < s.Start || t > s.End {
			return &FieldError{Field: "times", Index: i, Msg: fmt.Sprintf("event time %v outside window [%v, %v]", t, s.Start, s.End)}
		}
	}
	for i, k2 := range s.Types {
		if k2 < 0 || (k > 0 && k2 >= k) {
			return &FieldError{Field: "types", Index: i, Msg: fmt.Sprintf("type %d outside [0, %d)", k2, k)}
		}
	}
	return nil
}

// Ties counts events whose time equals the previous event's time.
func (s *Sequence) Ties() int {
	n := 0
	for i := 1; i < len(s.Times); i++ {
		if s.Times[i] == s.Times[i-1] {
			n++
		}
	}
	return n
}

// FieldError is a validation problem inside one sequence.
type FieldError struct {
	Field string // "times", "types", "start", "end", ...
	Index int    // event index, or -1 when the field is a scalar
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("field %s[%d]: %s", e.Field, e.Index, e.Msg)
	}
	return fmt.Sprintf("field %s: %s", e.Field, e.Msg)
}

// Dataset is a collection of sequences sharing one mark space.
type Dataset struct {
	Name     string
	NumTypes int
	// TypeNames optionally maps type ids to names (from meta.json).
	TypeNames []string
	Seqs      []Sequence
}

// NumEvents is the total number of events over all sequences.
func (d *Dataset) NumEvents() int {
	n := 0
	for i := range d.Seqs {
		n += len(d.Seqs[i].Times)
	}
	return n
}

// TypeName returns the display name of type k.
func (d *Dataset) TypeName(k int) string {
	if k >= 0 && k < len(d.TypeNames) && d.TypeNames[k] != "" {
		return d.TypeNames[k]
	}
	return fmt.Sprintf("%d", k)
}

// Splits names the standard splits of a data-set directory.
var Splits = []string{"train", "dev", "test"}
