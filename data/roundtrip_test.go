package data

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var allFormats = []struct {
	f  Format
	gz bool
}{{JSONL, false}, {JSONL, true}, {CSV, false}, {CSV, true}, {HFJSON, false}, {HFJSON, true}, {Pickle, false}, {Pickle, true}}

// Generated data with every awkward feature goes JSONL -> X -> JSONL for
// every format X and must come back bit for bit.
func TestRoundTripAllFormats(t *testing.T) {
	variants := map[string]genOptions{
		"plain":   {seqs: 40, maxLen: 30, k: 5},
		"windows": {seqs: 40, maxLen: 30, k: 3, windows: true, ids: true, empty: true},
		"offset":  {seqs: 20, maxLen: 50, k: 17, offset: 1.5e5},
		"many k":  {seqs: 30, maxLen: 10, k: 300, windows: true}, // types beyond one byte
	}
	for name, g := range variants {
		orig := genDataset(uint64(len(name)), g)
		dir := t.TempDir()
		src := filepath.Join(dir, "src.jsonl")
		if err := WriteSplit(src, "train", orig); err != nil {
			t.Fatal(err)
		}
		// A lone JSONL file does not store num_types: it is inferred as
		// max type + 1, and every format must carry that value along.
		b0, err := ReadFile(src, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		base := only(t, b0)
		orig.NumTypes = inferNumTypes(maxTypeOf(orig))
		sameSeqs(t, name+" jsonl", base, orig)
		for _, af := range allFormats {
			mid := filepath.Join(dir, "mid"+af.f.Ext(af.gz))
			back := filepath.Join(dir, "back.jsonl")
			if err := Convert(src, mid, "", false); err != nil {
				t.Fatalf("%s -> %s: %v", name, mid, err)
			}
			if err := Convert(mid, back, "", false); err != nil {
				t.Fatalf("%s: %s -> jsonl: %v", name, mid, err)
			}
			got, err := ReadFile(back, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sameSeqs(t, name+" via "+mid, only(t, got), orig)
			// The intermediate file itself reads back equal too.
			m, err := ReadFile(mid, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sameSeqs(t, name+" "+mid, only(t, m), orig)
			b1, _ := os.ReadFile(src)
			b2, _ := os.ReadFile(back)
			if !bytes.Equal(b1, b2) {
				t.Errorf("%s via %s: JSONL bytes differ after the round trip", name, mid)
			}
		}
	}
}

// Writing twice gives the same bytes (no map-order or clock dependence).
func TestWritersDeterministic(t *testing.T) {
	ds := genDataset(9, genOptions{seqs: 20, maxLen: 10, k: 4, windows: true, ids: true})
	for _, af := range allFormats {
		var a, b bytes.Buffer
		splits := map[string]*Dataset{"train": ds}
		if af.f == Pickle {
			splits = map[string]*Dataset{"train": ds, "dev": ds, "test": ds}
		}
		if err := Write(&a, af.f, af.gz, splits); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, af.f, af.gz, splits); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s gz=%v: two writes differ", af.f, af.gz)
		}
	}
}

func TestMultiSplitPickle(t *testing.T) {
	splits := map[string]*Dataset{
		"train": genDataset(1, genOptions{seqs: 5, maxLen: 5, k: 6, ids: true}),
		"dev":   genDataset(2, genOptions{seqs: 3, maxLen: 5, k: 6, windows: true}),
		"test":  genDataset(3, genOptions{seqs: 4, maxLen: 5, k: 6}),
	}
	for _, ds := range splits {
		ds.NumTypes = 6
	}
	p := filepath.Join(t.TempDir(), "all.pkl")
	if err := WriteFile(p, splits); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for s, ds := range splits {
		sameSeqs(t, s, got[s], ds)
	}
	ds, err := LoadSplit(p, "dev")
	if err != nil {
		t.Fatal(err)
	}
	sameSeqs(t, "LoadSplit dev", ds, splits["dev"])
	if err := Convert(p, filepath.Join(t.TempDir(), "x.jsonl"), "", false); err == nil || !strings.Contains(err.Error(), "3 splits") {
		t.Errorf("multi-split pickle to jsonl: got %v", err)
	}
}

// Directory conversion through every format keeps every split, NumTypes,
// type names and the other meta.json fields.
func TestConvertDirectories(t *testing.T) {
	src := t.TempDir()
	splits := map[string]*Dataset{
		"train": genDataset(4, genOptions{seqs: 10, maxLen: 8, k: 3}),
		"test":  genDataset(5, genOptions{seqs: 6, maxLen: 8, k: 3, windows: true}),
	}
	meta := &Meta{Name: "toy", NumTypes: 5, TypeNames: []string{"a", "b", "c", "d", "e"}}
	meta.SetExtra("source", "unit test")
	meta.SetExtra("files", map[string]int{"train.jsonl": 1})
	if err := WriteDir(src, JSONL, false, splits, meta); err != nil {
		t.Fatal(err)
	}
	want, err := LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	prev := src
	for _, af := range allFormats {
		out := filepath.Join(t.TempDir(), "out")
		if err := Convert(prev, out, af.f, af.gz); err != nil {
			t.Fatalf("%s: %v", af.f, err)
		}
		got, err := LoadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		for s := range want {
			sameSeqs(t, string(af.f)+" "+s, got[s], want[s])
			if got[s].Name != "toy" || got[s].TypeName(4) != "e" {
				t.Errorf("%s: meta lost: %q %v", af.f, got[s].Name, got[s].TypeNames)
			}
		}
		m, err := ReadMeta(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Extra["source"]) != `"unit test"` || m.Extra["files"] != nil || !strings.Contains(string(m.Extra["format"]), FormatNote(af.f, af.gz)[:10]) {
			t.Errorf("%s: meta extras: %v", af.f, m.Extra)
		}
		prev = out
	}
	if err := Convert(src, src, JSONL, false); err == nil {
		t.Error("converting a directory onto itself must fail")
	}
}

// Python's own unpickler (an independent reader) must read what WritePickle
// writes and find the same numbers; skipped when python3 is absent.
func TestPythonReadsOurPickle(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH; cannot cross-check the pickle writer with CPython")
	}
	splits := map[string]*Dataset{
		"train": genDataset(11, genOptions{seqs: 6, maxLen: 7, k: 300, offset: 1e5}),
		"dev":   genDataset(12, genOptions{seqs: 3, maxLen: 4, k: 300, windows: true, ids: true}),
	}
	p := filepath.Join(t.TempDir(), "x.pkl")
	if err := WriteFile(p, splits); err != nil {
		t.Fatal(err)
	}
	script := `import json, pickle, sys
d = pickle.load(open(sys.argv[1], 'rb'))
out = {'dim_process': d['dim_process']}
for s in ('train', 'dev'):
    out[s] = [{'times': [e['time_since_start'] for e in q], 'types': [e['type_event'] for e in q],
               'dt': [e['time_since_last_event'] for e in q]} for q in d[s]]
out['info'] = d.get('gotpp_seq_info', {})
print(json.dumps(out))`
	raw, err := exec.Command(py, "-c", script, p).Output()
	if err != nil {
		t.Fatalf("python3 could not unpickle our file: %v", err)
	}
	var got struct {
		Dim  int `json:"dim_process"`
		Info map[string][]struct {
			ID    string  `json:"id"`
			Start float64 `json:"start"`
			End   float64 `json:"end"`
		} `json:"info"`
		Train, Dev []struct {
			Times, Dt []float64
			Types     []int
		}
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Dim != 300 || got.Info["train"] != nil || len(got.Info["dev"]) != 3 {
		t.Fatalf("dim %d info %v", got.Dim, got.Info)
	}
	for name, seqs := range map[string][]struct {
		Times, Dt []float64
		Types     []int
	}{"train": got.Train, "dev": got.Dev} {
		ds := splits[name]
		for i, s := range seqs {
			w := ds.Seqs[i]
			for j := range w.Times {
				dt := 0.0
				if j > 0 {
					dt = w.Times[j] - w.Times[j-1]
				}
				if s.Times[j] != w.Times[j] || s.Types[j] != w.Types[j] || s.Dt[j] != dt {
					t.Fatalf("%s seq %d event %d: python saw (%v,%d,%v), want (%v,%d,%v)", name, i, j, s.Times[j], s.Types[j], s.Dt[j], w.Times[j], w.Types[j], dt)
				}
			}
		}
	}
	for i, in := range got.Info["dev"] {
		if w := splits["dev"].Seqs[i]; in.ID != w.ID || in.Start != w.Start || in.End != w.End {
			t.Errorf("dev info %d: %+v vs %+v", i, in, w)
		}
	}
}
