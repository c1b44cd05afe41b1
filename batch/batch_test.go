package batch

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// randomDataset draws n sequences with lengths in [0, maxLen] (some empty),
// random windows and ties.
func randomDataset(seed uint64, n, maxLen, k int) *data.Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	ds := &data.Dataset{Name: "rand", NumTypes: k}
	for i := 0; i < n; i++ {
		m := r.IntN(maxLen + 1)
		start := r.Float64() * 3
		t := start
		s := data.Sequence{ID: fmt.Sprintf("s%d", i), Start: start}
		for j := 0; j < m; j++ {
			if j == 0 || r.IntN(10) > 0 { // about one tie in ten
				t += r.ExpFloat64()
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, r.IntN(k))
		}
		s.End = t + r.Float64()
		ds.Seqs = append(ds.Seqs, s)
	}
	return ds
}

func sameSeq(a, b data.Sequence) bool {
	return a.ID == b.ID && a.Start == b.Start && a.End == b.End &&
		slices.Equal(a.Times, b.Times) && slices.Equal(a.Types, b.Types) &&
		len(a.Times) == len(b.Times)
}

func TestPackLayout(t *testing.T) {
	ds := randomDataset(1, 37, 12, 4)
	idx := []int{5, 0, 36, 17, 3, 3, 20} // any order, repeats allowed
	b := Pack(ds, idx)
	if b.B != len(idx) {
		t.Fatalf("B = %d, want %d", b.B, len(idx))
	}
	wantL := 0
	for _, i := range idx {
		wantL = max(wantL, len(ds.Seqs[i].Times))
	}
	if b.L != wantL {
		t.Fatalf("L = %d, want %d", b.L, wantL)
	}
	for _, a := range [][]float64{b.Times, b.Dt, b.Mask} {
		if len(a) != b.L*b.B {
			t.Fatalf("array length %d, want %d", len(a), b.L*b.B)
		}
	}
	events := 0
	for c, i := range idx {
		s := ds.Seqs[i]
		n := len(s.Times)
		events += n
		if b.Lens[c] != n || b.Index[c] != i || b.IDs[c] != s.ID || b.Start[c] != s.Start || b.End[c] != s.End {
			t.Fatalf("column %d: per-sequence fields wrong", c)
		}
		last := s.Start
		if n > 0 {
			last = s.Times[n-1]
		}
		if b.Tail[c] != s.End-last {
			t.Errorf("column %d: tail %v, want %v", c, b.Tail[c], s.End-last)
		}
		for pos := 0; pos < b.L; pos++ {
			j := pos*b.B + c
			if j != b.At(pos, c) {
				t.Fatalf("At(%d,%d) = %d, want %d", pos, c, b.At(pos, c), j)
			}
			if pos < n {
				prev := s.Start
				if pos > 0 {
					prev = s.Times[pos-1]
				}
				if b.Times[j] != s.Times[pos] || b.Types[j] != s.Types[pos] || b.Mask[j] != 1 || b.Dt[j] != s.Times[pos]-prev {
					t.Fatalf("column %d position %d: real event wrong", c, pos)
				}
			} else {
				if b.Times[j] != last || b.Dt[j] != 0 || b.Types[j] != ds.NumTypes || b.Mask[j] != 0 {
					t.Fatalf("column %d position %d: padding wrong (t=%v dt=%v type=%d mask=%v)", c, pos, b.Times[j], b.Dt[j], b.Types[j], b.Mask[j])
				}
			}
			if pos > 0 && b.Times[j]-b.Times[j-b.B] != b.Dt[j] {
				t.Fatalf("column %d position %d: Times difference differs from Dt", c, pos)
			}
		}
	}
	if b.NumEvents() != events {
		t.Errorf("NumEvents = %d, want %d", b.NumEvents(), events)
	}
	if b.PadType() != 4 {
		t.Errorf("PadType = %d", b.PadType())
	}
}

func TestRoundTrip(t *testing.T) {
	ds := randomDataset(2, 50, 20, 3)
	idx := rand.New(rand.NewPCG(9, 9)).Perm(len(ds.Seqs))
	b := Pack(ds, idx)
	got := b.Unpack()
	for c, i := range idx {
		if !sameSeq(got[c], ds.Seqs[i]) {
			t.Fatalf("column %d: unpacked %+v, want %+v", c, got[c], ds.Seqs[i])
		}
	}
	// PackSeqs of the unpacked sequences gives the same arrays.
	b2 := PackSeqs(got, ds.NumTypes)
	if !reflect.DeepEqual(b.Times, b2.Times) || !reflect.DeepEqual(b.Types, b2.Types) || !reflect.DeepEqual(b.Dt, b2.Dt) {
		t.Fatal("PackSeqs(Unpack) differs from Pack")
	}
}

