package data

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ImportOptions configures Import of a raw event log: a CSV file with a
// header and one event per row, rows in any order.
type ImportOptions struct {
	Input   string // CSV file (gzip detected from the content)
	OutDir  string // receives train/dev/test.jsonl and meta.json
	SeqCol  string // column holding the sequence key (user, device, ...)
	TimeCol string // column holding the timestamp
	TypeCol string // column holding the mark (any string)
	// TimeUnit is the unit of the written times: "s", "min", "h" or "d"
	// (also "ms"); default "s".
	TimeUnit string
	// NumericUnit is the unit of numeric timestamps in the input; default
	// "s" (e.g. Unix seconds). RFC 3339 timestamps carry their own.
	NumericUnit string
	// Split holds the train/dev/test fractions (non-negative, summing to 1);
	// zero value means 0.7, 0.1, 0.2. Sequences, not events, are split.
	Split [3]float64
	Seed  uint64
	// Comma is the field delimiter; 0 means ','.
	Comma rune
	// Name is the data set's name in meta.json; default the output
	// directory's base name.
	Name string
}

// ImportReport says what Import did. It is also stored in meta.json under
// "import".
type ImportReport struct {
	Source        string           `json:"source"`
	Columns       [3]string        `json:"columns"` // seq, time, type
	Rows          int              `json:"rows"`
	Kept          int              `json:"kept"`
	Dropped       int              `json:"dropped"`
	DroppedBy     map[string]int   `json:"dropped_by_reason,omitempty"`
	DroppedLines  map[string][]int `json:"dropped_example_lines,omitempty"` // first few lines per reason
	TimeFormat    string           `json:"time_format"`                     // "numeric" or "rfc3339"
	TimeOrigin    string           `json:"time_origin,omitempty"`           // RFC 3339 time that became 0
	TimeUnit      string           `json:"time_unit"`
	NumericUnit   string           `json:"numeric_unit,omitempty"`
	NumTypes      int              `json:"num_types"`
	TypeNames     []string         `json:"type_names"`
	Split         [3]float64       `json:"split"`
	Seed          uint64           `json:"seed"`
	NumSequences  map[string]int   `json:"num_sequences"`
	NumEvents     map[string]int   `json:"num_events"`
	TiesAfterSort int              `json:"ties"`
	ReorderedSeqs int              `json:"sequences_reordered"` // sequences whose rows were not in time order
	OutputFiles   []string         `json:"files"`
}

