package data

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Statistics of a small data set worked out by hand.
func TestComputeStatsByHand(t *testing.T) {
	ds := &Dataset{NumTypes: 4, TypeNames: []string{"a", "b", "c", "d"}, Seqs: []Sequence{
		{Times: []float64{0.5, 1, 1, 4}, Types: []int{0, 1, 1, 2}, End: 4},
		{Times: []float64{2}, Types: []int{0}, End: 2},
		{Times: []float64{}, Types: []int{}, End: 3},
	}}
	got := ComputeStats(ds)
	want := Stats{
		NumSequences: 3, NumEvents: 5, NumTypes: 4,
		SeqLenMean: 5.0 / 3, SeqLenMin: 0, SeqLenMax: 4, EmptySequences: 1,
		NumGaps: 3, GapMean: 3.5 / 3, GapMedian: 0.5, GapMax: 3, Ties: 1,
		TimeMin: 0.5, TimeMax: 4, WindowMean: 3,
		EventsPerType: []int{2, 2, 1, 0}, TypeNames: []string{"a", "b", "c", "d"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// Even number of gaps (1, 3, 5, 1): median is the mean of the middle two.
	ds2 := &Dataset{NumTypes: 1, Seqs: []Sequence{{Times: []float64{0, 1, 4, 9, 10}, Types: []int{0, 0, 0, 0, 0}, End: 10}}}
	if g := ComputeStats(ds2); g.GapMedian != 2 || g.GapMean != 2.5 || g.GapMax != 5 {
		t.Errorf("gaps 1,3,5,1: median %v mean %v max %v", g.GapMedian, g.GapMean, g.GapMax)
	}
}

func TestSplitStatsJSON(t *testing.T) {
	splits := map[string]*Dataset{
		"train": {NumTypes: 2, Seqs: []Sequence{{Times: []float64{1, 2}, Types: []int{0, 1}, End: 2}}},
		"test":  {NumTypes: 2, Seqs: []Sequence{{Times: []float64{1}, Types: []int{1}, End: 1}, {Times: []float64{3, 3}, Types: []int{0, 0}, End: 3}}},
	}
	st := ComputeSplitStats(splits)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["num_sequences"] != 3.0 || m["num_events"] != 5.0 || m["num_types"] != 2.0 || m["ties"] != 1.0 {
		t.Fatalf("totals wrong: %s", b)
	}
	sp := m["splits"].(map[string]any)
	if sp["train"].(map[string]any)["num_events"] != 2.0 || sp["test"].(map[string]any)["num_sequences"] != 2.0 {
		t.Fatalf("splits wrong: %s", b)
	}
	var text bytes.Buffer
	if err := st.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"split train", "split test", "all splits (train, test)", "ties (zero gaps)"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text output lacks %q:\n%s", s, text.String())
		}
	}
}
