package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gotpp/gotpp/internal/atomicfile"
)

// Format is a file format.
type Format string

// The supported formats. Any of them may be gzip-compressed (a ".gz" suffix
// when writing; detected from the content when reading).
const (
	JSONL  Format = "jsonl" // one sequence per line
	CSV    Format = "csv"   // one event per row
	HFJSON Format = "json"  // EasyTPP Hugging Face JSON
	Pickle Format = "pkl"   // EasyTPP Gatech pickle
)

// Formats lists the formats in their preferred order.
var Formats = []Format{JSONL, CSV, HFJSON, Pickle}

// FormatFromPath returns the format named by a path's extension (after
// removing a ".gz") and whether the path asks for gzip. ok is false for an
// unknown extension. ".json" is reported as HFJSON; readers still look at the
// content, since JSON Lines files are sometimes named .json.
func FormatFromPath(path string) (f Format, gz, ok bool) {
	p := strings.ToLower(path)
	if strings.HasSuffix(p, ".gz") {
		gz = true
		p = strings.TrimSuffix(p, ".gz")
	}
	switch filepath.Ext(p) {
	case ".jsonl", ".ndjson":
		return JSONL, gz, true
	case ".csv":
		return CSV, gz, true
	case ".json":
		return HFJSON, gz, true
	case ".pkl", ".pickle":
		return Pickle, gz, true
	}
	return "", gz, false
}

// ParseFormat parses a format name as given on a command line ("jsonl",
// "jsonl.gz", "csv", "json", "pkl", ...).
func ParseFormat(s string) (f Format, gz bool, err error) {
	f, gz, ok := FormatFromPath("x." + strings.TrimPrefix(s, "."))
	if !ok {
		return "", false, fmt.Errorf("unknown format %q (want jsonl, csv, json or pkl, optionally with .gz)", s)
	}
	return f, gz, nil
}

// Ext is the file extension of a format, with the dot.
func (f Format) Ext(gz bool) string {
	if gz {
		return "." + string(f) + ".gz"
	}
	return "." + string(f)
}

// sniff guesses the format from the first bytes of (decompressed) content.
func sniff(head []byte) (Format, bool) {
	if len(head) == 0 {
		return "", false
	}
	switch head[0] {
	case opProto, '(', '}', ']':
		return Pickle, true
	}
	h := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(h) == 0 {
		return "", false
	}
	first := h
	if i := bytes.IndexByte(h, '\n'); i >= 0 {
		first = h[:i]
	}
	switch h[0] {
	case '[':
		return HFJSON, true
	case '{':
		if bytes.Contains(first, []byte(`"time_since_start"`)) || bytes.Contains(first, []byte(`"type_event"`)) {
			return HFJSON, true
		}
		return JSONL, true
	}
	if bytes.Contains(first, []byte("sequence_id")) {
		return CSV, true
	}
	return "", false
}

// openData opens path, undoing gzip when the content is gzip, and decides
// the format: from the extension when it is unambiguous, else (".json",
// unknown or no extension) from the content.
func openData(path string) (io.Reader, Format, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, "", nil, &LoadError{File: path, Record: -1, Msg: "corrupt gzip header: " + err.Error(), Err: err}
		}
		br = bufio.NewReaderSize(zr, 1<<20)
		r = br
	}
	format, _, ok := FormatFromPath(path)
	if !ok || format == HFJSON {
		head, err := br.Peek(64 << 10)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull && len(head) == 0 {
			f.Close()
			return nil, "", nil, readError(&ReadOptions{File: path}, 1, err)
		}
		g, sok := sniff(head)
		switch {
		case sok && (!ok || g == JSONL || g == HFJSON):
			format = g
		case !ok && len(bytes.TrimSpace(head)) == 0:
			f.Close()
			return nil, "", nil, &LoadError{File: path, Record: -1, Msg: "no sequences"}
		case !ok:
			f.Close()
			return nil, "", nil, &LoadError{File: path, Record: -1, Msg: "cannot tell the format from the extension or the content (want .jsonl, .csv, .json or .pkl, optionally .gz)"}
		}
	}
	return r, format, f.Close, nil
}