var unitSeconds = map[string]float64{"ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}

const maxDropExamples = 5

type rawEvent struct {
	seq int
	t   float64 // numeric value, or seconds since the RFC 3339 origin
	typ string
}

// Import converts a raw event log into a gotpp data-set directory. String
// marks become type ids in sorted order (numerically when every mark is an
// integer, else by string), and the names are saved as type_names. A
// timestamp is numeric (in NumericUnit) or RFC 3339 (made relative to the
// earliest one in the file); the first non-empty time cell decides which, and
// cells of the other kind are dropped as unparsable. Rows with a missing
// field, an unparsable, non-finite or (numeric) negative time are dropped
// and counted by reason. Events are sorted by time within each sequence
// (stable, so tied events keep file order), and sequences are shuffled with
// Seed and split by the Split fractions (largest-remainder rounding); each
// split keeps the sequences' first-appearance order. All files are written
// atomically.
func Import(opts ImportOptions) (*ImportReport, error) {
	o := opts
	if o.TimeUnit == "" {
		o.TimeUnit = "s"
	}
	if o.NumericUnit == "" {
		o.NumericUnit = "s"
	}
	unit, ok := unitSeconds[o.TimeUnit]
	if !ok {
		return nil, fmt.Errorf("time unit %q: want s, min, h or d (or ms)", o.TimeUnit)
	}
	nunit, ok := unitSeconds[o.NumericUnit]
	if !ok {
		return nil, fmt.Errorf("numeric unit %q: want s, min, h or d (or ms)", o.NumericUnit)
	}
	if o.Split == [3]float64{} {
		o.Split = [3]float64{0.7, 0.1, 0.2}
	}
	sum := 0.0
	for _, f := range o.Split {
		if f < 0 || math.IsNaN(f) {
			return nil, fmt.Errorf("split fractions must be non-negative, got %v", o.Split)
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("split fractions must sum to 1, got %v (sum %v)", o.Split, sum)
	}
	if o.OutDir == "" {
		return nil, errors.New("no output directory")
	}
	if o.SeqCol == "" || o.TimeCol == "" || o.TypeCol == "" {
		return nil, errors.New("name the sequence, time and type columns")
	}
	if o.Name == "" {
		o.Name = filepath.Base(filepath.Clean(o.OutDir))
	}

	r, closeFn, err := openMaybeGzip(o.Input)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	rep := &ImportReport{
		Source: o.Input, Columns: [3]string{o.SeqCol, o.TimeCol, o.TypeCol},
		DroppedBy: map[string]int{}, DroppedLines: map[string][]int{},
		TimeUnit: o.TimeUnit, Split: o.Split, Seed: o.Seed,
		NumSequences: map[string]int{}, NumEvents: map[string]int{},
	}
	events, seqKeys, origin, err := readRawLog(r, &o, rep)
	if err != nil {
		return nil, err
	}
	if rep.TimeFormat == "numeric" {
		rep.NumericUnit = o.NumericUnit
	}
	if len(events) == 0 {
		return nil, &LoadError{File: o.Input, Record: -1, Msg: fmt.Sprintf("no usable rows (%d rows, all dropped: %s)", rep.Rows, dropSummary(rep))}
	}
	if !origin.IsZero() {
		rep.TimeOrigin = origin.Format(time.RFC3339Nano)
	}
	factor := 1.0
	if rep.TimeFormat == "numeric" {
		factor = nunit / unit
	} else {
		factor = 1 / unit
	}

	// Type ids.
	names := distinctSorted(events)
	typeID := make(map[string]int, len(names))
	for i, n := range names {
		typeID[n] = i
	}
	rep.NumTypes, rep.TypeNames = len(names), names

	// Sequences in first-appearance order, events sorted stably by time.
	seqs := make([]Sequence, len(seqKeys))
	for i, k := range seqKeys {
		seqs[i].ID = k
	}
	for _, e := range events {
		s := &seqs[e.seq]
		t := e.t
		if factor != 1 {
			t *= factor
		}
		s.Times = append(s.Times, t)
		s.Types = append(s.Types, typeID[e.typ])
	}
	for i := range seqs {
		s := &seqs[i]
		if !sort.Float64sAreSorted(s.Times) {
			rep.ReorderedSeqs++
			idx := make([]int, len(s.Times))
			for j := range idx {
				idx[j] = j
			}
			sort.SliceStable(idx, func(a, b int) bool { return s.Times[idx[a]] < s.Times[idx[b]] })
			ts, ks := make([]float64, len(idx)), make([]int, len(idx))
			for j, p := range idx {
				ts[j], ks[j] = s.Times[p], s.Types[p]
			}
			s.Times, s.Types = ts, ks
		}
		s.applyWindow(nil, nil)
		rep.TiesAfterSort += s.Ties()
	}

	// Seeded split of the sequences.
	counts := splitCounts(len(seqs), o.Split)
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	perm := rng.Perm(len(seqs))
	splits := map[string]*Dataset{}
	at := 0
	for si, split := range Splits {
		idx := append([]int(nil), perm[at:at+counts[si]]...)
		at += counts[si]
		if len(idx) == 0 {
			continue
		}
		sort.Ints(idx)
		ds := &Dataset{Name: o.Name, NumTypes: len(names), TypeNames: names, Seqs: make([]Sequence, len(idx))}
		for j, p := range idx {
			ds.Seqs[j] = seqs[p]
		}
		splits[split] = ds
		rep.NumSequences[split] = len(idx)
		rep.NumEvents[split] = ds.NumEvents()
		rep.OutputFiles = append(rep.OutputFiles, split+".jsonl")
	}
	for _, s := range Splits {
		if old, ok, _ := SplitFile(o.OutDir, s); ok && filepath.Base(old) != s+".jsonl" {
			return nil, fmt.Errorf("%s already holds %s; import writes %s.jsonl and would leave two files for split %q", o.OutDir, filepath.Base(old), s, s)
		}
	}
	meta := &Meta{Name: o.Name, NumTypes: len(names), TypeNames: names}
	if err := meta.SetExtra("import", rep); err != nil {
		return nil, err
	}
	if err := meta.SetExtra("format", FormatNote(JSONL, false)); err != nil {
		return nil, err
	}
	if err := meta.SetExtra("time_unit", o.TimeUnit); err != nil {
		return nil, err
	}
	if err := WriteDir(o.OutDir, JSONL, false, splits, meta); err != nil {
		return nil, err
	}
	return rep, nil
}

func openMaybeGzip(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, &LoadError{File: path, Record: -1, Msg: "corrupt gzip header: " + err.Error(), Err: err}
		}
		return zr, f.Close, nil
	}
	return br, f.Close, nil
}

