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

// hfRecord is one sequence of EasyTPP's Hugging Face JSON layout. start, end
// and id are gotpp extensions (EasyTPP ignores unknown keys); they are
// written only when not the defaults.
type hfRecord struct {
	DimProcess     *int            `json:"dim_process"`
	SeqLen         *int            `json:"seq_len"`
	SeqIdx         json.RawMessage `json:"seq_idx"`
	TimeSinceStart *[]float64      `json:"time_since_start"`
	TimeSinceLast  *[]float64      `json:"time_since_last_event"`
	TypeEvent      *[]int          `json:"type_event"`
	Start          *float64        `json:"start"`
	End            *float64        `json:"end"`
	ID             json.RawMessage `json:"id"`
}

func hfField(name string, i int) string {
	switch name {
	case "times":
		name = "time_since_start"
	case "types":
		name = "type_event"
	}
	return indexedField(name, i)
}

// ReadHFJSON reads EasyTPP's Hugging Face JSON: either a JSON array of
// records or JSON Lines of records, each
// {"dim_process":K,"seq_len":N,"seq_idx":i,"time_since_start":[...],
// "time_since_last_event":[...],"type_event":[...]}. Times are
// time_since_start; seq_len and the length of time_since_last_event, when
// present, must match. dim_process must agree between records and with
// o.NumTypes when that is set.
func ReadHFJSON(r io.Reader, o ReadOptions) (*Dataset, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, readError(&o, 0, err)
	}
	b = bytes.TrimPrefix(b, utf8BOM)
	h := hfReader{o: &o, ds: &Dataset{Name: o.Name, NumTypes: o.NumTypes}, maxType: -1, dim: -1}
	body := bytes.TrimLeft(b, " \t\r\n")
	if len(body) > 0 && body[0] == '[' {
		err = h.readArray(b)
	} else {
		err = eachLine(bytes.NewReader(b), &o, func(line []byte, ln int) error {
			if len(bytes.TrimSpace(line)) == 0 {
				return nil
			}
			return h.record(line, ln)
		})
	}
	if err != nil {
		return nil, err
	}
	if len(h.ds.Seqs) == 0 {
		return nil, o.noSequences()
	}
	if h.ds.NumTypes <= 0 {
		h.ds.NumTypes = inferNumTypes(h.maxType)
		if h.dim > 0 {
			if h.maxType >= h.dim {
				return nil, &LoadError{File: o.File, Line: h.dimLine, Record: -1, Field: "dim_process",
					Msg: fmt.Sprintf("is %d but type %d occurs", h.dim, h.maxType)}
			}
			h.ds.NumTypes = h.dim
		}
	}
	return h.ds, nil
}

type hfReader struct {
	o       *ReadOptions
	ds      *Dataset
	maxType int
	dim     int // dim_process seen so far, -1 none
	dimLine int
	n       int // records seen
}

// readArray walks a top-level JSON array record by record, tracking lines.
func (h *hfReader) readArray(b []byte) error {
	o := h.o
	dec := json.NewDecoder(bytes.NewReader(b))
	line, pos := 1, 0
	lineAt := func(off int) int {
		if off > len(b) {
			off = len(b)
		}
		if off > pos {
			line += bytes.Count(b[pos:off], []byte{'\n'})
			pos = off
		}
		return line
	}
	if _, err := dec.Token(); err != nil { // '['
		return &LoadError{File: o.File, Line: 1, Record: -1, Msg: "malformed JSON: " + err.Error(), Err: err}
	}
	for {
		off := int(dec.InputOffset())
		for off < len(b) && (b[off] == ' ' || b[off] == '\t' || b[off] == '\r' || b[off] == '\n' || b[off] == ',') {
			off++
		}
		ln := lineAt(off)
		if !dec.More() {
			break
		}
		var hr hfRecord
		if err := dec.Decode(&hr); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				// A syntax error: the array cannot be followed any further.
				return &LoadError{File: o.File, Line: ln, Record: h.n, Msg: "malformed JSON: " + err.Error(), Err: err}
			}
			// A wrong type: the decoder has consumed the whole record.
			rec := h.n
			h.n++
			if err := o.problem(jsonProblem(o, err, ln, rec, nil)); err != nil {
				return err
			}
			continue
		}
		if err := h.add(&hr, ln); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return &LoadError{File: o.File, Line: lineAt(int(dec.InputOffset())), Record: -1, Msg: "malformed JSON: " + err.Error(), Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &LoadError{File: o.File, Line: lineAt(int(dec.InputOffset())), Record: -1, Msg: "data after the closing ]"}
	}
	return nil
}

func (h *hfReader) record(raw []byte, ln int) error {
	var hr hfRecord
	if err := json.Unmarshal(raw, &hr); err != nil {
		rec := h.n
		h.n++
		return h.o.problem(jsonProblem(h.o, err, ln, rec, raw))
	}
	return h.add(&hr, ln)
}