// ReadFile reads one data file whose format is detected from its extension
// or content, with the given options (o.File defaults to path). A pickle may
// hold several splits; any other file gives one split named after the file
// stem (the name without directory and extensions, e.g. "train").
func ReadFile(path string, o ReadOptions) (map[string]*Dataset, error) {
	if o.File == "" {
		o.File = path
	}
	if o.Name == "" {
		o.Name = Stem(path)
	}
	r, format, closeFn, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if format == Pickle {
		return ReadPickle(r, o)
	}
	var ds *Dataset
	switch format {
	case JSONL:
		ds, err = ReadJSONL(r, o)
	case CSV:
		ds, err = ReadCSV(r, o)
	case HFJSON:
		ds, err = ReadHFJSON(r, o)
	}
	if err != nil {
		return nil, err
	}
	return map[string]*Dataset{Stem(path): ds}, nil
}

// Stem is a file's base name without its format extensions ("train" for
// "dir/train.jsonl.gz").
func Stem(path string) string {
	b := filepath.Base(path)
	if strings.HasSuffix(strings.ToLower(b), ".gz") {
		b = b[:len(b)-3]
	}
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// LoadFile reads one data file (see ReadFile). When the file's directory
// holds a meta.json, its num_types and type_names apply (a type outside
// num_types, or a pickle's dim_process that disagrees, is an error).
func LoadFile(path string) (map[string]*Dataset, error) {
	meta, err := ReadMeta(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	o := ReadOptions{}
	if meta != nil {
		o.NumTypes = meta.NumTypes
	}
	out, err := ReadFile(path, o)
	if err != nil {
		return nil, err
	}
	for _, ds := range out {
		meta.apply(ds)
	}
	return out, nil
}

// SplitFile finds the file holding split in dir: split.jsonl, .jsonl.gz,
// .csv, .csv.gz, .json, .json.gz, .pkl or .pkl.gz. It is an error when more
// than one exists (which one is meant would be a guess). ok is false when
// there is none.
func SplitFile(dir, split string) (path string, ok bool, err error) {
	var found []string
	for _, f := range Formats {
		for _, gz := range []bool{false, true} {
			p := filepath.Join(dir, split+f.Ext(gz))
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				found = append(found, p)
			}
		}
	}
	switch len(found) {
	case 0:
		return "", false, nil
	case 1:
		return found[0], true, nil
	}
	return "", false, fmt.Errorf("%s: several files for split %q: %s", dir, split, strings.Join(found, ", "))
}

// LoadSplit loads one split. dirOrFile is a data-set directory (the split's
// file is found with SplitFile) or a file: a file holding a single split
// gives it whatever split is asked for ("" included); a pickle with several
// splits gives the one named.
func LoadSplit(dirOrFile, split string) (*Dataset, error) {
	st, err := os.Stat(dirOrFile)
	if err != nil {
		return nil, err
	}
	path := dirOrFile
	if st.IsDir() {
		if split == "" {
			return nil, fmt.Errorf("%s is a directory: name a split (%s)", dirOrFile, strings.Join(Splits, ", "))
		}
		p, ok, err := SplitFile(dirOrFile, split)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: no file for split %q (looked for %s.jsonl, .csv, .json, .pkl, each optionally .gz)", dirOrFile, split, split)
		}
		path = p
	}
	all, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	if ds, ok := all[split]; ok {
		return ds, nil
	}
	if len(all) == 1 && (!st.IsDir() || split == "" || Stem(path) == split) {
		for _, ds := range all {
			return ds, nil
		}
	}
	return nil, fmt.Errorf("%s: no split %q (has %s)", path, split, strings.Join(SortedSplits(all), ", "))
}