func readRawLog(r io.Reader, o *ImportOptions, rep *ImportReport) ([]rawEvent, []string, time.Time, error) {
	ro := &ReadOptions{File: o.Input}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if o.Comma != 0 {
		cr.Comma = o.Comma
	}
	hdr, err := cr.Read()
	if err == io.EOF {
		return nil, nil, time.Time{}, &LoadError{File: o.Input, Record: -1, Msg: "empty file"}
	}
	if err != nil {
		return nil, nil, time.Time{}, csvReadError(ro, err, 1)
	}
	col := func(name string) (int, error) {
		for i, h := range hdr {
			if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == name {
				return i, nil
			}
		}
		for i, h := range hdr {
			if strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), name) {
				return i, nil
			}
		}
		return -1, &LoadError{File: o.Input, Line: 1, Record: -1, Field: "header", Msg: fmt.Sprintf("no column %q (columns: %s)", name, strings.Join(hdr, ", "))}
	}
	iSeq, err := col(o.SeqCol)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	iTime, err := col(o.TimeCol)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	iType, err := col(o.TypeCol)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	need := max(iSeq, iTime, iType) + 1

	drop := func(reason string, line int) {
		rep.Dropped++
		rep.DroppedBy[reason]++
		if len(rep.DroppedLines[reason]) < maxDropExamples {
			rep.DroppedLines[reason] = append(rep.DroppedLines[reason], line)
		}
	}
	var events []rawEvent
	var stamps []time.Time // RFC 3339 times, parallel to events
	seqIndex := map[string]int{}
	var seqKeys []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, time.Time{}, csvReadError(ro, err, rep.Rows+2)
		}
		line, _ := cr.FieldPos(0)
		rep.Rows++
		if len(rec) < need {
			drop("too few columns", line)
			continue
		}
		sk, ts, ty := strings.TrimSpace(rec[iSeq]), strings.TrimSpace(rec[iTime]), strings.TrimSpace(rec[iType])
		switch {
		case sk == "":
			drop("missing sequence key", line)
			continue
		case ts == "":
			drop("missing time", line)
			continue
		case ty == "":
			drop("missing type", line)
			continue
		}
		if rep.TimeFormat == "" {
			if _, err := strconv.ParseFloat(ts, 64); err == nil {
				rep.TimeFormat = "numeric"
			} else if _, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				rep.TimeFormat = "rfc3339"
			} else {
				drop("unparsable time", line)
				continue
			}
		}
		var t float64
		var stamp time.Time
		if rep.TimeFormat == "numeric" {
			t, err = strconv.ParseFloat(ts, 64)
			if err != nil {
				drop("unparsable time", line)
				continue
			}
			if math.IsNaN(t) || math.IsInf(t, 0) {
				drop("non-finite time", line)
				continue
			}
			if t < 0 {
				drop("negative time", line)
				continue
			}
		} else {
			stamp, err = time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				drop("unparsable time", line)
				continue
			}
		}
		si, ok := seqIndex[sk]
		if !ok {
			si = len(seqKeys)
			seqIndex[sk] = si
			seqKeys = append(seqKeys, sk)
		}
		events = append(events, rawEvent{seq: si, t: t, typ: ty})
		if rep.TimeFormat == "rfc3339" {
			stamps = append(stamps, stamp)
		}
	}
	rep.Kept = len(events)
	var origin time.Time
	if len(stamps) > 0 {
		origin = stamps[0]
		for _, s := range stamps {
			if s.Before(origin) {
				origin = s
			}
		}
		for i, s := range stamps {
			// Whole seconds and nanoseconds apart, so no range limit and no
			// loss beyond the final rounding to float64.
			sec := float64(s.Unix() - origin.Unix())
			ns := float64(s.Nanosecond() - origin.Nanosecond())
			events[i].t = sec + ns*1e-9
		}
	}
	// Sequences whose rows were all dropped never got an index, so every
	// key in seqKeys has at least one event.
	return events, seqKeys, origin, nil
}