// add checks one decoded record and appends its sequence.
func (h *hfReader) add(hr *hfRecord, ln int) error {
	o := h.o
	rec := h.n
	h.n++
	if hr.TimeSinceStart == nil {
		return o.problem(o.errAt(ln, rec, "time_since_start", "missing"))
	}
	if hr.TypeEvent == nil {
		return o.problem(o.errAt(ln, rec, "type_event", "missing"))
	}
	n := len(*hr.TimeSinceStart)
	if len(*hr.TypeEvent) != n {
		return o.problem(o.errAt(ln, rec, "type_event", "length %d differs from time_since_start length %d", len(*hr.TypeEvent), n))
	}
	if hr.SeqLen != nil && *hr.SeqLen != n {
		return o.problem(o.errAt(ln, rec, "seq_len", "is %d but time_since_start has %d events", *hr.SeqLen, n))
	}
	if hr.TimeSinceLast != nil && len(*hr.TimeSinceLast) != n {
		return o.problem(o.errAt(ln, rec, "time_since_last_event", "length %d differs from time_since_start length %d", len(*hr.TimeSinceLast), n))
	}
	if hr.DimProcess != nil {
		d := *hr.DimProcess
		switch {
		case d <= 0:
			return o.problem(o.errAt(ln, rec, "dim_process", "must be positive, got %d", d))
		case o.NumTypes > 0 && d != o.NumTypes:
			return o.problem(o.errAt(ln, rec, "dim_process", "is %d but meta.json says num_types %d", d, o.NumTypes))
		case h.dim >= 0 && d != h.dim:
			return o.problem(o.errAt(ln, rec, "dim_process", "is %d but line %d said %d", d, h.dimLine, h.dim))
		}
		if h.dim < 0 {
			h.dim, h.dimLine = d, ln
		}
	}
	s := Sequence{Times: *hr.TimeSinceStart, Types: *hr.TypeEvent}
	id, hasID, err := parseID(hr.ID)
	if err != nil {
		return o.problem(&LoadError{File: o.File, Line: ln, Record: rec, Field: "id", Msg: err.Error()})
	}
	if !hasID {
		id, hasID, err = parseID(hr.SeqIdx)
		if err != nil {
			return o.problem(&LoadError{File: o.File, Line: ln, Record: rec, Field: "seq_idx", Msg: err.Error()})
		}
	}
	if !hasID {
		id = defaultID(rec)
	}
	s.ID = id
	s.applyWindow(hr.Start, hr.End)
	k := o.NumTypes
	if k <= 0 && h.dim > 0 {
		k = h.dim
	}
	if err := validateSeq(&s, k); err != nil {
		return o.problem(seqProblem(o, err, rec, hfField, func(int) int { return ln }))
	}
	for _, t := range s.Types {
		h.maxType = max(h.maxType, t)
	}
	h.ds.Seqs = append(h.ds.Seqs, s)
	return nil
}

// WriteHFJSON writes ds in EasyTPP's Hugging Face layout as a JSON array
// with one record per line. time_since_last_event is 0 for the first event
// and t_i - t_{i-1} after it. seq_idx is the sequence ID when that is a
// non-negative integer, else the index; an "id" key is added when the ID is
// not what the reader would reconstruct, and start/end when the window is
// not the default.
func WriteHFJSON(w io.Writer, ds *Dataset) error {
	if err := checkWritable(ds); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	if _, err := bw.WriteString("[\n"); err != nil {
		return err
	}
	dim := ds.NumTypes
	if dim <= 0 {
		dim = inferNumTypes(maxTypeOf(ds))
	}
	for i := range ds.Seqs {
		s := &ds.Seqs[i]
		buf = append(buf[:0], `{"dim_process":`...)
		buf = strconv.AppendInt(buf, int64(dim), 10)
		buf = append(buf, `,"seq_len":`...)
		buf = strconv.AppendInt(buf, int64(len(s.Times)), 10)
		idx := i
		if v, err := strconv.Atoi(s.ID); err == nil && v >= 0 && strconv.Itoa(v) == s.ID {
			idx = v
		}
		buf = append(buf, `,"seq_idx":`...)
		buf = strconv.AppendInt(buf, int64(idx), 10)
		buf = append(buf, `,"time_since_start":[`...)
		for j, t := range s.Times {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendFloat(buf, t)
		}
		buf = append(buf, `],"time_since_last_event":[`...)
		for j, t := range s.Times {
			if j > 0 {
				buf = append(buf, ',')
				buf = appendFloat(buf, t-s.Times[j-1])
			} else {
				buf = append(buf, '0')
			}
		}
		buf = append(buf, `],"type_event":[`...)
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
		if s.ID != strconv.Itoa(idx) {
			buf = append(buf, `,"id":`...)
			buf = appendJSONString(buf, s.ID)
		}
		buf = append(buf, '}')
		if i < len(ds.Seqs)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("]\n"); err != nil {
		return err
	}
	return bw.Flush()
}

func maxTypeOf(ds *Dataset) int {
	m := -1
	for i := range ds.Seqs {
		for _, k := range ds.Seqs[i].Types {
			m = max(m, k)
		}
	}
	return m
}
