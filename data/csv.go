package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// CSV layout: a header naming at least the columns sequence_id, time and
// type (any order; other columns are ignored), then one event per row, the
// rows of a sequence contiguous and in time order. Optional columns start and
// end carry the observation window; they must hold the same value on every
// row of a sequence, and an empty cell means the default (start 0, end at
// the last event). A row whose time and type cells are both empty stands for
// a sequence with no events (it must then be the sequence's only row).

type csvCols struct {
	seq, time, typ, start, end int
	n                          int
}

func csvHeader(o *ReadOptions, hdr []string) (csvCols, error) {
	c := csvCols{seq: -1, time: -1, typ: -1, start: -1, end: -1, n: len(hdr)}
	for i, h := range hdr {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		var p *int
		switch h {
		case "sequence_id":
			p = &c.seq
		case "time":
			p = &c.time
		case "type":
			p = &c.typ
		case "start":
			p = &c.start
		case "end":
			p = &c.end
		default:
			continue
		}
		if *p >= 0 {
			return c, o.errAt(1, -1, "header", "column %q appears twice", h)
		}
		*p = i
	}
	var miss []string
	if c.seq < 0 {
		miss = append(miss, "sequence_id")
	}
	if c.time < 0 {
		miss = append(miss, "time")
	}
	if c.typ < 0 {
		miss = append(miss, "type")
	}
	if len(miss) > 0 {
		return c, o.errAt(1, -1, "header", "missing column(s) %s (want a header with sequence_id,time,type; got %q)", strings.Join(miss, ", "), strings.Join(hdr, ","))
	}
	return c, nil
}

// csvSeq accumulates the rows of the current sequence.
type csvSeq struct {
	s          Sequence
	lines      []int // line of each event
	first      int   // line of the first row
	empty      bool  // saw the no-events marker row
	start, end *float64
	nrows      int
}

// ReadCSV reads the event-per-row CSV described above.
func ReadCSV(r io.Reader, o ReadOptions) (*Dataset, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0
	hdr, err := cr.Read()
	if err == io.EOF {
		return nil, o.noSequences()
	}
	if err != nil {
		return nil, csvReadError(&o, err, 1)
	}
	cols, err := csvHeader(&o, hdr)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: o.Name, NumTypes: o.NumTypes}
	maxType := -1
	seen := map[string]int{} // sequence_id -> first line
	var cur *csvSeq
	var skip bool // current sequence already reported bad (collect mode)
	record := -1
	lastLine := 1

	finish := func() error {
		if cur == nil || skip {
			return nil
		}
		c := cur
		c.s.applyWindow(c.start, c.end)
		if err := validateSeq(&c.s, o.NumTypes); err != nil {
			field := func(name string, i int) string {
				switch name {
				case "times":
					return "time"
				case "types":
					return "type"
				}
				return name
			}
			line := func(i int) int {
				if i >= 0 && i < len(c.lines) {
					return c.lines[i]
				}
				return c.first
			}
			return o.problem(seqProblem(&o, err, record, field, line))
		}
		for _, k := range c.s.Types {
			maxType = max(maxType, k)
		}
		ds.Seqs = append(ds.Seqs, c.s)
		return nil
	}
	bad := func(e *LoadError) error {
		skip = true
		return o.problem(e)
	}

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(&o, err, lastLine+1)
		}
		line, _ := cr.FieldPos(0)
		lastLine = line
		id := rec[cols.seq]
		if cur == nil || id != cur.s.ID {
			if err := finish(); err != nil {
				return nil, err
			}
			record++
			skip = false
			if id == "" {
				cur = nil
				if err := bad(o.errAt(line, record, "sequence_id", "empty")); err != nil {
					return nil, err
				}
				continue
			}
			if first, ok := seen[id]; ok {
				cur = nil
				if err := bad(o.errAt(line, record, "sequence_id", "sequence %q reappears after other sequences started (first seen at line %d); rows of a sequence must be contiguous", id, first)); err != nil {
					return nil, err
				}
				continue
			}
			seen[id] = line
			cur = &csvSeq{s: Sequence{ID: id, Times: []float64{}, Types: []int{}}, first: line}
		}
		if skip {
			continue
		}
		if e := cur.addRow(&o, rec, cols, line, record); e != nil {
			if err := bad(e); err != nil {
				return nil, err
			}
		}
	}
	if err := finish(); err != nil {
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

func (c *csvSeq) addRow(o *ReadOptions, rec []string, cols csvCols, line, record int) *LoadError {
	c.nrows++
	ts, ks := strings.TrimSpace(rec[cols.time]), strings.TrimSpace(rec[cols.typ])
	if err := c.window(o, rec, cols.start, "start", &c.start, line, record); err != nil {
		return err
	}
	if err := c.window(o, rec, cols.end, "end", &c.end, line, record); err != nil {
		return err
	}
	if ts == "" && ks == "" {
		if c.nrows > 1 {
			return o.errAt(line, record, "time", "empty time and type (the no-events marker) in a sequence that has other rows")
		}
		c.empty = true
		return nil
	}
	if c.empty {
		return o.errAt(line, record, "time", "event row after the no-events marker row")
	}
	t, err := strconv.ParseFloat(ts, 64)
	if err != nil {
		return o.errAt(line, record, "time", "not a number: %q", ts)
	}
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return o.errAt(line, record, "time", "not finite: %q", ts)
	}
	k, err := strconv.Atoi(ks)
	if err != nil {
		return o.errAt(line, record, "type", "not an integer: %q", ks)
	}
	c.s.Times = append(c.s.Times, t)
	c.s.Types = append(c.s.Types, k)
	c.lines = append(c.lines, line)
	return nil
}

