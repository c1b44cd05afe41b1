package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	ogórek "github.com/kisielk/og-rek"
)

// EasyTPP "Gatech" pickles: a dict {"dim_process": K, "train": [...],
// "dev": [...], "test": [...]} (whichever splits are present), each split a
// list of sequences, each sequence a list of event dicts with
// time_since_start, time_since_last_event and type_event.
//
// Safety. Unpickling in Python runs code named by the pickle (GLOBAL +
// REDUCE can call os.system). gotpp never executes anything: before decoding,
// scanPickle walks the whole opcode stream and rejects every opcode that
// names or calls a global, builds an object, or loads a persistent or
// extension reference (GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, BUILD,
// NEWOBJ, NEWOBJ_EX, EXT1/2/4, PERSID, BINPERSID, NEXT_BUFFER,
// READONLY_BUFFER). Only then does github.com/kisielk/og-rek (which itself
// never calls anything) decode the plain dicts, lists, numbers and strings.
// The scan also catches truncated streams and absurd lengths before any
// allocation.
//
// Writing is hand-written (protocol 2, readable by Python 2 and 3) because
// og-rek's encoder emits dict keys in Go's random map order, so the same data
// would give different bytes on every run; the fixed shape written here needs
// only a handful of opcodes.

// pickle opcodes (names as in CPython's pickletools).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opProto          = 0x80
	opNewObj         = 0x81
	opExt1           = 0x82
	opExt2           = 0x83
	opExt4           = 0x84
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opEmptySet       = 0x8f
	opAddItems       = 0x90
	opFrozenSet      = 0x91
	opNewObjEx       = 0x92
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadOnlyBuffer = 0x98
)

// forbiddenOps are opcodes that would make a Python unpickler import or call
// something; gotpp refuses the whole file when it meets one.
var forbiddenOps = map[byte]string{
	opGlobal: "GLOBAL", opStackGlobal: "STACK_GLOBAL", opInst: "INST", opObj: "OBJ",
	opReduce: "REDUCE", opBuild: "BUILD", opNewObj: "NEWOBJ", opNewObjEx: "NEWOBJ_EX",
	opExt1: "EXT1", opExt2: "EXT2", opExt4: "EXT4", opPersID: "PERSID", opBinPersID: "BINPERSID",
	opNextBuffer: "NEXT_BUFFER", opReadOnlyBuffer: "READONLY_BUFFER",
}

// pickleScanError is a pickle that is corrupt, truncated or unsafe.
type pickleScanError struct {
	Offset int
	Msg    string
}

func (e *pickleScanError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg) }

// Argument layouts of the allowed opcodes.
var (
	noArg = map[byte]bool{
		opMark: true, opStop: true, opPop: true, opPopMark: true, opDup: true, opNone: true,
		opAppend: true, opDict: true, opEmptyDict: true, opAppends: true, opList: true,
		opEmptyList: true, opSetItem: true, opTuple: true, opEmptyTuple: true, opSetItems: true,
		opTuple1: true, opTuple2: true, opTuple3: true, opNewTrue: true, opNewFalse: true,
		opEmptySet: true, opAddItems: true, opFrozenSet: true, opMemoize: true,
	}
	// lineArg opcodes are followed by a newline-terminated argument.
	lineArg = map[byte]bool{opFloat: true, opInt: true, opLong: true, opString: true, opUnicode: true, opGet: true, opPut: true}
	// fixedArg opcodes are followed by that many bytes.
	fixedArg = map[byte]int{opBinInt1: 1, opBinInt2: 2, opBinInt: 4, opBinFloat: 8, opProto: 1, opFrame: 8,
		opBinGet: 1, opLongBinGet: 4, opBinPut: 1, opLongBinPut: 4}
	// lenArg opcodes are followed by a little-endian length of that many
	// bytes and then that many bytes of data.
	lenArg = map[byte]int{opShortBinString: 1, opShortBinBytes: 1, opShortBinUni: 1, opLong1: 1,
		opBinString: 4, opBinUnicode: 4, opBinBytes: 4, opLong4: 4, opBinUnicode8: 8, opBinBytes8: 8, opByteArray8: 8}
	// strOps push a text string (tracked to name a STACK_GLOBAL's target).
	strOps = map[byte]bool{opString: true, opUnicode: true, opShortBinString: true, opShortBinUni: true,
		opBinString: true, opBinUnicode: true, opBinUnicode8: true}
)

