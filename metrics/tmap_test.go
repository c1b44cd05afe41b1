package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The worked example of the T-mAP documentation, K = 2, horizon 10 from 0.
//
//	true: (1, a) (5, a) (3, b)
//	pred: p1 1.2 [.9 .1]  p2 4.0 [.6 .4]  p3 3.5 [.2 .8]  p4 8.0 [.7 .3]
func exampleCase() HorizonCase {
	return HorizonCase{
		Start: 0,
		True:  []Event{{1, 0}, {5, 0}, {3, 1}},
		Pred:  []Event{{1.2, 0}, {4.0, 0}, {3.5, 1}, {8.0, 0}},
		PredScores: [][]float64{
			{0.9, 0.1}, {0.6, 0.4}, {0.2, 0.8}, {0.7, 0.3},
		},
	}
}

func TestTMAPByHand(t *testing.T) {
	// δ = 1, mark a: allowed pairs p1-1 (0.2) and p2-5 (1.0, boundary
	// included); both matched. Ranking by score a: p1 .9 TP, p4 .7 FP,
	// p2 .6 TP, p3 .2 FP; N_a = 2:
	//   AP_a = 1/2·1/1 + 1/2·2/3 = 5/6.
	// Mark b: target 3 can take p2 (|4-3| = 1, score .4) or p3 (0.5, .8);
	// the larger score wins: p3. Ranking by b: p3 .8 TP first -> AP_b = 1.
	// T-mAP(1) = (5/6 + 1)/2 = 11/12; weighted = (2·5/6 + 1·1)/3 = 8/9.
	//
	// δ = 0.3: a: only p1-1 -> AP_a = 1/2·1 = 1/2. b: nothing within 0.3
	// -> AP_b = 0. T-mAP(0.3) = 1/4; weighted = (2·1/2)/3 = 1/3.
	res, err := TMAP([]HorizonCase{exampleCase()}, TMAPConfig{Horizon: 10, Deltas: []float64{0.3, 1}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AP_a δ=1", res.AP[1][0], 5.0/6, 1e-15)
	near(t, "AP_b δ=1", res.AP[1][1], 1, 1e-15)
	near(t, "T-mAP δ=1", res.PerDelta[1], 11.0/12, 1e-15)
	near(t, "T-mAP δ=0.3", res.PerDelta[0], 0.25, 1e-15)
	near(t, "T-mAP", res.TMAP, (11.0/12+0.25)/2, 1e-15)
	near(t, "weighted", res.Weighted, (8.0/9+1.0/3)/2, 1e-15)
	if res.Targets[0] != 2 || res.Targets[1] != 1 {
		t.Errorf("targets %v, want [2 1]", res.Targets)
	}

	// Horizon 4.5 drops true (5,a) and p4 (8.0): at δ = 1, mark a has
	// N_a = 1, p1 matched; ranking p1 .9 TP, p2 .6, p3 .2 -> AP_a = 1.
	res, err = TMAP([]HorizonCase{exampleCase()}, TMAPConfig{Horizon: 4.5, Deltas: []float64{1}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "AP_a horizon 4.5", res.AP[0][0], 1, 1e-15)
	near(t, "T-mAP horizon 4.5", res.TMAP, 1, 1e-15)
}

func TestTMAPCardinalityFirst(t *testing.T) {
	// True a at 0 and 1; p (0.5, score .9) may match either, q (1.5, .1)
	// only the one at 1 (δ = 0.6). Matching p to 1 would leave q and 0
	// unmatched; the maximum matching is p-0, q-1: both TPs, AP = 1.
	c := HorizonCase{
		True:       []Event{{0, 0}, {1, 0}},
		Pred:       []Event{{0.5, 0}, {1.5, 0}},
		PredScores: [][]float64{{0.9}, {0.1}},
	}
	res, err := TMAP([]HorizonCase{c}, TMAPConfig{Deltas: []float64{0.6}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "T-mAP", res.TMAP, 1, 1e-15)
}

func TestTMAPTiesAndDefaults(t *testing.T) {
	// Without scores every prediction scores 0 for its own mark: one tie
	// group. True a at 0, 10; predictions a at 0.1 (hit), 20 (miss), 30
	// (miss): the group has precision 1/3 and recall 1/2 -> AP = 1/6.
	c := HorizonCase{True: []Event{{0, 0}, {10, 0}}, Pred: []Event{{0.1, 0}, {20, 0}, {30, 0}}}
	res, err := TMAP([]HorizonCase{c}, TMAPConfig{Deltas: []float64{1}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "tied AP", res.TMAP, 1.0/6, 1e-15)
	// With K = 3 declared, the two marks without true events count as
	// AP = 0 (HoTPP), unless PresentOnly.
	res, _ = TMAP([]HorizonCase{c}, TMAPConfig{Deltas: []float64{1}, NumTypes: 3})
	near(t, "T-mAP over 3 marks", res.TMAP, 1.0/18, 1e-15)
	res, _ = TMAP([]HorizonCase{c}, TMAPConfig{Deltas: []float64{1}, NumTypes: 3, PresentOnly: true})
	near(t, "T-mAP present only", res.TMAP, 1.0/6, 1e-15)
	// Errors.
	if _, err := TMAP([]HorizonCase{c}, TMAPConfig{}); err == nil {
		t.Error("missing deltas accepted")
	}
	bad := exampleCase()
	bad.PredScores[2][1] = math.NaN()
	if _, err := TMAP([]HorizonCase{bad}, TMAPConfig{Deltas: []float64{1}}); err == nil {
		t.Error("NaN score accepted")
	}
	if _, err := TMAP([]HorizonCase{{Pred: []Event{{1, 0}}}}, TMAPConfig{Deltas: []float64{1}}); err == nil {
		t.Error("no true events accepted")
	}
}

// bruteMatch enumerates every matching of left i to right j (allowed edges
// only) and returns the best under (max cardinality, then min cost).
func bruteMatch(n, m int, cost func(i, j int) (float64, bool)) (card int, total float64) {
	used := make([]bool, m)
	card, total = -1, 0
	var rec func(i, k int, s float64)
	rec = func(i, k int, s float64) {
		if i == n {
			if k > card || (k == card && s < total-1e-12) {
				card, total = k, s
			}
			return
		}
		rec(i+1, k, s)
		for j := 0; j < m; j++ {
			if c, ok := cost(i, j); ok && !used[j] {
				used[j] = true
				rec(i+1, k+1, s+c)
				used[j] = false
			}
		}
	}
	rec(0, 0, 0)
	return card, total
}

func TestMatchingAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 2000; it++ {
		n, m := r.IntN(6), r.IntN(6)
		c := make([]float64, n*m)
		ok := make([]bool, n*m)
		for i := range c {
			c[i] = r.NormFloat64()
			ok[i] = r.Float64() < 0.6
		}
		cost := func(i, j int) (float64, bool) { return c[i*m+j], ok[i*m+j] }
		match := maxMinCostMatching(n, m, cost)
		card, total := 0, 0.0
		seen := map[int]bool{}
		for i, j := range match {
			if j < 0 {
				continue
			}
			if seen[j] {
				t.Fatalf("right node %d matched twice", j)
			}
			seen[j] = true
			v, e := cost(i, j)
			if !e {
				t.Fatalf("forbidden edge %d-%d used", i, j)
			}
			card++
			total += v
		}
		bc, bt := bruteMatch(n, m, cost)
		if card != bc || math.Abs(total-bt) > 1e-9 {
			t.Fatalf("it %d (%dx%d): matching size %d cost %g, brute force %d cost %g", it, n, m, card, total, bc, bt)
		}
	}
}

// refTMAP is an independent T-mAP for a single δ and distinct scores: brute
// force matching per case and mark, then AP = (1/N_k) Σ_{ranked TPs}
// precision@rank.
func refTMAP(cases []HorizonCase, k int, delta float64) float64 {
	type pr struct {
		s  float64
		tp bool
	}
	sum := 0.0
	for m := 0; m < k; m++ {
		var all []pr
		nTrue := 0
		for _, c := range cases {
			var tt []float64
			for _, e := range c.True {
				if e.Type == m {
					tt = append(tt, e.Time)
				}
			}
			nTrue += len(tt)
			// Enumerate all matchings of this case and keep the best.
			best := map[int]bool{}
			bestCard, bestScore := -1, math.Inf(-1)
			used := map[int]bool{}
			cur := map[int]bool{}
			var rec func(i, card int, s float64)
			rec = func(i, card int, s float64) {
				if i == len(tt) {
					if card > bestCard || (card == bestCard && s > bestScore) {
						bestCard, bestScore = card, s
						best = map[int]bool{}
						for p := range cur {
							best[p] = true
						}
					}
					return
				}
				rec(i+1, card, s)
				for p := range c.Pred {
					if !used[p] && math.Abs(c.Pred[p].Time-tt[i]) <= delta {
						used[p], cur[p] = true, true
						rec(i+1, card+1, s+c.PredScores[p][m])
						delete(used, p)
						delete(cur, p)
					}
				}
			}
			rec(0, 0, 0)
			for p := range c.Pred {
				all = append(all, pr{c.PredScores[p][m], best[p]})
			}
		}
		if nTrue == 0 {
			continue
		}
		// Insertion sort by score, descending.
		for i := 1; i < len(all); i++ {
			for j := i; j > 0 && all[j].s > all[j-1].s; j-- {
				all[j], all[j-1] = all[j-1], all[j]
			}
		}
		ap, tp := 0.0, 0
		for r, p := range all {
			if p.tp {
				tp++
				ap += float64(tp) / float64(r+1)
			}
		}
		sum += ap / float64(nTrue)
	}
	return sum / float64(k)
}

func TestTMAPAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 300; it++ {
		k := 1 + r.IntN(3)
		nc := 1 + r.IntN(3)
		cases := make([]HorizonCase, nc)
		anyTrue := false
		for ci := range cases {
			c := &cases[ci]
			c.True = randEvents(r, r.IntN(4), k)
			c.Pred = randEvents(r, r.IntN(5), k)
			c.PredScores = make([][]float64, len(c.Pred))
			for p := range c.Pred {
				s := make([]float64, k)
				for m := range s {
					s[m] = math.Log(r.Float64()) // distinct with probability 1
				}
				c.PredScores[p] = s
			}
			anyTrue = anyTrue || len(c.True) > 0
		}
		if !anyTrue {
			continue
		}
		delta := []float64{0.1, 0.5, 2}[r.IntN(3)]
		res, err := TMAP(cases, TMAPConfig{Deltas: []float64{delta}, NumTypes: k})
		if err != nil {
			t.Fatal(err)
		}
		if want := refTMAP(cases, k, delta); math.Abs(res.TMAP-want) > 1e-12 {
			t.Fatalf("it %d: T-mAP %g, reference %g", it, res.TMAP, want)
		}
	}
}
