package data

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// LoadError is a problem found while reading or validating a data file. It
// names the file, the 1-based line (0 when the format has no lines, e.g. a
// pickle), the 0-based record (sequence) index inside its split (-1 when
// unknown) and the field ("times[3]", "type", "train[2][5].time_since_start").
type LoadError struct {
	File   string
	Line   int
	Record int
	Field  string
	Msg    string
	Err    error // underlying cause, if any
}

func (e *LoadError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("<input>")
	}
	if e.Line > 0 {
		b.WriteString(": line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Record >= 0 {
		b.WriteString(": record ")
		b.WriteString(strconv.Itoa(e.Record))
	}
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// ReadOptions configures the readers.
type ReadOptions struct {
	// File names the input in error messages.
	File string
	// Name is copied to Dataset.Name.
	Name string
	// NumTypes is the known number of event types (from meta.json); 0 means
	// take it from the file (dim_process) or infer max type + 1.
	NumTypes int
	// OnProblem, when set, receives every per-record problem (bad field
	// values, bad JSON on one line, ...) and reading continues with the next
	// record; the bad record is left out of the result. Problems that stop
	// reading (a truncated gzip stream, a corrupt pickle) are still returned
	// as the error. When nil, the first problem is returned as the error.
	OnProblem func(*LoadError)

	nproblems int // problems passed to OnProblem so far
}

func (o *ReadOptions) problem(e *LoadError) error {
	if o.OnProblem != nil {
		o.nproblems++
		o.OnProblem(e)
		return nil
	}
	return e
}

func (o *ReadOptions) errAt(line, record int, field, format string, args ...any) *LoadError {
	return &LoadError{File: o.File, Line: line, Record: record, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// noSequences is the error for an input that holds no sequence at all.
// After problems were passed to OnProblem it says so and wraps
// errNoValidSequences.
func (o *ReadOptions) noSequences() error {
	if o.nproblems > 0 {
		return &LoadError{File: o.File, Record: -1, Msg: fmt.Sprintf("no valid sequences (%d problems)", o.nproblems), Err: errNoValidSequences}
	}
	return &LoadError{File: o.File, Record: -1, Msg: "no sequences"}
}

var errNoValidSequences = errors.New("no valid sequences")

// seqProblem turns a Sequence.Validate error into a LoadError. field maps the
// model's field name ("times", "types", "start", "end") and event index (-1
// for scalars) to the file's field name; line gives the line of event i
// (i = -1: the record's own line).
func seqProblem(o *ReadOptions, err error, record int, field func(name string, i int) string, line func(i int) int) *LoadError {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return &LoadError{File: o.File, Line: line(-1), Record: record, Msg: err.Error(), Err: err}
	}
	return &LoadError{File: o.File, Line: line(fe.Index), Record: record, Field: field(fe.Field, fe.Index), Msg: fe.Msg, Err: err}
}

// indexedField names element i of a list field: "times[3]", or "start".
func indexedField(name string, i int) string {
	if i < 0 {
		return name
	}
	return name + "[" + strconv.Itoa(i) + "]"
}