// LoadDir loads every split (train, dev, test) present in dir. With a
// meta.json, its num_types and type_names apply to all splits; without one,
// every split gets the largest NumTypes found, so that they share one mark
// space.
func LoadDir(dir string) (map[string]*Dataset, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	o := ReadOptions{}
	if meta != nil {
		o.NumTypes = meta.NumTypes
	}
	out := map[string]*Dataset{}
	for _, split := range Splits {
		p, ok, err := SplitFile(dir, split)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		all, err := ReadFile(p, o)
		if err != nil {
			return nil, err
		}
		ds, ok := all[split]
		if !ok && len(all) == 1 {
			for _, d := range all {
				ds = d
			}
		}
		if ds == nil {
			return nil, fmt.Errorf("%s: no split %q (has %s)", p, split, strings.Join(SortedSplits(all), ", "))
		}
		out[split] = ds
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no split files (looked for %s with extension .jsonl, .csv, .json or .pkl, each optionally .gz)", dir, strings.Join(Splits, "/"))
	}
	k := 0
	for _, ds := range out {
		k = max(k, ds.NumTypes)
	}
	name := filepath.Base(filepath.Clean(dir))
	for _, ds := range out {
		ds.NumTypes = k
		ds.Name = name
		meta.apply(ds)
	}
	return out, nil
}

// Load loads a directory (every split) or a file (its splits).
func Load(path string) (map[string]*Dataset, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return LoadDir(path)
	}
	return LoadFile(path)
}

