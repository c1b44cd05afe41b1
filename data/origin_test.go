package data

import (
	"strings"
	"testing"
)

func TestApplyOrigin(t *testing.T) {
	ds := &Dataset{NumTypes: 2, Seqs: []Sequence{
		{Times: []float64{150000.5, 150001}, Types: []int{0, 1}, Start: 0, End: 150001},
		{Times: []float64{3, 4}, Types: []int{0, 1}, Start: 0, End: 5, StartGiven: true}, // explicit start: kept
		{Times: []float64{0, 1}, Types: []int{0, 1}, Start: 0, End: 1},                   // already at 0
		{Start: 0, End: 0},
	}}
	if n := ds.ApplyOrigin(OriginZero); n != 0 || ds.Seqs[0].Start != 0 {
		t.Fatal("zero origin changed a window")
	}
	if n := ds.ApplyOrigin(OriginFirstEvent); n != 1 {
		t.Fatalf("changed %d sequences, want 1", n)
	}
	if ds.Seqs[0].Start != 150000.5 || ds.Seqs[0].Times[0] != 150000.5 || ds.Seqs[1].Start != 0 {
		t.Fatalf("windows %+v", ds.Seqs)
	}
	for i := range ds.Seqs {
		if err := ds.Seqs[i].Validate(2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ParseOrigin("middle"); err == nil {
		t.Fatal("bad origin accepted")
	}
}

// TestApplyOriginReadFromFile: a JSONL line with an explicit "start": 0
// keeps its window; one without a start moves to its first event.
func TestApplyOriginReadFromFile(t *testing.T) {
	in := `{"times":[5,6],"types":[0,1],"start":0,"end":10}` + "\n" + `{"times":[150000,150002],"types":[1,0]}` + "\n"
	ds, err := ReadJSONL(strings.NewReader(in), ReadOptions{File: "x.jsonl", NumTypes: 2})
	if err != nil {
		t.Fatal(err)
	}
	ds.ApplyOrigin(OriginFirstEvent)
	if ds.Seqs[0].Start != 0 || ds.Seqs[1].Start != 150000 || ds.Seqs[1].End != 150002 {
		t.Fatalf("windows after ApplyOrigin: [%v,%v] [%v,%v]", ds.Seqs[0].Start, ds.Seqs[0].End, ds.Seqs[1].Start, ds.Seqs[1].End)
	}
}