// scanPickle checks the opcode stream of one pickle: every opcode known, no
// forbidden opcode, every argument inside the data, a STOP at the end and
// nothing but whitespace after it.
func scanPickle(b []byte) error {
	pos := 0
	// The two most recent strings pushed (literals or memo fetches of
	// literals), to name the target of a STACK_GLOBAL in the error.
	var recent [2]string
	memo := map[uint64]string{}
	var memoN uint64
	prevStr, curStr := "", ""
	le := func(n int) uint64 {
		var v uint64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[pos+i])
		}
		pos += n
		return v
	}
	for {
		if pos >= len(b) {
			if pos == 0 {
				return &pickleScanError{0, "empty file"}
			}
			return &pickleScanError{pos, "truncated: no STOP opcode"}
		}
		op, c := pos, b[pos]
		pos++
		prevStr, curStr = curStr, ""
		truncated := func(n int) error {
			return &pickleScanError{op, fmt.Sprintf("truncated: opcode 0x%02x needs %d more bytes, %d left", c, n, len(b)-pos)}
		}
		readLine := func() (string, error) {
			i := bytes.IndexByte(b[pos:], '\n')
			if i < 0 {
				return "", &pickleScanError{op, fmt.Sprintf("truncated: opcode %q has no terminating newline", c)}
			}
			s := string(b[pos : pos+i])
			pos += i + 1
			return s, nil
		}
		if name, bad := forbiddenOps[c]; bad {
			what := ""
			if c == opGlobal || c == opInst {
				mod, err1 := readLine()
				nm, err2 := readLine()
				if err1 == nil && err2 == nil {
					what = mod + "." + nm
				}
			} else if c == opStackGlobal && recent[0] != "" {
				what = recent[0] + "." + recent[1]
			}
			return unsafePickle(op, name, what)
		}
		var arg string  // line argument
		var argN uint64 // fixed-size argument
		var data []byte // length-prefixed data
		switch {
		case noArg[c]:
		case lineArg[c]:
			s, err := readLine()
			if err != nil {
				return err
			}
			arg = s
		case fixedArg[c] > 0:
			n := fixedArg[c]
			if n > len(b)-pos {
				return truncated(n)
			}
			argN = le(n)
		case lenArg[c] > 0:
			n := lenArg[c]
			if n > len(b)-pos {
				return truncated(n)
			}
			l := le(n)
			if n == 4 && (c == opBinString || c == opLong4) && int32(uint32(l)) < 0 {
				return &pickleScanError{op, "negative length"} // signed in CPython
			}
			if l > uint64(len(b)-pos) {
				return truncated(int(min(l, uint64(len(b)+1))))
			}
			data = b[pos : pos+int(l)]
			pos += int(l)
		default:
			return &pickleScanError{op, fmt.Sprintf("unknown opcode 0x%02x (corrupt pickle?)", c)}
		}
		push := func(s string) { recent[0], recent[1] = recent[1], s; curStr = s }
		switch c {
		case opStop:
			if len(bytes.TrimRight(b[pos:], " \t\r\n\x00")) > 0 {
				return &pickleScanError{pos, "data after the STOP opcode (more than one pickle in the file?)"}
			}
			return nil
		case opProto:
			if argN > 5 {
				return &pickleScanError{op, fmt.Sprintf("unsupported pickle protocol %d", argN)}
			}
		case opString, opUnicode:
			push(strings.Trim(arg, `'"`))
		case opGet:
			if v, err := strconv.ParseUint(arg, 10, 64); err == nil {
				push(memo[v])
			}
		case opBinGet, opLongBinGet:
			push(memo[argN])
		case opPut:
			if v, err := strconv.ParseUint(arg, 10, 64); err == nil && prevStr != "" {
				memo[v] = prevStr
			}
		case opBinPut, opLongBinPut:
			if prevStr != "" {
				memo[argN] = prevStr
			}
		case opMemoize:
			if prevStr != "" {
				memo[memoN] = prevStr
			}
			memoN++
		default:
			if strOps[c] {
				push(string(data))
			}
		}
	}
}