func TestScoreMask(t *testing.T) {
	ds := randomDataset(3, 30, 6, 2)
	idx := make([]int, len(ds.Seqs))
	for i := range idx {
		idx[i] = i
	}
	b := Pack(ds, idx)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		m := b.ScoreMask(conv)
		total := 0
		for c, i := range idx {
			first, _, _ := likelihood.Scope(&ds.Seqs[i], conv)
			n := len(ds.Seqs[i].Times)
			for pos := 0; pos < b.L; pos++ {
				want := 0.0
				if pos >= first && pos < n {
					want = 1
					total++
				}
				if m[b.At(pos, c)] != want {
					t.Fatalf("%v: column %d position %d: mask %v, want %v", conv, c, pos, m[b.At(pos, c)], want)
				}
			}
		}
		if b.NumScored(conv) != total {
			t.Errorf("%v: NumScored = %d, want %d", conv, b.NumScored(conv), total)
		}
	}
}

func TestSplit(t *testing.T) {
	ds := randomDataset(4, 23, 15, 5)
	idx := rand.New(rand.NewPCG(1, 2)).Perm(len(ds.Seqs))
	b := Pack(ds, idx)
	for _, n := range []int{1, 2, 3, 7, 23, 40} {
		parts := b.Split(n)
		if len(parts) != min(n, b.B) {
			t.Fatalf("Split(%d) gave %d parts", n, len(parts))
		}
		var seqs []data.Sequence
		var index []int
		for _, p := range parts {
			l := 0
			for _, x := range p.Lens {
				l = max(l, x)
			}
			if p.L != l {
				t.Fatalf("Split(%d): part padded to %d, longest is %d", n, p.L, l)
			}
			if p.B < b.B/min(n, b.B) || p.B > b.B/min(n, b.B)+1 {
				t.Fatalf("Split(%d): unbalanced part of %d columns", n, p.B)
			}
			seqs = append(seqs, p.Unpack()...)
			index = append(index, p.Index...)
			// A split part equals a fresh Pack of the same indices.
			if q := Pack(ds, p.Index); !reflect.DeepEqual(p, q) {
				t.Fatalf("Split(%d): part differs from Pack of its indices", n)
			}
		}
		if !slices.Equal(index, idx) {
			t.Fatalf("Split(%d): indices out of order", n)
		}
		for c := range seqs {
			if !sameSeq(seqs[c], ds.Seqs[idx[c]]) {
				t.Fatalf("Split(%d): column %d differs", n, c)
			}
		}
	}
}

func checkPlan(t *testing.T, k *Bucketer, groups [][]int, opt Options) {
	t.Helper()
	n := len(k.ds.Seqs)
	seen := make([]int, n)
	for _, g := range groups {
		if len(g) == 0 || len(g) > opt.BatchSize {
			t.Fatalf("group of %d sequences (batch size %d)", len(g), opt.BatchSize)
		}
		l := 0
		for _, i := range g {
			seen[i]++
			l = max(l, len(k.ds.Seqs[i].Times), 1)
		}
		if opt.MaxTokens > 0 && len(g) > 1 && len(g)*l > opt.MaxTokens {
			t.Fatalf("group of %d x %d tokens over budget %d", len(g), l, opt.MaxTokens)
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("sequence %d appears %d times", i, c)
		}
	}
	// Bucketed: ordered by their shortest member, the groups do not overlap in length.
	type span struct{ lo, hi int }
	var spans []span
	for _, g := range groups {
		s := span{1 << 30, -1}
		for _, i := range g {
			s.lo = min(s.lo, len(k.ds.Seqs[i].Times))
			s.hi = max(s.hi, len(k.ds.Seqs[i].Times))
		}
		spans = append(spans, s)
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.lo != b.lo {
			return a.lo - b.lo
		}
		return a.hi - b.hi
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			t.Fatalf("groups overlap in length: %v then %v", spans[i-1], spans[i])
		}
	}
}

func TestPlan(t *testing.T) {
	ds := randomDataset(5, 300, 40, 3)
	for _, opt := range []Options{{BatchSize: 16}, {BatchSize: 64, MaxTokens: 300}, {BatchSize: 1}, {BatchSize: 1000, MaxTokens: 10}} {
		k, err := NewBucketer(ds, opt)
		if err != nil {
			t.Fatal(err)
		}
		fixed := k.Plan(nil)
		checkPlan(t, k, fixed, opt)
		if !reflect.DeepEqual(fixed, k.Plan(nil)) {
			t.Fatal("fixed plan not deterministic")
		}
		prev := -1
		for _, g := range fixed {
			for _, i := range g {
				if len(ds.Seqs[i].Times) < prev {
					t.Fatal("fixed plan not sorted by length")
				}
				prev = len(ds.Seqs[i].Times)
			}
		}
		r1 := rand.New(rand.NewPCG(7, 0))
		r2 := rand.New(rand.NewPCG(7, 0))
		var epochs [][][]int
		for e := 0; e < 3; e++ {
			p1, p2 := k.Plan(r1), k.Plan(r2)
			if !reflect.DeepEqual(p1, p2) {
				t.Fatalf("epoch %d: same seed gave different plans", e)
			}
			checkPlan(t, k, p1, opt)
			if len(p1) != len(fixed) {
				t.Fatalf("epoch %d: %d batches, fixed plan has %d", e, len(p1), len(fixed))
			}
			epochs = append(epochs, p1)
		}
		if len(fixed) > 2 && (reflect.DeepEqual(epochs[0], epochs[1]) || reflect.DeepEqual(epochs[0], fixed)) {
			t.Fatalf("%+v: plans do not change between epochs", opt)
		}
	}
}

