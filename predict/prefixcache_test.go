package predict

import (
	"testing"

	"github.com/gotpp/gotpp/data"
)

// TestPrefixCache: cached states equal a direct fold over the prefix in any
// visiting order, after the sequence is edited, and after the fingerprint
// (parameters) changes.
func TestPrefixCache(t *testing.T) {
	var c PrefixCache[float64]
	calls := 0
	adv := func(s float64, k int, dt float64) float64 { calls++; return 0.5*s + float64(k) + dt }
	direct := func(seq *data.Sequence, i int, fp uint64) float64 {
		s := float64(fp)
		prev := seq.Start
		for j := 0; j < i; j++ {
			s = 0.5*s + float64(seq.Types[j]) + seq.Times[j] - prev
			prev = seq.Times[j]
		}
		return s
	}
	seq := &data.Sequence{Start: 1, Times: []float64{1.5, 2, 4, 4, 7}, Types: []int{0, 2, 1, 1, 0}, End: 8}
	check := func(i int, fp uint64) {
		t.Helper()
		got := c.State(seq, i, fp, func() float64 { return float64(fp) }, adv)
		if want := direct(seq, i, fp); got != want {
			t.Fatalf("prefix %d fp %d: %v, want %v", i, fp, got, want)
		}
	}
	for i := 0; i <= 5; i++ {
		check(i, 3)
	}
	if calls != 5 {
		t.Errorf("in-order visits made %d updates, want 5", calls)
	}
	check(2, 3)
	check(5, 3)
	seq.Times[2], seq.Types[3] = 3.5, 0 // edit in place
	check(5, 3)
	check(4, 9) // parameters changed
	other := &data.Sequence{Times: []float64{0.1}, Types: []int{1}, End: 1}
	if got := c.State(other, 1, 3, func() float64 { return 3 }, adv); got != direct(other, 1, 3) {
		t.Fatal("second sequence")
	}
	if Fingerprint([]float64{1, 2}) == Fingerprint([]float64{1, 2.0000001}) {
		t.Error("fingerprint ignores a changed value")
	}
}

// TestPrefixCacheWhole: states from one whole-sequence pass equal a direct
// fold over each prefix; the pass is reused for every event, after the
// sequence grows past the cached part, and is redone when an event before i
// or the fingerprint changes.
func TestPrefixCacheWhole(t *testing.T) {
	var c PrefixCache[float64]
	passes := 0
	fold := func(seq *data.Sequence, i int, fp uint64) float64 {
		s := float64(fp)
		prev := seq.Start
		for j := 0; j < i; j++ {
			s = 0.5*s + float64(seq.Types[j]) + seq.Times[j] - prev
			prev = seq.Times[j]
		}
		return s
	}
	var fp uint64 = 3
	all := func(seq *data.Sequence) []float64 {
		passes++
		out := make([]float64, seq.Len()+1)
		for i := range out {
			out[i] = fold(seq, i, fp)
		}
		return out
	}
	seq := &data.Sequence{Start: 1, Times: []float64{1.5, 2, 4, 4, 7}, Types: []int{0, 2, 1, 1, 0}, End: 8}
	check := func(i int) {
		t.Helper()
		if got, want := c.Whole(seq, i, fp, all), fold(seq, i, fp); got != want {
			t.Fatalf("event %d fp %d: %v, want %v", i, fp, got, want)
		}
	}
	for i := 5; i >= 0; i-- {
		check(i)
	}
	if passes != 1 {
		t.Errorf("%d passes for one sequence, want 1", passes)
	}
	seq.Times, seq.Types = append(seq.Times, 7.5), append(seq.Types, 1) // grew
	check(5)
	if passes != 1 {
		t.Errorf("a grown sequence re-encoded for an unchanged prefix (%d passes)", passes)
	}
	check(6)
	if passes != 2 {
		t.Errorf("new event not encoded (%d passes, want 2)", passes)
	}
	seq.Types[1] = 0 // edit before event 3
	check(3)
	check(1)
	fp = 9
	check(4)
	if passes != 4 {
		t.Errorf("%d passes after an edit and a parameter change, want 4", passes)
	}
}
