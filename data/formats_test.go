package data

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadJSONLDefaultsAndExtras(t *testing.T) {
	in := "\ufeff" + `{"times":[1,2.5],"types":[0,2],"extra":{"x":[1,"y"]}}

{"times":[0.5],"types":[1],"start":-1,"end":9,"id":"alice"}
{"times":[],"types":[],"end":4, "id": 17}
`
	ds, err := ReadJSONL(strings.NewReader(in), ReadOptions{File: "x.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Sequence{
		{ID: "0", Times: []float64{1, 2.5}, Types: []int{0, 2}, Start: 0, End: 2.5},
		{ID: "alice", Times: []float64{0.5}, Types: []int{1}, Start: -1, End: 9},
		{ID: "17", Times: []float64{}, Types: []int{}, Start: 0, End: 4},
	}
	sameSeqs(t, "jsonl", ds, &Dataset{NumTypes: 3, Seqs: want})
}

func TestReadJSONLLargeOffsetsNoWindow(t *testing.T) {
	// Taobao-like: times ~1.5e5, no window: Start 0 is legal.
	ds, err := ReadJSONL(strings.NewReader(`{"times":[151156.8853,151157.0156705176],"types":[3,16]}`), ReadOptions{File: "t.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	s := ds.Seqs[0]
	if s.Start != 0 || s.End != 151157.0156705176 || ds.NumTypes != 17 {
		t.Fatalf("got %+v, NumTypes %d", s, ds.NumTypes)
	}
}

func TestReadCSV(t *testing.T) {
	in := "type,sequence_id,time,note\n1,a,0.5,x\n0,a,0.5,y\n2,b,3,z\n"
	ds, err := ReadCSV(strings.NewReader(in), ReadOptions{File: "e.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Dataset{NumTypes: 3, Seqs: []Sequence{
		{ID: "a", Times: []float64{0.5, 0.5}, Types: []int{1, 0}, End: 0.5},
		{ID: "b", Times: []float64{3}, Types: []int{2}, End: 3},
	}}
	sameSeqs(t, "csv", ds, want)

	win := "sequence_id,time,type,start,end\ns1,1,0,-2,10\ns1,2,1,-2,10\ns2,,,0,5\ns3,4,0,,\n"
	ds, err = ReadCSV(strings.NewReader(win), ReadOptions{File: "w.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want = &Dataset{NumTypes: 2, Seqs: []Sequence{
		{ID: "s1", Times: []float64{1, 2}, Types: []int{0, 1}, Start: -2, End: 10},
		{ID: "s2", Times: []float64{}, Types: []int{}, Start: 0, End: 5},
		{ID: "s3", Times: []float64{4}, Types: []int{0}, Start: 0, End: 4},
	}}
	sameSeqs(t, "csv windows", ds, want)
}

func TestReadHFJSONArrayAndLines(t *testing.T) {
	arr := `[
 {"dim_process": 5, "seq_len": 2, "seq_idx": 0, "time_since_start": [0, 1.5], "time_since_last_event": [0, 1.5], "type_event": [4, 0]},
 {"dim_process": 5, "seq_len": 1, "seq_idx": 1, "time_since_start": [2], "time_since_last_event": [0], "type_event": [1]}
]`
	lines := strings.ReplaceAll(strings.Trim(arr, "[]\n"), "},\n", "}\n")
	for name, in := range map[string]string{"array": arr, "lines": lines} {
		ds, err := ReadHFJSON(strings.NewReader(in), ReadOptions{File: "train.json"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := &Dataset{NumTypes: 5, Seqs: []Sequence{
			{ID: "0", Times: []float64{0, 1.5}, Types: []int{4, 0}, End: 1.5},
			{ID: "1", Times: []float64{2}, Types: []int{1}, End: 2},
		}}
		sameSeqs(t, "hf "+name, ds, want)
	}
}

// Pickles written by CPython's own pickler (testdata/gen_gatech.py), every
// protocol 0-5, must decode to the values Python recorded in JSON.
func TestReadPicklePythonFixtures(t *testing.T) {
	b, err := os.ReadFile("testdata/gatech_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]json.RawMessage
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	want := map[string]*Dataset{}
	for _, split := range []string{"train", "dev"} {
		ds, err := ReadJSONL(bytes.NewReader(jsonArrayToLines(t, exp[split])), ReadOptions{NumTypes: 4})
		if err != nil {
			t.Fatal(err)
		}
		want[split] = ds
	}
	for p := 0; p <= 5; p++ {
		path := filepath.Join("testdata", "gatech_p"+string(rune('0'+p))+".pkl")
		got, err := ReadFile(path, ReadOptions{})
		if err != nil {
			t.Fatalf("protocol %d: %v", p, err)
		}
		if len(got) != 2 || got["test"] != nil {
			t.Fatalf("protocol %d: splits %v, want train and dev (test is empty)", p, SortedSplits(got))
		}
		for split, w := range want {
			sameSeqs(t, path+" "+split, got[split], w)
		}
	}
}

func jsonArrayToLines(t *testing.T, raw json.RawMessage) []byte {
	var recs []json.RawMessage
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, r := range recs {
		var buf bytes.Buffer
		if err := json.Compact(&buf, r); err != nil {
			t.Fatal(err)
		}
		out = append(append(out, buf.Bytes()...), '\n')
	}
	return out
}

func TestFormatDetection(t *testing.T) {
	dir := t.TempDir()
	ds := genDataset(1, genOptions{seqs: 5, maxLen: 6, k: 3})
	var jsonl, hf, csvb, pkl bytes.Buffer
	for _, c := range []struct {
		f Format
		b *bytes.Buffer
	}{{JSONL, &jsonl}, {HFJSON, &hf}, {CSV, &csvb}, {Pickle, &pkl}} {
		if err := Write(c.b, c.f, false, map[string]*Dataset{"train": ds}); err != nil {
			t.Fatal(err)
		}
	}
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b)
		zw.Close()
		return out.Bytes()
	}
	cases := map[string][]byte{
		"a.jsonl": jsonl.Bytes(), "b.json": jsonl.Bytes(), // JSON Lines named .json
		"c.json": hf.Bytes(), "d.dat": hf.Bytes(), "e": csvb.Bytes(), "f.bin": pkl.Bytes(),
		"g.jsonl.gz": gz(jsonl.Bytes()), "h.gz": gz(pkl.Bytes()), "i.csv": gz(csvb.Bytes()),
	}
	for name, content := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(p, ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameSeqs(t, name, only(t, got), ds)
	}
}

func TestLoadSplitAndDir(t *testing.T) {
	dir := t.TempDir()
	tr := genDataset(2, genOptions{seqs: 4, maxLen: 5, k: 2})
	te := genDataset(3, genOptions{seqs: 3, maxLen: 5, k: 2})
	te.NumTypes = 4 // the pickle's dim_process must agree with meta.json
	if err := WriteSplit(filepath.Join(dir, "train.csv"), "train", tr); err != nil {
		t.Fatal(err)
	}
	if err := WriteSplit(filepath.Join(dir, "test.pkl"), "test", te); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, MetaFile), []byte(`{"name":"toy","num_types":4,"type_names":{"a":0,"b":1,"c":2,"d":3},"source":"unit test"}`), 0o644)
	all, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all["train"] == nil || all["test"] == nil {
		t.Fatalf("splits %v", SortedSplits(all))
	}
	for _, ds := range all {
		if ds.NumTypes != 4 || ds.Name != "toy" || ds.TypeName(3) != "d" {
			t.Errorf("meta not applied: %d %q %v", ds.NumTypes, ds.Name, ds.TypeNames)
		}
	}
	tr.NumTypes = 4
	sameSeqs(t, "train", all["train"], tr)
	sameSeqs(t, "test", all["test"], te)
	got, err := LoadSplit(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	sameSeqs(t, "LoadSplit", got, te)
	if _, err := LoadSplit(dir, "dev"); err == nil {
		t.Error("LoadSplit of a missing split: want an error")
	}
	// dim_process that disagrees with meta.json is an error.
	p := filepath.Join(dir, "dev.pkl")
	if err := WriteSplit(p, "dev", genDataset(4, genOptions{seqs: 2, maxLen: 3, k: 2})); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDir(dir)
	wantLoadError(t, err, p, 0, "dim_process", "is 2 but meta.json says num_types 4")
	os.Remove(p)
	// A second file for the same split is ambiguous.
	if err := WriteSplit(filepath.Join(dir, "test.jsonl"), "test", te); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "several files") {
		t.Errorf("two files for one split: got %v", err)
	}
	// A type >= meta num_types is an error naming the field.
	bad := writeTemp(t, "dev.jsonl", `{"times":[1],"types":[7]}`)
	os.WriteFile(filepath.Join(filepath.Dir(bad), MetaFile), []byte(`{"num_types":4}`), 0o644)
	_, err = LoadFile(bad)
	wantLoadError(t, err, bad, 1, "types[0]", "outside [0, 4)")
}

func TestReadMeta(t *testing.T) {
	dir := t.TempDir()
	if m, err := ReadMeta(dir); m != nil || err != nil {
		t.Fatalf("no meta.json: got %v, %v", m, err)
	}
	src := `{"name": "x", "num_types": 2, "type_names": ["buy", "view"], "stats": {"num_sequences": {"train": 3}}, "notes": "kept"}`
	os.WriteFile(filepath.Join(dir, MetaFile), []byte(src), 0o644)
	m, err := ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.NumTypes != 2 || m.TypeNames[1] != "view" || string(m.Extra["notes"]) != `"kept"` {
		t.Fatalf("got %+v", m)
	}
	out := t.TempDir()
	if err := WriteMeta(out, m); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadMeta(out)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	json.Unmarshal([]byte(src), &a)
	raw, _ := os.ReadFile(filepath.Join(out, MetaFile))
	json.Unmarshal(raw, &b)
	if ja, jb := mustJSON(a), mustJSON(b); ja != jb || m2.NumTypes != 2 {
		t.Fatalf("meta.json did not survive:\n%s\n%s", ja, jb)
	}
	for _, bad := range []struct{ src, field string }{
		{`{"num_types": -1}`, "num_types"},
		{`{"num_types": 3, "type_names": ["a"]}`, "type_names"},
		{`{"type_names": {"a": 0, "b": 0}}`, "type_names"},
	} {
		_, err := ParseMeta("m.json", []byte(bad.src))
		wantLoadError(t, err, "m.json", 0, bad.field)
	}
	_, err = ParseMeta("m.json", []byte("{\n\"num_types\": 3,\n}"))
	wantLoadError(t, err, "m.json", 3, "", "malformed JSON")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
