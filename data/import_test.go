package data

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestImportRFC3339AndStringMarks(t *testing.T) {
	raw := `user,when,action,extra
bob,2024-01-01T00:00:10Z,view,x
alice,2024-01-01T00:01:00Z,buy,y
bob,2024-01-01T00:00:05Z,view,
bob,2024-01-01T00:00:10Z,cart,
,2024-01-01T00:00:00Z,view,
alice,yesterday,view,
carol,2024-01-01T01:00:00+01:00,view,
dave,,view,
erin,2024-01-01T00:02:00.5Z,
frank,2024-01-01T00:00:00Z
`
	in := writeTemp(t, "log.csv", raw)
	out := filepath.Join(t.TempDir(), "ds")
	rep, err := Import(ImportOptions{Input: in, OutDir: out, SeqCol: "user", TimeCol: "when", TypeCol: "action", TimeUnit: "min", Split: [3]float64{1, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	wantDrops := map[string]int{"missing sequence key": 1, "unparsable time": 1, "missing time": 1, "missing type": 1, "too few columns": 1}
	if rep.Rows != 10 || rep.Kept != 5 || rep.Dropped != 5 || len(rep.DroppedBy) != len(wantDrops) {
		t.Fatalf("report %+v", rep)
	}
	for k, n := range wantDrops {
		if rep.DroppedBy[k] != n {
			t.Errorf("dropped %q: %d, want %d", k, rep.DroppedBy[k], n)
		}
	}
	if rep.DroppedLines["unparsable time"][0] != 7 {
		t.Errorf("unparsable time line: %v, want 7", rep.DroppedLines)
	}
	all, err := LoadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	ds := all["train"]
	// Marks sorted by name: buy=0, cart=1, view=2. Origin 00:00:00Z is
	// carol's 01:00+01:00; times in minutes.
	if ds.NumTypes != 3 || strings.Join(ds.TypeNames, ",") != "buy,cart,view" {
		t.Fatalf("types %d %v", ds.NumTypes, ds.TypeNames)
	}
	want := map[string]Sequence{
		"bob":   {Times: []float64{5.0 / 60, 10.0 / 60, 10.0 / 60}, Types: []int{2, 2, 1}},
		"alice": {Times: []float64{1}, Types: []int{0}},
		"carol": {Times: []float64{0}, Types: []int{2}},
	}
	if len(ds.Seqs) != 3 {
		t.Fatalf("%d sequences", len(ds.Seqs))
	}
	for _, s := range ds.Seqs {
		w := want[s.ID]
		if len(s.Times) != len(w.Times) {
			t.Fatalf("%s: %v", s.ID, s.Times)
		}
		for i := range w.Times {
			if math.Abs(s.Times[i]-w.Times[i]) > 1e-12 || s.Types[i] != w.Types[i] {
				t.Errorf("%s event %d: (%v,%d), want (%v,%d)", s.ID, i, s.Times[i], s.Types[i], w.Times[i], w.Types[i])
			}
		}
	}
	// The stable sort keeps bob's tied 00:00:10 events in file order (view, cart).
	if rep.ReorderedSeqs != 1 || rep.TiesAfterSort != 1 {
		t.Errorf("reordered %d ties %d", rep.ReorderedSeqs, rep.TiesAfterSort)
	}
	b, _ := os.ReadFile(filepath.Join(out, MetaFile))
	var meta struct {
		TypeNames []string     `json:"type_names"`
		Import    ImportReport `json:"import"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Import.Dropped != 5 || meta.Import.TimeOrigin != "2024-01-01T01:00:00+01:00" || len(meta.TypeNames) != 3 {
		t.Errorf("meta.json import report: %+v", meta.Import)
	}
}

func TestImportNumericMarksAndSplit(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("seq,t,k\n")
	for i := 0; i < 100; i++ {
		for j := 3; j >= 0; j-- { // rows in reverse time order
			sb.WriteString(strings.Join([]string{"s" + itoa(i), itoa(3600 * j), itoa([]int{10, 2, 7, 2}[j])}, ",") + "\n")
		}
	}
	sb.WriteString("x,-5,2\nx,inf,2\n")
	in := writeTemp(t, "log.csv", sb.String())
	run := func(seed uint64) (*ImportReport, map[string]*Dataset) {
		out := filepath.Join(t.TempDir(), "ds")
		rep, err := Import(ImportOptions{Input: in, OutDir: out, SeqCol: "seq", TimeCol: "t", TypeCol: "k", TimeUnit: "h", Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		all, err := LoadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		return rep, all
	}
	rep, a := run(1)
	if rep.NumSequences["train"] != 70 || rep.NumSequences["dev"] != 10 || rep.NumSequences["test"] != 20 {
		t.Fatalf("split sizes %v", rep.NumSequences)
	}
	if rep.DroppedBy["negative time"] != 1 || rep.DroppedBy["non-finite time"] != 1 {
		t.Errorf("drops %v", rep.DroppedBy)
	}
	// Integer marks are ordered numerically: 2 < 7 < 10.
	if strings.Join(rep.TypeNames, ",") != "2,7,10" {
		t.Errorf("type names %v", rep.TypeNames)
	}
	// Each sequence had rows for 3h, 2h, 1h, 0h with marks 2, 7, 2, 10:
	// sorted, in hours, the marks are 10, 2, 7, 2 -> ids 2, 0, 1, 0.
	s := a["train"].Seqs[0]
	if !equalF(s.Times, []float64{0, 1, 2, 3}) || !equalI(s.Types, []int{2, 0, 1, 0}) {
		t.Errorf("sequence %s: %v %v", s.ID, s.Times, s.Types)
	}
	// Same seed, same split; another seed, another split; no sequence lost.
	_, b := run(1)
	_, c := run(2)
	if ids(a["test"]) != ids(b["test"]) {
		t.Error("same seed gave different splits")
	}
	if ids(a["test"]) == ids(c["test"]) {
		t.Error("different seeds gave the same split")
	}
	seen := map[string]bool{}
	for _, ds := range c {
		for _, s := range ds.Seqs {
			if seen[s.ID] {
				t.Fatalf("%s in two splits", s.ID)
			}
			seen[s.ID] = true
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d sequences after the split, want 100", len(seen))
	}
}

func TestImportErrors(t *testing.T) {
	in := writeTemp(t, "log.csv", "a,b\n1,2\n")
	out := t.TempDir()
	_, err := Import(ImportOptions{Input: in, OutDir: out, SeqCol: "a", TimeCol: "b", TypeCol: "c"})
	wantLoadError(t, err, in, 1, "header", `no column "c"`)
	_, err = Import(ImportOptions{Input: in, OutDir: out, SeqCol: "a", TimeCol: "b", TypeCol: "a", Split: [3]float64{0.5, 0.6, 0}})
	if err == nil || !strings.Contains(err.Error(), "sum to 1") {
		t.Errorf("bad split: %v", err)
	}
	_, err = Import(ImportOptions{Input: in, OutDir: out, SeqCol: "a", TimeCol: "b", TypeCol: "a", TimeUnit: "fortnight"})
	if err == nil {
		t.Error("bad unit accepted")
	}
	bad := writeTemp(t, "log.csv", "a,b,c\nx,,1\n")
	_, err = Import(ImportOptions{Input: bad, OutDir: out, SeqCol: "a", TimeCol: "b", TypeCol: "c"})
	wantLoadError(t, err, bad, 0, "", "no usable rows", "missing time: 1")
}

func TestSplitCounts(t *testing.T) {
	for _, c := range []struct {
		n    int
		f    [3]float64
		want [3]int
	}{
		{10, [3]float64{0.7, 0.1, 0.2}, [3]int{7, 1, 2}},
		{1, [3]float64{0.7, 0.1, 0.2}, [3]int{1, 0, 0}},
		{3, [3]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, [3]int{1, 1, 1}},
		{7, [3]float64{0.5, 0, 0.5}, [3]int{4, 0, 3}},
		{0, [3]float64{0.7, 0.1, 0.2}, [3]int{0, 0, 0}},
	} {
		if got := splitCounts(c.n, c.f); got != c.want {
			t.Errorf("splitCounts(%d, %v) = %v, want %v", c.n, c.f, got, c.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func ids(ds *Dataset) string {
	var s []string
	for _, q := range ds.Seqs {
		s = append(s, q.ID)
	}
	return strings.Join(s, ",")
}

func equalF(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalI(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