func TestFixedAndErrors(t *testing.T) {
	ds := randomDataset(6, 40, 10, 2)
	bs, err := Fixed(ds, Options{BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range bs {
		for c, i := range b.Index {
			if !sameSeq(b.Sequence(c), ds.Seqs[i]) {
				t.Fatal("Fixed batch does not map back to its sequences")
			}
			n++
		}
	}
	if n != len(ds.Seqs) {
		t.Fatalf("Fixed covers %d of %d sequences", n, len(ds.Seqs))
	}
	if _, err := Fixed(ds, Options{}); err == nil || !strings.Contains(err.Error(), "batch size") {
		t.Errorf("zero batch size: err = %v", err)
	}
	bad := randomDataset(6, 40, 10, 2)
	bad.Seqs[17].Times = append(bad.Seqs[17].Times, bad.Seqs[17].End+1)
	bad.Seqs[17].Types = append(bad.Seqs[17].Types, 0)
	_, err = NewBucketer(bad, Options{BatchSize: 4})
	if err == nil || !strings.Contains(err.Error(), "sequence 17") || !strings.Contains(err.Error(), `"s17"`) || !strings.Contains(err.Error(), "times[") {
		t.Errorf("bad sequence: err = %v", err)
	}
	bad = randomDataset(6, 40, 10, 2)
	bad.Seqs[3].Types = []int{5}
	bad.Seqs[3].Times = []float64{bad.Seqs[3].Start}
	if _, err := NewBucketer(bad, Options{BatchSize: 4}); err == nil || !strings.Contains(err.Error(), "sequence 3") || !strings.Contains(err.Error(), "types[0]") {
		t.Errorf("bad type: err = %v", err)
	}
}

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("go.mod not found")
		}
		dir = up
	}
}

// TestRealData packs the shared Taxi training split (read here with a minimal
// JSON-lines reader) and checks coverage and the round trip.
func TestRealData(t *testing.T) {
	path := filepath.Join(repoRoot(t), "..", "shared", "data", "taxi", "train.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("shared Taxi data not available (%v)", err)
	}
	defer f.Close()
	ds := &data.Dataset{Name: "taxi", NumTypes: 10}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		var s data.Sequence
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		if len(s.Times) > 0 {
			s.End = s.Times[len(s.Times)-1]
		}
		ds.Seqs = append(ds.Seqs, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	opt := Options{BatchSize: 256, MaxTokens: 4096}
	k, err := NewBucketer(ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	groups := k.Plan(rand.New(rand.NewPCG(2019, 0)))
	checkPlan(t, k, groups, opt)
	events := 0
	for _, g := range groups {
		b := k.Batch(g)
		events += b.NumEvents()
		for c, i := range b.Index {
			if !sameSeq(b.Sequence(c), ds.Seqs[i]) {
				t.Fatalf("sequence %d does not round-trip", i)
			}
		}
	}
	if events != ds.NumEvents() {
		t.Fatalf("batches hold %d events, data set %d", events, ds.NumEvents())
	}
}

func BenchmarkPack(b *testing.B) {
	ds := randomDataset(8, 256, 64, 10)
	idx := make([]int, len(ds.Seqs))
	for i := range idx {
		idx[i] = i
	}
	b.ReportAllocs()
	for b.Loop() {
		Pack(ds, idx)
	}
}

func BenchmarkSplit(b *testing.B) {
	ds := randomDataset(8, 256, 64, 10)
	idx := make([]int, len(ds.Seqs))
	for i := range idx {
		idx[i] = i
	}
	bt := Pack(ds, idx)
	b.ReportAllocs()
	for b.Loop() {
		bt.Split(2)
	}
}

// TestColumns checks that Columns over PartRange's ranges gives Part's
// sub-batches (and so a fresh Pack of their indices), and that a range
// outside the batch panics.
func TestColumns(t *testing.T) {
	ds := randomDataset(6, 17, 11, 4)
	idx := rand.New(rand.NewPCG(3, 4)).Perm(len(ds.Seqs))
	b := Pack(ds, idx)
	for _, n := range []int{2, 3, 5, 17} {
		for i := 0; i < n; i++ {
			lo, hi := PartRange(b.B, i, n)
			if c, p := b.Columns(lo, hi), b.Part(i, n); !reflect.DeepEqual(c, p) {
				t.Fatalf("Columns(%d, %d) differs from Part(%d, %d)", lo, hi, i, n)
			}
		}
	}
	for _, r := range [][2]int{{-1, 2}, {3, 3}, {0, b.B + 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Columns(%d, %d) of %d columns did not panic", r[0], r[1], b.B)
				}
			}()
			b.Columns(r[0], r[1])
		}()
	}
}
