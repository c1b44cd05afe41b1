package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Each fuzz target checks that a reader never panics, that any error is a
// *LoadError, and that any dataset it returns is valid and survives a write
// and re-read in the same format unchanged.

func checkFuzzResult(t *testing.T, got map[string]*Dataset, err error, f Format) {
	if err != nil {
		var le *LoadError
		if !errors.As(err, &le) {
			t.Fatalf("error is %T, not *LoadError: %v", err, err)
		}
		return
	}
	if len(got) == 0 {
		t.Fatal("no error and no dataset")
	}
	for name, ds := range got {
		if len(ds.Seqs) == 0 {
			t.Fatalf("split %q: no error and no sequences", name)
		}
		for i := range ds.Seqs {
			if verr := ds.Seqs[i].Validate(ds.NumTypes); verr != nil {
				t.Fatalf("split %q: invalid sequence %d accepted: %v", name, i, verr)
			}
		}
	}
	var buf bytes.Buffer
	if werr := Write(&buf, f, false, got); werr != nil {
		t.Fatalf("re-writing a dataset the reader accepted failed: %v", werr)
	}
	var back map[string]*Dataset
	var rerr error
	switch f {
	case Pickle:
		back, rerr = ReadPickle(bytes.NewReader(buf.Bytes()), ReadOptions{})
	default:
		var ds *Dataset
		switch f {
		case JSONL:
			ds, rerr = ReadJSONL(bytes.NewReader(buf.Bytes()), ReadOptions{})
		case CSV:
			ds, rerr = ReadCSV(bytes.NewReader(buf.Bytes()), ReadOptions{})
		case HFJSON:
			ds, rerr = ReadHFJSON(bytes.NewReader(buf.Bytes()), ReadOptions{})
		}
		for name := range got {
			back = map[string]*Dataset{name: ds}
		}
	}
	if rerr != nil {
		t.Fatalf("re-reading what was written failed: %v\n%q", rerr, buf.String())
	}
	for name, ds := range got {
		if back[name] == nil {
			t.Fatalf("split %q lost in the round trip", name)
		}
		sameSeqs(t, "fuzz round trip "+name, back[name], ds)
	}
}

func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"times":[1,2.5],"types":[0,2]}`,
		"{\"times\":[0.5],\"types\":[1],\"start\":-1,\"end\":9,\"id\":\"a\"}\n\n{\"times\":[],\"types\":[],\"id\":3}",
		`{"times":[1e308,1.7976931348623157e308],"types":[0,0]}`,
		`{"times":[2,1],"types":[0,0]}`,
		`{"times":[1],"types":[0],"end":0.5}`,
		`{"times":[1],"types":[-1]}`,
		`{"times":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ReadJSONL(bytes.NewReader(b), ReadOptions{File: "fuzz.jsonl"})
		var got map[string]*Dataset
		if err == nil {
			got = map[string]*Dataset{"train": ds}
		}
		checkFuzzResult(t, got, err, JSONL)
	})
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"sequence_id,time,type\na,1,0\na,2,1\nb,0.5,2\n",
		"type,sequence_id,time,x\n1,a,0.5,q\n",
		"sequence_id,time,type,start,end\ns1,1,0,-2,10\ns1,2,1,-2,10\ns2,,,0,5\n",
		"sequence_id,time,type\n\"a,\"\"b\",1,0\n",
		"sequence_id,time,type\na,1,0\nb,1,0\na,2,0\n",
		"sequence_id,time,type\na,NaN,0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ReadCSV(bytes.NewReader(b), ReadOptions{File: "fuzz.csv"})
		var got map[string]*Dataset
		if err == nil {
			got = map[string]*Dataset{"train": ds}
		}
		checkFuzzResult(t, got, err, CSV)
	})
}

func FuzzReadHFJSON(f *testing.F) {
	rec := `{"dim_process":3,"seq_len":2,"seq_idx":0,"time_since_start":[0,1],"time_since_last_event":[0,1],"type_event":[0,2]}`
	for _, s := range []string{
		"[" + rec + "]",
		rec + "\n" + rec,
		`[{"time_since_start":[1],"type_event":[0],"start":0.5,"end":2,"id":"x"}]`,
		`[{"time_since_start":[1],"type_event":[0],"seq_len":2}]`,
		`[{"dim_process":1,"time_since_start":[1],"type_event":[3]}]`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ReadHFJSON(bytes.NewReader(b), ReadOptions{File: "fuzz.json"})
		var got map[string]*Dataset
		if err == nil {
			got = map[string]*Dataset{"train": ds}
		}
		checkFuzzResult(t, got, err, HFJSON)
	})
}

func FuzzReadPickle(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "gatech_p*.pkl"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	var buf bytes.Buffer
	ds := genDataset(3, genOptions{seqs: 3, maxLen: 4, k: 3, windows: true, ids: true, empty: true})
	if err := WritePickle(&buf, map[string]*Dataset{"train": ds, "other": ds}); err == nil {
		f.Add(buf.Bytes())
	}
	for _, s := range []string{
		"cos\nsystem\n(S'echo pwned'\ntR.",
		"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.",
		"\x80\x02}q\x00.",
		"(dp0\nS'dim_process'\np1\nI2\nsS'train'\np2\n(lp3\n(lp4\n(dp5\nS'time_since_start'\np6\nF0.5\nsS'type_event'\np7\nI1\nsaas.",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadPickle(bytes.NewReader(b), ReadOptions{File: "fuzz.pkl"})
		checkFuzzResult(t, got, err, Pickle)
	})
}