func unsafePickle(op int, name, what string) error {
	msg := fmt.Sprintf("refusing unsafe pickle: opcode %s", name)
	if what != "" && what != "." {
		msg += fmt.Sprintf(" references %q", what)
	}
	msg += "; gotpp never executes pickle code and reads only plain dicts, lists, numbers and strings"
	if strings.HasPrefix(what, "numpy") || strings.HasPrefix(what, "_codecs") || name == "REDUCE" {
		msg += " (numpy scalars or arrays in the data? convert them to Python floats/ints, e.g. with .tolist() or float(), before pickling)"
	}
	return &pickleScanError{op, msg}
}

// ReadPickle reads an EasyTPP Gatech pickle and returns its non-empty
// splits (train/dev/test). NumTypes is o.NumTypes when set (and must equal
// dim_process), else dim_process, else max type + 1.
func ReadPickle(r io.Reader, o ReadOptions) (map[string]*Dataset, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, readError(&o, 0, err)
	}
	if err := scanPickle(b); err != nil {
		return nil, &LoadError{File: o.File, Record: -1, Msg: err.Error(), Err: err}
	}
	obj, err := decodePickle(b)
	if err != nil {
		return nil, &LoadError{File: o.File, Record: -1, Msg: "corrupt pickle: " + err.Error(), Err: err}
	}
	top, ok := obj.(map[any]any)
	if !ok {
		return nil, &LoadError{File: o.File, Record: -1, Msg: fmt.Sprintf("top-level object is %s, want a dict with dim_process and train/dev/test", pyType(obj))}
	}
	dim := 0
	if v, ok := top["dim_process"]; ok {
		d, ok := pyInt(v)
		if !ok || d <= 0 {
			return nil, &LoadError{File: o.File, Record: -1, Field: "dim_process", Msg: fmt.Sprintf("want a positive integer, got %s", pyRepr(v))}
		}
		if o.NumTypes > 0 && d != o.NumTypes {
			return nil, &LoadError{File: o.File, Record: -1, Field: "dim_process", Msg: fmt.Sprintf("is %d but meta.json says num_types %d", d, o.NumTypes)}
		}
		dim = d
	}
	k := o.NumTypes
	if k <= 0 {
		k = dim
	}
	info, err := pickleSeqInfo(&o, top)
	if err != nil {
		return nil, err
	}
	out := map[string]*Dataset{}
	maxType := -1
	for _, split := range pickleSplitKeys(top) {
		ds, mt, err := readPickleSplit(&o, split, top[split], k, info[split])
		if err != nil {
			return nil, err
		}
		if ds == nil {
			continue
		}
		maxType = max(maxType, mt)
		out[split] = ds
	}
	if len(out) == 0 {
		return nil, o.noSequences()
	}
	nt := k
	if nt <= 0 {
		nt = inferNumTypes(maxType)
	}
	for _, ds := range out {
		ds.NumTypes = nt
	}
	return out, nil
}

