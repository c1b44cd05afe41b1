package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestOTDByHand(t *testing.T) {
	a := []Event{{1, 0}}
	b := []Event{{1.5, 0}}
	near(t, "OTD C=1", OTD(a, b, 1), 0.5, 1e-15)     // move 0.5 < delete+insert 2
	near(t, "OTD C=0.1", OTD(a, b, 0.1), 0.2, 1e-15) // delete+insert 0.2 < move 0.5
	// Different types can never be matched: cost 2C.
	near(t, "OTD types", OTD([]Event{{1, 0}}, []Event{{1, 1}}, 0.7), 1.4, 1e-15)
	// Empty against n events costs n·C.
	near(t, "OTD empty", OTD(nil, []Event{{1, 0}, {2, 1}, {3, 0}}, 0.5), 1.5, 1e-15)
	// Two events each: {1,3} vs {2,10}, one type, C = 2:
	// options: 1-2 (1) + 3-10 (7) = 8; 1-2 (1) + delete 3 + insert 10 = 5;
	// 3-2 (1) + delete 1 + insert 10 = 5; all deleted/inserted = 8. Min = 5.
	near(t, "OTD two", OTD([]Event{{1, 0}, {3, 0}}, []Event{{2, 0}, {10, 0}}, 2), 5, 1e-15)
	// Order of the input does not matter (the DP sorts per type).
	near(t, "OTD unsorted", OTD([]Event{{3, 0}, {1, 0}}, []Event{{10, 0}, {2, 0}}, 2), 5, 1e-15)
	// Averaged over the default costs {0.05,0.5,1,1.5,2,3,4} for the first
	// example: min(0.5, 2C) = 0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 -> 3.1/7.
	near(t, "OTD mean", OTDMean(a, b, nil), 3.1/7, 1e-15)
}

// bruteOTD minimises over every partial matching (crossing ones included)
// of same-type events.
func bruteOTD(a, b []Event, c float64) float64 {
	used := make([]bool, len(b))
	var rec func(i int) float64
	rec = func(i int) float64 {
		if i == len(a) {
			n := 0
			for _, u := range used {
				if !u {
					n++
				}
			}
			return c * float64(n)
		}
		best := c + rec(i+1) // a[i] deleted
		for j := range b {
			if !used[j] && b[j].Type == a[i].Type {
				used[j] = true
				best = math.Min(best, math.Abs(a[i].Time-b[j].Time)+rec(i+1))
				used[j] = false
			}
		}
		return best
	}
	return rec(0)
}

func randEvents(r *rand.Rand, n, k int) []Event {
	ev := make([]Event, n)
	for i := range ev {
		ev[i] = Event{Time: math.Round(r.Float64()*40) / 8, Type: r.IntN(k)}
	}
	return ev
}

func TestOTDProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 400; it++ {
		k := 1 + r.IntN(2)
		a := randEvents(r, r.IntN(6), k)
		b := randEvents(r, r.IntN(6), k)
		d := randEvents(r, r.IntN(6), k)
		c := []float64{0.05, 0.3, 1, 4}[r.IntN(4)]
		ab := OTD(a, b, c)
		if bf := bruteOTD(a, b, c); math.Abs(ab-bf) > 1e-12 {
			t.Fatalf("OTD %v vs %v (C=%g) = %g, brute force %g", a, b, c, ab, bf)
		}
		if ba := OTD(b, a, c); math.Abs(ab-ba) > 1e-12 {
			t.Fatalf("not symmetric: %g vs %g", ab, ba)
		}
		if aa := OTD(a, a, c); aa != 0 {
			t.Fatalf("OTD(a, a) = %g", aa)
		}
		if ad, db := OTD(a, d, c), OTD(d, b, c); ab > ad+db+1e-12 {
			t.Fatalf("triangle inequality: d(a,b)=%g > d(a,d)+d(d,b)=%g", ab, ad+db)
		}
	}
}

func TestMeanOTDErrors(t *testing.T) {
	if _, err := MeanOTD([]HorizonCase{{True: []Event{{math.NaN(), 0}}}}, nil); err == nil {
		t.Error("NaN time accepted")
	}
	if _, err := MeanOTD([]HorizonCase{{}}, []float64{0}); err == nil {
		t.Error("zero cost accepted")
	}
	v, err := MeanOTD([]HorizonCase{{Pred: []Event{{1, 0}}, True: []Event{{1.5, 0}}}, {}}, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mean OTD", v, 0.25, 1e-15) // (0.5 + 0)/2
}