// window parses an optional start/end cell and checks it agrees with the
// sequence's earlier rows.
func (c *csvSeq) window(o *ReadOptions, rec []string, col int, name string, dst **float64, line, record int) *LoadError {
	if col < 0 {
		return nil
	}
	cell := strings.TrimSpace(rec[col])
	var v *float64
	if cell != "" {
		f, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			return o.errAt(line, record, name, "not a number: %q", cell)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return o.errAt(line, record, name, "not finite: %q", cell)
		}
		v = &f
	}
	if c.nrows == 1 {
		*dst = v
		return nil
	}
	prev := *dst
	if (prev == nil) != (v == nil) || (prev != nil && *prev != *v) {
		return o.errAt(line, record, name, "differs from the value on the sequence's first row (line %d); the window must be the same on every row", c.first)
	}
	return nil
}

// csvReadError describes a CSV syntax or read error; line is where reading
// stopped, for errors that carry no line of their own.
func csvReadError(o *ReadOptions, err error, line int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		e := &LoadError{File: o.File, Line: pe.Line, Record: -1, Msg: pe.Err.Error(), Err: err}
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			e.Msg = fmt.Sprintf("row has a different number of fields than the header (column %d)", pe.Column)
		}
		return e
	}
	return readError(o, line, err)
}

// WriteCSV writes ds as CSV. The start and end columns are added only when
// some sequence has a window other than the default. Sequence IDs must be
// unique and non-empty because the reader groups rows by sequence_id.
func WriteCSV(w io.Writer, ds *Dataset) error {
	if err := checkWritable(ds); err != nil {
		return err
	}
	seen := make(map[string]int, len(ds.Seqs))
	windows := false
	for i := range ds.Seqs {
		s := &ds.Seqs[i]
		id := s.ID
		if id == "" {
			return fmt.Errorf("sequence %d has an empty ID; CSV needs a sequence_id", i)
		}
		if j, ok := seen[id]; ok {
			return fmt.Errorf("sequences %d and %d share the ID %q; CSV groups rows by sequence_id, so IDs must be unique", j, i, id)
		}
		seen[id] = i
		if !s.HasDefaultWindow() {
			windows = true
		}
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	hdr := []string{"sequence_id", "time", "type"}
	if windows {
		hdr = append(hdr, "start", "end")
	}
	if err := cw.Write(hdr); err != nil {
		return err
	}
	rec := make([]string, len(hdr))
	var buf []byte
	for i := range ds.Seqs {
		s := &ds.Seqs[i]
		rec[0] = s.ID
		if windows {
			rec[3] = string(appendFloat(buf[:0], s.Start))
			rec[4] = string(appendFloat(buf[:0], s.End))
		}
		if len(s.Times) == 0 {
			rec[1], rec[2] = "", ""
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		for j, t := range s.Times {
			rec[1] = string(appendFloat(buf[:0], t))
			rec[2] = strconv.Itoa(s.Types[j])
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
