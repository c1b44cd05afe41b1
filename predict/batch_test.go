package predict

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// poissonData simulates nSeq marked Poisson sequences of nEv events.
func poissonData(r *rand.Rand, rates []float64, nSeq, nEv int) *data.Dataset {
	tot := 0.0
	for _, v := range rates {
		tot += v
	}
	ds := &data.Dataset{Name: "poisson", NumTypes: len(rates)}
	for s := 0; s < nSeq; s++ {
		seq := data.Sequence{ID: strconv.Itoa(s)}
		t := 0.0
		for i := 0; i < nEv; i++ {
			t += r.ExpFloat64() / tot
			u := r.Float64() * tot
			k := 0
			for k < len(rates)-1 && u >= rates[k] {
				u -= rates[k]
				k++
			}
			seq.Times = append(seq.Times, t)
			seq.Types = append(seq.Types, k)
		}
		seq.End = t
		ds.Seqs = append(ds.Seqs, seq)
	}
	return ds
}

// TestDrawRMSE checks the property behind EasyTPP's inflated RMSE: for a
// Poisson process with the true model, the mean predictor has RMSE = sd =
// 1/λ and a single independent draw has RMSE = √2/λ.
func TestDrawRMSE(t *testing.T) {
	rates := []float64{0.5, 1.5}
	nSeq := 200
	if testing.Short() {
		nSeq = 100
	}
	ds := poissonData(rand.New(rand.NewPCG(41, 42)), rates, nSeq, 100)
	m := &poisson{rates}
	rows, err := Dataset(m, ds, Options{Draw: true, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(rows)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != nSeq*100 {
		t.Fatalf("%d rows, want %d", s.N, nSeq*100)
	}
	near(t, "RMSE of the mean", s.RMSEMean, 0.5, 0.025)
	ratio := s.RMSEDraw / s.RMSEMean
	if ratio < 1.33 || ratio > 1.50 {
		t.Errorf("draw/mean RMSE ratio %.4f, want ≈ √2 = 1.414", ratio)
	}
	// Marks: both predictors say type 1, right 75% of the time.
	near(t, "accuracy", s.Accuracy, 0.75, 0.02)
	if s.AccuracyDraw != s.Accuracy {
		t.Errorf("draw accuracy %g differs from argmax accuracy %g for constant rates", s.AccuracyDraw, s.Accuracy)
	}
	if s.TopK != 2 || s.TopKAccuracy != 1 {
		t.Errorf("top-%d accuracy %g, want top-2 = 1", s.TopK, s.TopKAccuracy)
	}
	t.Logf("RMSE mean %.4f median %.4f draw %.4f (ratio %.4f); MAE mean %.4f median %.4f", s.RMSEMean, s.RMSEMedian, s.RMSEDraw, ratio, s.MAEMean, s.MAEMedian)
	// The median minimises MAE: MAE(median) < MAE(mean) for exponentials.
	if !(s.MAEMedian < s.MAEMean) {
		t.Errorf("MAE of median %g not below MAE of mean %g", s.MAEMedian, s.MAEMean)
	}
}

func TestDatasetDeterministicAndConventions(t *testing.T) {
	h := testHawkes()
	r := rand.New(rand.NewPCG(51, 52))
	ds := &data.Dataset{Name: "hawkes", NumTypes: 2}
	for s := 0; s < 6; s++ {
		seq := h.simulate(r, 15)
		seq.ID = "s" + strconv.Itoa(s)
		ds.Seqs = append(ds.Seqs, seq)
	}
	one, err := Dataset(h, ds, Options{Draw: true, Seed: 3, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	two, err := Dataset(h, ds, Options{Draw: true, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, two) {
		t.Error("rows depend on the number of workers")
	}
	// Full: one row per event, in order; EasyTPP drops event 0.
	want := ds.NumEvents()
	if len(one) != want {
		t.Errorf("full convention: %d rows for %d events", len(one), want)
	}
	easy, err := Dataset(h, ds, Options{Convention: likelihood.EasyTPP})
	if err != nil {
		t.Fatal(err)
	}
	if len(easy) != want-len(ds.Seqs) {
		t.Errorf("easytpp convention: %d rows, want %d", len(easy), want-len(ds.Seqs))
	}
	i := 0
	for si, seq := range ds.Seqs {
		for e := range seq.Times {
			row := one[i]
			prev := seq.Start
			if e > 0 {
				prev = seq.Times[e-1]
			}
			if row.Seq != si || row.Index != e || row.SeqID != seq.ID || row.TrueDt != seq.Times[e]-prev || row.TrueMark != seq.Types[e] {
				t.Fatalf("row %d = %+v, want seq %d event %d", i, row, si, e)
			}
			i++
		}
	}
	// The row's numbers are Analyze's on the same prefix.
	pr, _ := Analyze(h.NextAfter(&ds.Seqs[2], 3), Options{})
	for _, row := range one {
		if row.Seq == 2 && row.Index == 3 {
			if row.Mean != pr.Mean || row.Median != pr.Median || row.Mark != pr.Mark {
				t.Errorf("row %+v differs from Analyze %+v", row, pr)
			}
		}
	}
}

func TestBatchErrors(t *testing.T) {
	m := &poisson{[]float64{1, 1}}
	bad := &data.Dataset{Name: "bad", NumTypes: 2, Seqs: []data.Sequence{{ID: "x", Times: []float64{1, 0.5}, Types: []int{0, 0}, End: 1}}}
	_, err := Dataset(m, bad, Options{})
	if err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), "times[1]") {
		t.Errorf("error %v should name the sequence and the field", err)
	}
	_, err = Dataset(m, &data.Dataset{Name: "k3", NumTypes: 3}, Options{})
	if err == nil {
		t.Error("type-count mismatch accepted")
	}
	if _, err := Summarize(nil); err == nil {
		t.Error("empty summary accepted")
	}
}

func TestWriteCSVFile(t *testing.T) {
	ds := poissonData(rand.New(rand.NewPCG(1, 2)), []float64{1, 2}, 2, 3)
	rows, err := Dataset(&poisson{[]float64{1, 2}}, ds, Options{Draw: true})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pred.csv")
	if err := WriteCSVFile(p, rows); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rows)+1 || !reflect.DeepEqual(recs[0], CSVHeader) {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	mean, _ := strconv.ParseFloat(recs[1][5], 64)
	if math.Abs(mean-1.0/3) > 1e-9 || recs[1][8] != "1;0" {
		t.Errorf("first row %v", recs[1])
	}
}