// pickleSplitKeys lists the split keys: train, dev, test when present,
// then every other string key holding a list (EasyTPP's empty "devtest",
// splits with other names), alphabetically. dim_process, args and gotpp's
// info key are never splits.
func pickleSplitKeys(top map[any]any) []string {
	var keys []string
	for _, s := range Splits {
		if _, ok := top[s]; ok {
			keys = append(keys, s)
		}
	}
	var rest []string
	for k, v := range top {
		name, ok := k.(string)
		if !ok || isStdSplit(name) || name == "dim_process" || name == "args" || name == pickleInfoKey {
			continue
		}
		if _, ok := pyList(v); ok {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// decodePickle runs og-rek on a stream scanPickle accepted. A panic inside
// the third-party decoder is turned into an error: the input is untrusted.
func decodePickle(b []byte) (obj any, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return ogórek.NewDecoder(bytes.NewReader(b)).Decode()
}

// seqInfo is gotpp's optional per-sequence extension (id and window) for
// sequences whose values are not the defaults.
type seqInfo struct {
	id         string
	start, end float64
}

const pickleInfoKey = "gotpp_seq_info"

func pickleSeqInfo(o *ReadOptions, top map[any]any) (map[string][]seqInfo, error) {
	v, ok := top[pickleInfoKey]
	if !ok {
		return nil, nil
	}
	bad := func(field, msg string) error {
		return &LoadError{File: o.File, Record: -1, Field: field, Msg: msg}
	}
	m, ok := v.(map[any]any)
	if !ok {
		return nil, bad(pickleInfoKey, "want a dict of split -> list")
	}
	out := map[string][]seqInfo{}
	for split, lv := range m {
		name, ok := split.(string)
		if !ok {
			return nil, bad(pickleInfoKey, "split names must be strings")
		}
		l, ok := pyList(lv)
		if !ok {
			return nil, bad(pickleInfoKey+"."+name, "want a list")
		}
		infos := make([]seqInfo, len(l))
		for i, e := range l {
			f := fmt.Sprintf("%s.%s[%d]", pickleInfoKey, name, i)
			d, ok := e.(map[any]any)
			if !ok {
				return nil, bad(f, "want a dict with id, start, end")
			}
			id, ok1 := d["id"].(string)
			st, ok2 := pyFloat(d["start"])
			en, ok3 := pyFloat(d["end"])
			if !ok1 || !ok2 || !ok3 {
				return nil, bad(f, "want id (str), start and end (numbers)")
			}
			infos[i] = seqInfo{id, st, en}
		}
		out[name] = infos
	}
	return out, nil
}

func readPickleSplit(o *ReadOptions, split string, v any, k int, info []seqInfo) (*Dataset, int, error) {
	seqs, ok := pyList(v)
	if !ok {
		return nil, 0, &LoadError{File: o.File, Record: -1, Field: split, Msg: fmt.Sprintf("is %s, want a list of sequences", pyType(v))}
	}
	if len(seqs) == 0 {
		return nil, 0, nil
	}
	if info != nil && len(info) != len(seqs) {
		return nil, 0, &LoadError{File: o.File, Record: -1, Field: pickleInfoKey + "." + split, Msg: fmt.Sprintf("has %d entries for %d sequences", len(info), len(seqs))}
	}
	ds := &Dataset{Name: o.Name, Seqs: make([]Sequence, 0, len(seqs))}
	maxType := -1
	for i, sv := range seqs {
		evs, ok := pyList(sv)
		if !ok {
			if err := o.problem(&LoadError{File: o.File, Record: i, Field: fmt.Sprintf("%s[%d]", split, i), Msg: fmt.Sprintf("is %s, want a list of event dicts", pyType(sv))}); err != nil {
				return nil, 0, err
			}
			continue
		}
		s := Sequence{ID: defaultID(i), Times: make([]float64, len(evs)), Types: make([]int, len(evs))}
		var perr *LoadError
		for j, ev := range evs {
			f := func(name string) string { return fmt.Sprintf("%s[%d][%d].%s", split, i, j, name) }
			d, ok := ev.(map[any]any)
			if !ok {
				perr = &LoadError{File: o.File, Record: i, Field: fmt.Sprintf("%s[%d][%d]", split, i, j), Msg: fmt.Sprintf("is %s, want an event dict", pyType(ev))}
				break
			}
			tv, ok := d["time_since_start"]
			if !ok {
				perr = &LoadError{File: o.File, Record: i, Field: f("time_since_start"), Msg: "missing"}
				break
			}
			t, ok := pyFloat(tv)
			if !ok {
				perr = &LoadError{File: o.File, Record: i, Field: f("time_since_start"), Msg: fmt.Sprintf("want a number, got %s", pyRepr(tv))}
				break
			}
			kv, ok := d["type_event"]
			if !ok {
				perr = &LoadError{File: o.File, Record: i, Field: f("type_event"), Msg: "missing"}
				break
			}
			ty, ok := pyInt(kv)
			if !ok {
				perr = &LoadError{File: o.File, Record: i, Field: f("type_event"), Msg: fmt.Sprintf("want an integer, got %s", pyRepr(kv))}
				break
			}
			s.Times[j], s.Types[j] = t, ty
		}
		if perr != nil {
			if err := o.problem(perr); err != nil {
				return nil, 0, err
			}
			continue
		}
		if info != nil {
			s.ID, s.Start, s.End = info[i].id, info[i].start, info[i].end
		} else {
			s.applyWindow(nil, nil)
		}
		if err := validateSeq(&s, k); err != nil {
			field := func(name string, j int) string {
				switch name {
				case "times":
					name = "time_since_start"
				case "types":
					name = "type_event"
				default:
					return fmt.Sprintf("%s.%s[%d].%s", pickleInfoKey, split, i, name)
				}
				if j < 0 {
					return fmt.Sprintf("%s[%d]", split, i)
				}
				return fmt.Sprintf("%s[%d][%d].%s", split, i, j, name)
			}
			if err := o.problem(seqProblem(o, err, i, field, func(int) int { return 0 })); err != nil {
				return nil, 0, err
			}
			continue
		}
		for _, t := range s.Types {
			maxType = max(maxType, t)
		}
		ds.Seqs = append(ds.Seqs, s)
	}
	if len(ds.Seqs) == 0 {
		return nil, 0, nil
	}
	return ds, maxType, nil
}

func pyList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case ogórek.Tuple:
		return l, true
	}
	return nil, false
}

func pyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, !math.IsInf(f, 0)
	}
	return 0, false
}

func pyInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return 0, false
		}
		return int(x), true
	case *big.Int:
		if !x.IsInt64() {
			return 0, false
		}
		return pyInt(x.Int64())
	}
	return 0, false
}

func pyType(v any) string {
	switch v.(type) {
	case nil, ogórek.None:
		return "None"
	case bool:
		return "a bool"
	case int64, *big.Int:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a str"
	case ogórek.Bytes, ogórek.ByteString, []byte:
		return "bytes"
	case []any:
		return "a list"
	case ogórek.Tuple:
		return "a tuple"
	case map[any]any:
		return "a dict"
	}
	return fmt.Sprintf("%T", v)
}

func pyRepr(v any) string {
	switch x := v.(type) {
	case int64, float64, bool:
		return fmt.Sprintf("%s %v", pyType(v), x)
	case *big.Int:
		return "an int " + x.String()
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return fmt.Sprintf("a str %q", x)
	}
	return pyType(v)
}

// pickleWriter emits a protocol-2 pickle.
type pickleWriter struct {
	w    *bufio.Writer
	buf  [9]byte
	memo map[string]byte
}

func (p *pickleWriter) op(c byte) { p.w.WriteByte(c) }

// str writes a string; keys (memo=true) are memoised so that the event
// dicts refer back to one copy, as Python's pickler does.
func (p *pickleWriter) str(s string, memo bool) {
	if i, ok := p.memo[s]; ok && memo {
		p.w.WriteByte(opBinGet)
		p.w.WriteByte(i)
		return
	}
	p.w.WriteByte(opBinUnicode)
	binary.LittleEndian.PutUint32(p.buf[:4], uint32(len(s)))
	p.w.Write(p.buf[:4])
	p.w.WriteString(s)
	if memo && len(p.memo) < 256 {
		i := byte(len(p.memo))
		p.memo[s] = i
		p.w.WriteByte(opBinPut)
		p.w.WriteByte(i)
	}
}

func (p *pickleWriter) float(f float64) {
	p.buf[0] = opBinFloat
	binary.BigEndian.PutUint64(p.buf[1:], math.Float64bits(f))
	p.w.Write(p.buf[:9])
}

