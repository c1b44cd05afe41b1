package data

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ogórek "github.com/kisielk/og-rek"
)

// badCase is a file whose loading must fail with an error naming the file,
// the line (when > 0) and the field (when non-empty).
type badCase struct {
	name, file, content string
	line                int
	field               string
	frags               []string
}

func runBad(t *testing.T, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, c.file, c.content)
			_, err := LoadFile(p)
			wantLoadError(t, err, p, c.line, c.field, c.frags...)
		})
	}
}

func TestJSONLValidationErrors(t *testing.T) {
	ok := `{"times":[1,2],"types":[0,1]}` + "\n"
	runBad(t, []badCase{
		{"decreasing", "a.jsonl", ok + `{"times":[1,0.5],"types":[0,0]}`, 2, "times[1]", []string{"decreasing", "record 1"}},
		{"nan", "a.jsonl", ok + ok + `{"times":[NaN],"types":[0]}`, 3, "", []string{"malformed JSON", "NaN"}},
		{"negative type", "a.jsonl", `{"times":[1,2],"types":[0,-1]}`, 1, "types[1]", []string{"outside"}},
		{"length mismatch", "a.jsonl", ok + `{"times":[1,2],"types":[0]}`, 2, "types", []string{"length 1 differs from times length 2"}},
		{"outside window", "a.jsonl", `{"times":[1,5],"types":[0,0],"end":3}`, 1, "times[1]", []string{"outside window"}},
		{"before start", "a.jsonl", `{"times":[1],"types":[0],"start":2,"end":3}`, 1, "times[0]", []string{"outside window"}},
		{"negative time no window", "a.jsonl", `{"times":[-1],"types":[0]}`, 1, "times[0]", []string{"outside window"}},
		{"end before start", "a.jsonl", `{"times":[],"types":[],"start":2,"end":1}`, 1, "end", []string{"before start"}},
		{"malformed", "a.jsonl", ok + "\n" + `{"times":[1,`, 3, "", []string{"malformed JSON"}},
		{"wrong type", "a.jsonl", `{"times":["1"],"types":[0]}`, 1, "times", []string{"wrong type"}},
		{"float type", "a.jsonl", `{"times":[1],"types":[1.5]}`, 1, "types", []string{"wrong type"}},
		{"missing times", "a.jsonl", ok + `{"types":[0]}`, 2, "times", []string{"missing"}},
		{"not an object", "a.jsonl", `[1,2]`, 1, "", []string{"want an object"}},
		{"bad id", "a.jsonl", `{"times":[1],"types":[0],"id":[1]}`, 1, "id", nil},
		{"empty", "a.jsonl", "\n\n", 0, "", []string{"no sequences"}},
		{"empty unknown ext", "a.dat", "", 0, "", []string{"no sequences"}},
	})
}

func TestTruncatedGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := 0; i < 2000; i++ {
		zw.Write([]byte(`{"times":[1,2,3],"types":[0,1,0]}` + "\n"))
	}
	zw.Close()
	b := buf.Bytes()
	for _, cut := range []int{len(b) - 4, len(b) / 2, 12} {
		p := writeTemp(t, "train.jsonl.gz", string(b[:cut]))
		_, err := LoadFile(p)
		wantLoadError(t, err, p, 0, "", "truncated")
	}
	// A flipped byte in the middle: either a checksum/format error, never a panic.
	c := append([]byte(nil), b...)
	c[len(c)/2] ^= 0xff
	p := writeTemp(t, "train.jsonl.gz", string(c))
	if _, err := LoadFile(p); err == nil {
		t.Error("corrupt gzip loaded without error")
	}
}

func TestCSVValidationErrors(t *testing.T) {
	h := "sequence_id,time,type\n"
	runBad(t, []badCase{
		{"decreasing", "a.csv", h + "a,1,0\na,2,0\na,1.5,1\n", 4, "time", []string{"decreasing"}},
		{"nan", "a.csv", h + "a,1,0\na,NaN,0\n", 3, "time", []string{"not finite"}},
		{"inf", "a.csv", h + "a,+Inf,0\n", 2, "time", []string{"not finite"}},
		{"not a number", "a.csv", h + "a,1,0\nb,x1,0\n", 3, "time", []string{"not a number"}},
		{"negative type", "a.csv", h + "a,1,0\na,2,-3\n", 3, "type", []string{"outside"}},
		{"bad type", "a.csv", h + "a,1,zero\n", 2, "type", []string{"not an integer"}},
		{"regrouped", "a.csv", h + "a,1,0\nb,1,0\na,2,0\n", 4, "sequence_id", []string{"reappears", "line 2"}},
		{"empty id", "a.csv", h + ",1,0\n", 2, "sequence_id", nil},
		{"field count", "a.csv", h + "a,1,0\na,2\n", 3, "", []string{"number of fields"}},
		{"no header columns", "a.csv", "id,t,k\na,1,0\n", 1, "header", []string{"sequence_id", "time", "type"}},
		{"window differs", "a.csv", "sequence_id,time,type,start,end\na,1,0,0,5\na,2,0,0,6\n", 3, "end", []string{"same on every row"}},
		{"outside window", "a.csv", "sequence_id,time,type,start,end\na,1,0,0,5\na,6,0,0,5\n", 3, "time", []string{"outside window"}},
		{"marker with events", "a.csv", h + "a,1,0\na,,\n", 3, "time", []string{"no-events marker"}},
		{"header only", "a.csv", h, 0, "", []string{"no sequences"}},
		{"bare quote", "a.csv", h + "a,1,0\na\"b,2,0\n", 3, "", []string{"quote"}},
	})
}