func dropSummary(rep *ImportReport) string {
	var parts []string
	for _, k := range sortedKeys(rep.DroppedBy) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, rep.DroppedBy[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// distinctSorted lists the distinct marks: numerically ordered when all are
// integers, else in string order.
func distinctSorted(events []rawEvent) []string {
	set := map[string]bool{}
	for _, e := range events {
		set[e.typ] = true
	}
	names := sortedKeys(set)
	nums := make(map[string]int64, len(names))
	for _, n := range names {
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return names
		}
		nums[n] = v
	}
	sort.SliceStable(names, func(i, j int) bool { return nums[names[i]] < nums[names[j]] })
	return names
}

// splitCounts divides n items by fractions f with largest-remainder
// rounding (ties to the earlier split), so the counts sum to n.
func splitCounts(n int, f [3]float64) [3]int {
	var c [3]int
	var rem [3]float64
	total := 0
	for i := range f {
		x := f[i] * float64(n)
		c[i] = int(math.Floor(x))
		rem[i] = x - float64(c[i])
		total += c[i]
	}
	for total < n {
		best := -1
		for i := range rem {
			if f[i] > 0 && (best < 0 || rem[i] > rem[best]) {
				best = i
			}
		}
		c[best]++
		rem[best] = -1
		total++
	}
	for total > n { // only from floating-point excess
		for i := 2; i >= 0 && total > n; i-- {
			if c[i] > 0 {
				c[i]--
				total--
			}
		}
	}
	return c
}

// WriteText prints the report for a person.
func (r *ImportReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "imported %s: %d rows, %d kept, %d dropped\n", r.Source, r.Rows, r.Kept, r.Dropped)
	for _, k := range sortedKeys(r.DroppedBy) {
		fmt.Fprintf(w, "  dropped %d: %s (e.g. line %s)\n", r.DroppedBy[k], k, joinInts(r.DroppedLines[k]))
	}
	fmt.Fprintf(w, "times: %s", r.TimeFormat)
	if r.TimeOrigin != "" {
		fmt.Fprintf(w, ", relative to %s", r.TimeOrigin)
	}
	if r.NumericUnit != "" {
		fmt.Fprintf(w, ", input unit %s", r.NumericUnit)
	}
	fmt.Fprintf(w, ", written in %s\n", r.TimeUnit)
	fmt.Fprintf(w, "types: %d (%s)\n", r.NumTypes, strings.Join(r.TypeNames, ", "))
	if r.ReorderedSeqs > 0 {
		fmt.Fprintf(w, "sorted the events of %d sequences by time\n", r.ReorderedSeqs)
	}
	if r.TiesAfterSort > 0 {
		fmt.Fprintf(w, "%d tied event times (kept)\n", r.TiesAfterSort)
	}
	for _, s := range Splits {
		if n, ok := r.NumSequences[s]; ok {
			fmt.Fprintf(w, "%s: %d sequences, %d events\n", s, n, r.NumEvents[s])
		}
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
