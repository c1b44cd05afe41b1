package data

import "testing"

func TestApplyOrigin(t *testing.T) {
	ds := &Dataset{NumTypes: 2, Seqs: []Sequence{
		{Times: []float64{150000.5, 150001}, Types: []int{0, 1}, Start: 0, End: 150001},
		{Times: []float64{3, 4}, Types: []int{0, 1}, Start: 2, End: 5}, // explicit window: kept
		{Times: []float64{0, 1}, Types: []int{0, 1}, Start: 0, End: 1}, // already at 0
		{Start: 0, End: 0},
	}}
	if n := ds.ApplyOrigin(OriginZero); n != 0 || ds.Seqs[0].Start != 0 {
		t.Fatal("zero origin changed a window")
	}
	if n := ds.ApplyOrigin(OriginFirstEvent); n != 1 {
		t.Fatalf("changed %d sequences, want 1", n)
	}
	if ds.Seqs[0].Start != 150000.5 || ds.Seqs[0].Times[0] != 150000.5 || ds.Seqs[1].Start != 2 {
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