func TestHFJSONValidationErrors(t *testing.T) {
	rec := `{"dim_process":3,"seq_len":2,"seq_idx":0,"time_since_start":[0,1],"time_since_last_event":[0,1],"type_event":[0,2]}`
	runBad(t, []badCase{
		{"seq_len", "train.json", "[\n" + rec + ",\n" + strings.Replace(rec, `"seq_len":2`, `"seq_len":3`, 1) + "\n]", 3, "seq_len", []string{"is 3 but time_since_start has 2"}},
		{"lengths", "train.json", rec + "\n" + strings.Replace(rec, `"type_event":[0,2]`, `"type_event":[0]`, 1), 2, "type_event", []string{"length"}},
		{"dt length", "train.json", strings.Replace(rec, `"time_since_last_event":[0,1]`, `"time_since_last_event":[0]`, 1), 1, "time_since_last_event", nil},
		{"decreasing", "train.json", "[" + strings.Replace(rec, `[0,1]`, `[1,0.5]`, 1) + "]", 1, "time_since_start[1]", []string{"decreasing"}},
		{"type range", "train.json", strings.Replace(rec, `[0,2]`, `[0,3]`, 1), 1, "type_event[1]", []string{"outside [0, 3)"}},
		{"dim mismatch", "train.json", rec + "\n" + strings.Replace(rec, `"dim_process":3`, `"dim_process":4`, 1), 2, "dim_process", []string{"line 1 said 3"}},
		{"missing", "train.json", `{"type_event":[0]}`, 1, "time_since_start", []string{"missing"}},
		{"wrong type", "train.json", strings.Replace(rec, `"seq_len":2`, `"seq_len":"2"`, 1), 1, "seq_len", []string{"wrong type"}},
		{"malformed array", "train.json", "[\n" + rec + ",\n{\"x\":\n", 3, "", []string{"malformed JSON"}},
		{"empty array", "train.json", "[]", 0, "", []string{"no sequences"}},
		{"trailing", "train.json", "[" + rec + "] x", 1, "", []string{"after the closing"}},
	})
}

// pickleBytes encodes v with og-rek's encoder: an independent writer for
// building malformed Gatech pickles.
func pickleBytes(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ogórek.NewEncoderWithConfig(&buf, &ogórek.EncoderConfig{Protocol: 2}).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ev(t float64, k any) map[string]any {
	return map[string]any{"time_since_start": t, "time_since_last_event": 0.0, "type_event": k}
}

func TestPickleValidationErrors(t *testing.T) {
	mk := func(train ...[]any) string {
		return string(pickleBytes(t, map[string]any{"dim_process": 3, "train": train}))
	}
	good := []any{ev(0, 0), ev(1, 1)}
	runBad(t, []badCase{
		{"decreasing", "train.pkl", mk(good, []any{ev(2, 0), ev(1, 1)}), 0, "train[1][1].time_since_start", []string{"decreasing", "record 1"}},
		{"nan", "train.pkl", mk([]any{ev(math.NaN(), 0)}), 0, "train[0][0].time_since_start", []string{"not finite"}},
		{"type range", "train.pkl", mk(good, good, []any{ev(0, 5)}), 0, "train[2][0].type_event", []string{"outside [0, 3)"}},
		{"negative type", "train.pkl", mk([]any{ev(0, -1)}), 0, "train[0][0].type_event", []string{"outside"}},
		{"string time", "train.pkl", mk([]any{map[string]any{"time_since_start": "1", "type_event": 0}}), 0, "train[0][0].time_since_start", []string{"want a number"}},
		{"float type", "train.pkl", mk([]any{ev(0, 1.0)}), 0, "train[0][0].type_event", []string{"want an integer"}},
		{"missing type", "train.pkl", mk([]any{map[string]any{"time_since_start": 1.0}}), 0, "train[0][0].type_event", []string{"missing"}},
		{"event not dict", "train.pkl", mk([]any{1.0}), 0, "train[0][0]", []string{"want an event dict"}},
		{"split not list", "train.pkl", string(pickleBytes(t, map[string]any{"dim_process": 3, "train": 7})), 0, "train", []string{"want a list"}},
		{"dim", "train.pkl", string(pickleBytes(t, map[string]any{"dim_process": "3", "train": []any{good}})), 0, "dim_process", nil},
		{"top not dict", "train.pkl", string(pickleBytes(t, []any{1})), 0, "", []string{"want a dict"}},
		{"all empty", "train.pkl", string(pickleBytes(t, map[string]any{"dim_process": 3, "train": []any{}, "dev": []any{}})), 0, "", []string{"no sequences"}},
	})
}

// Hand-assembled hostile pickles: each would run code (or import a module)
// under Python's pickle.load. All must be refused before decoding.
func TestHostilePicklesRefused(t *testing.T) {
	cases := map[string]string{
		// protocol 0: os.system("echo pwned") via GLOBAL + REDUCE
		"global-reduce-p0": "cos\nsystem\n(S'echo pwned'\ntR.",
		// protocol 2, the same through posix.system with a BINPUT
		"global-reduce-p2": "\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwned\x85q\x01Rq\x02.",
		// protocol 4: STACK_GLOBAL from two strings
		"stack-global-p4": "\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.",
		// INST: instantiate os.system('ls')
		"inst": "(S'ls'\nios\nsystem\n.",
		// OBJ after a GLOBAL class
		"obj": "(cos\nsystem\nS'ls'\no.",
		// _codecs.encode, which og-rek would otherwise turn into bytes silently
		"codecs": "\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x06\x00\x00\x00latin1\x86R.",
		// BUILD / NEWOBJ / EXT / persistent id on their own
		"build":   "\x80\x02}}b.",
		"newobj":  "\x80\x02)\x81.",
		"ext1":    "\x80\x02\x82\x01.",
		"persid":  "Pfoo\n.",
		"binpers": "\x80\x02K\x01Q.",
		// a Gatech dict whose time is a numpy float64 scalar
		"numpy": "\x80\x02}q\x00(X\x0b\x00\x00\x00dim_processK\x02X\x05\x00\x00\x00train]](}X\x10\x00\x00\x00time_since_startcnumpy.core.multiarray\nscalar\ncnumpy\ndtype\nX\x02\x00\x00\x00f8\x85R\x43\x08\x00\x00\x00\x00\x00\x00\xf0?\x86Rsaau.",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadPickle(strings.NewReader(src), ReadOptions{File: name + ".pkl"})
			wantLoadError(t, err, name+".pkl", 0, "", "refusing unsafe pickle")
			if name == "numpy" && !strings.Contains(err.Error(), "numpy") || name == "numpy" && !strings.Contains(err.Error(), ".tolist()") {
				t.Errorf("numpy pickle: message lacks a hint: %v", err)
			}
			if name == "stack-global-p4" && !strings.Contains(err.Error(), "os.system") {
				t.Errorf("STACK_GLOBAL: message does not name os.system: %v", err)
			}
		})
	}
}