func (p *pickleWriter) int(v int) {
	switch {
	case v >= 0 && v < 1<<8:
		p.w.WriteByte(opBinInt1)
		p.w.WriteByte(byte(v))
	case v >= 0 && v < 1<<16:
		p.w.WriteByte(opBinInt2)
		binary.LittleEndian.PutUint16(p.buf[:2], uint16(v))
		p.w.Write(p.buf[:2])
	case v >= math.MinInt32 && v <= math.MaxInt32:
		p.w.WriteByte(opBinInt)
		binary.LittleEndian.PutUint32(p.buf[:4], uint32(int32(v)))
		p.w.Write(p.buf[:4])
	default:
		// LONG1: little-endian two's complement, 8 bytes is always enough.
		p.w.WriteByte(opLong1)
		p.w.WriteByte(8)
		binary.LittleEndian.PutUint64(p.buf[:8], uint64(v))
		p.w.Write(p.buf[:8])
	}
}

// WritePickle writes the given splits as one EasyTPP Gatech pickle:
// {"dim_process": K, "<split>": [[{"time_since_start": t,
// "time_since_last_event": dt, "type_event": k}, ...], ...], ...} with
// dt = 0 for the first event. K is the largest NumTypes of the splits. When
// a split has a sequence whose ID or window is not the default, a
// "gotpp_seq_info" dict (ignored by EasyTPP) stores id/start/end for every
// sequence of that split, so the file round-trips exactly.
func WritePickle(w io.Writer, splits map[string]*Dataset) error {
	if len(splits) == 0 {
		return fmt.Errorf("no splits to write")
	}
	names := make([]string, 0, len(splits))
	dim := 0
	for name, ds := range splits {
		if err := checkWritable(ds); err != nil {
			return fmt.Errorf("split %s: %w", name, err)
		}
		names = append(names, name)
		dim = max(dim, ds.NumTypes, inferNumTypes(maxTypeOf(ds)))
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := slices.Index(Splits, names[i]), slices.Index(Splits, names[j])
		if a < 0 {
			a = len(Splits)
		}
		if b < 0 {
			b = len(Splits)
		}
		if a != b {
			return a < b
		}
		return names[i] < names[j]
	})
	p := &pickleWriter{w: bufio.NewWriterSize(w, 1<<20), memo: map[string]byte{}}
	p.op(opProto)
	p.op(2)
	p.op(opEmptyDict)
	p.op(opMark)
	p.str("dim_process", true)
	p.int(dim)
	var withInfo []string
	for _, name := range names {
		ds := splits[name]
		p.str(name, true)
		p.op(opEmptyList)
		p.op(opMark)
		for i := range ds.Seqs {
			s := &ds.Seqs[i]
			if s.ID != defaultID(i) || !s.HasDefaultWindow() {
				if len(withInfo) == 0 || withInfo[len(withInfo)-1] != name {
					withInfo = append(withInfo, name)
				}
			}
			p.op(opEmptyList)
			if len(s.Times) > 0 {
				p.op(opMark)
				for j, t := range s.Times {
					p.op(opEmptyDict)
					p.op(opMark)
					p.str("time_since_start", true)
					p.float(t)
					p.str("time_since_last_event", true)
					if j == 0 {
						p.float(0)
					} else {
						p.float(t - s.Times[j-1])
					}
					p.str("type_event", true)
					p.int(s.Types[j])
					p.op(opSetItems)
				}
				p.op(opAppends)
			}
		}
		p.op(opAppends)
	}
	if len(withInfo) > 0 {
		p.str(pickleInfoKey, true)
		p.op(opEmptyDict)
		p.op(opMark)
		for _, name := range withInfo {
			p.str(name, true)
			p.op(opEmptyList)
			p.op(opMark)
			for i := range splits[name].Seqs {
				s := &splits[name].Seqs[i]
				p.op(opEmptyDict)
				p.op(opMark)
				p.str("id", true)
				p.str(s.ID, false)
				p.str("start", true)
				p.float(s.Start)
				p.str("end", true)
				p.float(s.End)
				p.op(opSetItems)
			}
			p.op(opAppends)
		}
		p.op(opSetItems)
	}
	p.op(opSetItems)
	p.op(opStop)
	return p.w.Flush()
}
