package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// jsonlRecord is one line of a JSONL file. Pointers tell a missing field from
// an empty one.
type jsonlRecord struct {
	ID    json.RawMessage `json:"id"`
	Times *[]float64      `json:"times"`
	Types *[]int          `json:"types"`
	Start *float64        `json:"start"`
	End   *float64        `json:"end"`
}

const maxLine = 1 << 30

// eachLine calls fn for every line of r (without the line break, with a
// trailing '\r' removed) and its 1-based number. A read error (e.g. a
// truncated gzip stream) is returned as a LoadError naming the line where
// reading stopped.
func eachLine(r io.Reader, o *ReadOptions, fn func(line []byte, lineno int) error) error {
	tr := &errTracker{r: r}
	sc := bufio.NewScanner(tr)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		// After a read error (truncated gzip, ...) the bytes after the last
		// line break are a fragment, not a line: report the error instead.
		if atEOF && tr.err != nil && len(data) > 0 && bytes.IndexByte(data, '\n') < 0 {
			return 0, nil, tr.err
		}
		return bufio.ScanLines(data, atEOF)
	})
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if err := fn(line, n); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return readError(o, n+1, err)
	}
	return nil
}

// errTracker remembers the first read error other than io.EOF.
type errTracker struct {
	r   io.Reader
	err error
}

func (e *errTracker) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

var utf8BOM = []byte("\xef\xbb\xbf")

func readError(o *ReadOptions, line int, err error) *LoadError {
	msg := "read error: " + err.Error()
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "unexpected end of data (truncated or corrupt gzip stream?)"
	case errors.Is(err, bufio.ErrTooLong):
		msg = fmt.Sprintf("line longer than %d bytes", maxLine)
	}
	return &LoadError{File: o.File, Line: line, Record: -1, Msg: msg, Err: err}
}

// jsonProblem describes a json.Unmarshal error for one record.
func jsonProblem(o *ReadOptions, err error, line, record int, raw []byte) *LoadError {
	e := &LoadError{File: o.File, Line: line, Record: record, Err: err}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		e.Msg = fmt.Sprintf("malformed JSON at byte %d of the line: %v", se.Offset, se.Error())
		if bytes.Contains(raw, []byte("NaN")) || bytes.Contains(raw, []byte("Infinity")) {
			e.Msg += " (NaN and Infinity are not JSON numbers; times must be finite)"
		}
	case errors.As(err, &te):
		if te.Field == "" {
			e.Msg = fmt.Sprintf("record is a JSON %s, want an object", te.Value)
		} else {
			e.Field = te.Field
			e.Msg = fmt.Sprintf("wrong type: JSON %s where %s is expected", te.Value, goTypeWord(te.Type.String()))
		}
	default:
		e.Msg = err.Error()
	}
	return e
}

func goTypeWord(t string) string {
	switch t {
	case "float64", "*float64":
		return "a number"
	case "int", "*int":
		return "an integer"
	case "[]float64", "*[]float64":
		return "a list of numbers"
	case "[]int", "*[]int":
		return "a list of integers"
	case "string":
		return "a string"
	}
	return t
}

// parseID reads an optional "id": a JSON string or integer.
func parseID(raw json.RawMessage) (string, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, err
		}
		return s, true, nil
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return string(raw), true, nil
	}
	return "", false, fmt.Errorf("id must be a string or an integer, got %s", raw)
}

// ReadJSONL reads JSON Lines: one sequence per line,
// {"times":[...],"types":[...],"start":..,"end":..,"id":..} with start, end
// and id optional; blank lines are skipped and unknown fields ignored.
func ReadJSONL(r io.Reader, o ReadOptions) (*Dataset, error) {
	ds := &Dataset{Name: o.Name, NumTypes: o.NumTypes}
	maxType := -1
	record := 0
	jsonlField := func(name string, i int) string { return indexedField(name, i) }
	err := eachLine(r, &o, func(line []byte, ln int) error {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		rec := record
		record++
		var jr jsonlRecord
		if err := json.Unmarshal(line, &jr); err != nil {
			return o.problem(jsonProblem(&o, err, ln, rec, line))
		}
		id, hasID, err := parseID(jr.ID)
		if err != nil {
			return o.problem(&LoadError{File: o.File, Line: ln, Record: rec, Field: "id", Msg: err.Error()})
		}
		if jr.Times == nil {
			return o.problem(o.errAt(ln, rec, "times", "missing"))
		}
		if jr.Types == nil {
			return o.problem(o.errAt(ln, rec, "types", "missing"))
		}
		s := Sequence{ID: id, Times: *jr.Times, Types: *jr.Types}
		if !hasID {
			s.ID = defaultID(rec)
		}
		s.applyWindow(jr.Start, jr.End)
		if err := validateSeq(&s, o.NumTypes); err != nil {
			return o.problem(seqProblem(&o, err, rec, jsonlField, func(int) int { return ln }))
		}
		for _, k := range s.Types {
			maxType = max(maxType, k)
		}
		ds.Seqs = append(ds.Seqs, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ds.Seqs) == 0 {
		return nil, o.noSequences()
	}
	if ds.NumTypes <= 0 {
		ds.NumTypes = inferNumTypes(maxType)
	}
	return ds, nil
}

// WriteJSONL writes ds as JSON Lines. Floats use the shortest representation
// that parses back to the same float64; start, end and id are written only
// when they differ from the defaults the reader would assume.
func WriteJSONL(w io.Writer, ds *Dataset) error {
	if err := checkWritable(ds); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	for i := range ds.Seqs {
		s := &ds.Seqs[i]
		buf = append(buf[:0], `{"times":[`...)
		for j, t := range s.Times {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendFloat(buf, t)
		}
		buf = append(buf, `],"types":[`...)
		for j, k := range s.Types {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(k), 10)
		}
		buf = append(buf, ']')
		if !s.HasDefaultStart() {
			buf = append(buf, `,"start":`...)
			buf = appendFloat(buf, s.Start)
		}
		if !s.HasDefaultEnd() {
			buf = append(buf, `,"end":`...)
			buf = appendFloat(buf, s.End)
		}
		if s.ID != defaultID(i) {
			buf = append(buf, `,"id":`...)
			buf = appendJSONString(buf, s.ID)
		}
		buf = append(buf, "}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendFloat writes t in the shortest form that round-trips exactly; the
// result is a valid JSON, CSV and Python float literal.
func appendFloat(buf []byte, t float64) []byte {
	return strconv.AppendFloat(buf, t, 'g', -1, 64)
}

func appendJSONString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(buf, b...)
}

// checkWritable refuses to write a dataset that would not read back.
func checkWritable(ds *Dataset) error {
	if ds == nil || len(ds.Seqs) == 0 {
		return fmt.Errorf("no sequences to write")
	}
	for i := range ds.Seqs {
		if err := ds.Seqs[i].Validate(ds.NumTypes); err != nil {
			return fmt.Errorf("sequence %d (id %q): %w", i, ds.Seqs[i].ID, err)
		}
	}
	return nil
}