// Every proper prefix of a valid pickle is an error (never a panic, never a
// dataset), and so is every single-byte corruption that is not still a valid
// pickle.
func TestTruncatedAndCorruptPickles(t *testing.T) {
	for _, fx := range []string{"gatech_p0.pkl", "gatech_p2.pkl", "gatech_p4.pkl"} {
		b, err := os.ReadFile(filepath.Join("testdata", fx))
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(b); cut++ {
			_, err := ReadPickle(bytes.NewReader(b[:cut]), ReadOptions{File: fx})
			if err == nil {
				t.Fatalf("%s cut at %d/%d: loaded without error", fx, cut, len(b))
			}
			if !strings.Contains(err.Error(), fx) {
				t.Fatalf("%s cut at %d: error does not name the file: %v", fx, cut, err)
			}
		}
		for i := range b {
			c := append([]byte(nil), b...)
			c[i] ^= 0x5a
			if got, err := ReadPickle(bytes.NewReader(c), ReadOptions{File: fx}); err == nil {
				for _, ds := range got {
					for j := range ds.Seqs {
						if verr := ds.Seqs[j].Validate(ds.NumTypes); verr != nil {
							t.Fatalf("%s byte %d corrupted: invalid sequence accepted: %v", fx, i, verr)
						}
					}
				}
			}
		}
	}
}

func TestCollectProblems(t *testing.T) {
	in := `{"times":[1],"types":[0]}
{"times":[2,1],"types":[0,0]}
not json
{"times":[3],"types":[0]}
`
	var probs []*LoadError
	ds, err := ReadJSONL(strings.NewReader(in), ReadOptions{File: "c.jsonl", OnProblem: func(e *LoadError) { probs = append(probs, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Seqs) != 2 || len(probs) != 2 || probs[0].Line != 2 || probs[1].Line != 3 {
		t.Fatalf("got %d seqs, problems %v", len(ds.Seqs), probs)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "train.jsonl"), []byte(in), 0o644)
	os.WriteFile(filepath.Join(dir, "test.csv"), []byte("sequence_id,time,type\na,1,0\na,0,0\n"), 0o644)
	rep, err := ValidatePath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 3 || len(rep.Files) != 2 {
		t.Fatalf("problems %v files %+v", rep.Problems, rep.Files)
	}
	good := t.TempDir()
	os.WriteFile(filepath.Join(good, "train.jsonl"), []byte(`{"times":[1,1],"types":[0,0]}`), 0o644)
	rep, err = ValidatePath(good)
	if err != nil || len(rep.Problems) != 0 || rep.Files[0].Ties != 1 {
		t.Fatalf("clean dir: %v %+v", err, rep)
	}
}