// SortedSplits lists the split names of m: train, dev, test first, then the
// rest alphabetically.
func SortedSplits[T any](m map[string]T) []string {
	var out []string
	for _, s := range Splits {
		if _, ok := m[s]; ok {
			out = append(out, s)
		}
	}
	var rest []string
	for s := range m {
		if !isStdSplit(s) {
			rest = append(rest, s)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func isStdSplit(s string) bool {
	for _, x := range Splits {
		if s == x {
			return true
		}
	}
	return false
}

// Write encodes splits in format f (gzip-compressed when gz). Every format
// but Pickle holds exactly one split.
func Write(w io.Writer, f Format, gz bool, splits map[string]*Dataset) (err error) {
	if f != Pickle && len(splits) != 1 {
		return fmt.Errorf("format %s holds one split, got %d (%s)", f, len(splits), strings.Join(SortedSplits(splits), ", "))
	}
	if gz {
		zw := gzip.NewWriter(w)
		defer func() {
			if cerr := zw.Close(); err == nil {
				err = cerr
			}
		}()
		w = zw
	}
	if f == Pickle {
		return WritePickle(w, splits)
	}
	var ds *Dataset
	for _, d := range splits {
		ds = d
	}
	switch f {
	case JSONL:
		return WriteJSONL(w, ds)
	case CSV:
		return WriteCSV(w, ds)
	case HFJSON:
		return WriteHFJSON(w, ds)
	}
	return fmt.Errorf("unknown format %q", f)
}

// WriteFile writes splits to path atomically, in the format given by the
// path's extension (".gz" compresses).
func WriteFile(path string, splits map[string]*Dataset) error {
	f, gz, ok := FormatFromPath(path)
	if !ok {
		return fmt.Errorf("%s: unknown extension (want .jsonl, .csv, .json or .pkl, optionally .gz)", path)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, f, gz, splits) })
}

// WriteSplit writes one split to path (see WriteFile).
func WriteSplit(path, split string, ds *Dataset) error {
	return WriteFile(path, map[string]*Dataset{split: ds})
}

// WriteDir writes each split to dir/<split><ext> and a meta.json. meta may
// be nil; its num_types and type_names are set from the data (the largest
// NumTypes of the splits) and its other fields are kept.
func WriteDir(dir string, f Format, gz bool, splits map[string]*Dataset, meta *Meta) error {
	if len(splits) == 0 {
		return errors.New("no splits to write")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m := &Meta{Extra: map[string]json.RawMessage{}}
	if meta != nil {
		*m = *meta
		m.Extra = make(map[string]json.RawMessage, len(meta.Extra))
		for k, v := range meta.Extra {
			m.Extra[k] = v
		}
	}
	k := m.NumTypes
	for _, ds := range splits {
		k = max(k, ds.NumTypes, inferNumTypes(maxTypeOf(ds)))
		if len(m.TypeNames) == 0 && len(ds.TypeNames) > 0 {
			m.TypeNames = ds.TypeNames
		}
		if m.Name == "" {
			m.Name = ds.Name
		}
	}
	m.NumTypes = k
	if len(m.TypeNames) > 0 && len(m.TypeNames) != k {
		return fmt.Errorf("%d type names for %d types", len(m.TypeNames), k)
	}
	for _, split := range SortedSplits(splits) {
		p := filepath.Join(dir, split+f.Ext(gz))
		if old, ok, _ := SplitFile(dir, split); ok && old != p {
			return fmt.Errorf("%s already holds %s; writing %s would leave two files for split %q", dir, filepath.Base(old), filepath.Base(p), split)
		}
		if err := WriteFile(p, map[string]*Dataset{split: splits[split]}); err != nil {
			return err
		}
	}
	return WriteMeta(dir, m)
}

// FormatNote describes a written format in meta.json's "format" field.
func FormatNote(f Format, gz bool) string {
	var s string
	switch f {
	case JSONL:
		s = `JSON Lines, one sequence per line: {"times": [float64, non-decreasing], "types": [int in [0,num_types)], "start"/"end": observation window (optional; default start 0, end at the last event), "id" (optional)}`
	case CSV:
		s = "CSV, one event per row: sequence_id,time,type (rows of a sequence contiguous), optional start,end columns for the observation window"
	case HFJSON:
		s = "EasyTPP Hugging Face JSON: an array of {dim_process, seq_len, seq_idx, time_since_start, time_since_last_event, type_event} records (optional start/end/id keys)"
	case Pickle:
		s = "EasyTPP Gatech pickle: {dim_process, <split>: [[{time_since_start, time_since_last_event, type_event}, ...], ...]} (optional gotpp_seq_info with ids/windows)"
	}
	if gz {
		s += ", gzip-compressed"
	}
	return s
}

// Convert converts a data file to another file (formats from the
// extensions; a single split written to train.pkl, dev.pkl or test.pkl is
// stored under that key, as EasyTPP expects, else under its own name), or a data-set directory to another directory holding every
// split in format f (gz: compressed) plus a meta.json that keeps the input's
// meta.json fields, with "format" rewritten and the stale "files" listing
// dropped. Converting a directory onto itself is refused.
func Convert(in, out string, f Format, gz bool) error {
	st, err := os.Stat(in)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		splits, err := LoadFile(in)
		if err != nil {
			return err
		}
		of, _, ok := FormatFromPath(out)
		if !ok {
			return fmt.Errorf("%s: unknown extension (want .jsonl, .csv, .json or .pkl, optionally .gz)", out)
		}
		if of != Pickle && len(splits) > 1 {
			return fmt.Errorf("%s holds %d splits (%s); convert it to a directory or a .pkl", in, len(splits), strings.Join(SortedSplits(splits), ", "))
		}
		if of == Pickle && len(splits) == 1 && isStdSplit(Stem(out)) {
			// EasyTPP reads key "train" from train.pkl, and so on.
			for _, ds := range splits {
				splits = map[string]*Dataset{Stem(out): ds}
			}
		}
		return WriteFile(out, splits)
	}
	ai, err1 := filepath.Abs(in)
	ao, err2 := filepath.Abs(out)
	if err1 == nil && err2 == nil && filepath.Clean(ai) == filepath.Clean(ao) {
		return fmt.Errorf("output directory %s is the input directory", out)
	}
	splits, err := LoadDir(in)
	if err != nil {
		return err
	}
	meta, err := ReadMeta(in)
	if err != nil {
		return err
	}
	if meta == nil {
		meta = &Meta{}
	}
	delete(meta.Extra, "files")
	if err := meta.SetExtra("format", FormatNote(f, gz)); err != nil {
		return err
	}
	return WriteDir(out, f, gz, splits, meta)
}
