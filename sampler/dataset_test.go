package sampler

import (
	"strings"
	"testing"

	"github.com/gotpp/gotpp/model/hawkes"
)

func TestSplitCounts(t *testing.T) {
	for _, c := range []struct {
		n    int
		fr   [3]float64
		want [3]int
	}{
		{10, [3]float64{0.7, 0.1, 0.2}, [3]int{7, 1, 2}},
		{7, [3]float64{0.7, 0.1, 0.2}, [3]int{5, 1, 1}}, // 4.9, 0.7, 1.4: remainders .9, .7 win
		{3, [3]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, [3]int{1, 1, 1}},
		{5, [3]float64{1, 0, 0}, [3]int{5, 0, 0}},
	} {
		got, err := SplitCounts(c.n, c.fr)
		if err != nil || got != c.want {
			t.Errorf("SplitCounts(%d, %v) = %v, %v; want %v", c.n, c.fr, got, err, c.want)
		}
	}
	if _, err := SplitCounts(10, [3]float64{0.5, 0.1, 0.1}); err == nil || !strings.Contains(err.Error(), "sum") {
		t.Errorf("bad sum: %v", err)
	}
	if _, err := SplitCounts(10, [3]float64{1.2, -0.2, 0}); err == nil || !strings.Contains(err.Error(), "dev") {
		t.Errorf("negative fraction: %v", err)
	}
}

func TestHawkesDatasetSplits(t *testing.T) {
	m := hawkes.MustNew(truthParams)
	splits, err := HawkesDataset(m, DatasetOptions{Name: "x", Sequences: 20, Start: 0, End: 30, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(splits["train"].Seqs) != 14 || len(splits["dev"].Seqs) != 2 || len(splits["test"].Seqs) != 4 {
		t.Fatalf("split sizes %d/%d/%d", len(splits["train"].Seqs), len(splits["dev"].Seqs), len(splits["test"].Seqs))
	}
	// Sequence j of test is global sequence 16+j, drawn from stream 16+j.
	s, _ := Hawkes(m, 0, 30, NewRand(4, 17), 0)
	if got := splits["test"].Seqs[1]; got.ID != "17" || len(got.Times) != len(s.Times) || (len(s.Times) > 0 && got.Times[0] != s.Times[0]) {
		t.Errorf("test[1] is not global sequence 17")
	}
	for name, ds := range splits {
		if ds.NumTypes != 3 || ds.Name != "x" {
			t.Errorf("%s: NumTypes %d Name %q", name, ds.NumTypes, ds.Name)
		}
	}
	if _, err := PoissonDataset([]float64{1}, DatasetOptions{Sequences: 3, Start: 5, End: 5}); err == nil {
		t.Error("empty window accepted")
	}
}
