package metrics

import (
	"fmt"
	"math"
	"sort"
)

// TMAPConfig configures T-mAP.
//
// HoTPP's per-dataset settings (experiments/*/configs/default.yaml of
// ivan-chai/hotpp-benchmark) are, as (Horizon, Deltas): StackOverflow (10,
// [2]), Amazon (10, [2]), Retweet (180, [30]), MIMIC-IV (28, [4]),
// Transactions/AgePred (7, [2]).
type TMAPConfig struct {
	// Horizon keeps events with Time - Start < Horizon, for predictions and
	// truths alike. Zero or negative keeps every event.
	Horizon float64
	// Deltas are the time tolerances δ: a prediction can only match a true
	// event of the same mark with |t_pred - t_true| <= δ. T-mAP is the mean
	// over Deltas. Required.
	Deltas []float64
	// NumTypes is the number of marks K. Zero infers it from the score
	// vectors and the marks seen.
	NumTypes int
	// PresentOnly averages AP over the marks with at least one true event in
	// the horizon. The default (false) averages over all K marks, a mark
	// with no true event counting as AP = 0, as HoTPP does.
	PresentOnly bool
}

// TMAPResult holds T-mAP and its parts.
type TMAPResult struct {
	// TMAP is the mean over Deltas of the mean over marks of AP.
	TMAP float64 `json:"tmap"`
	// Weighted is the mean over Deltas of Σ_k AP_k·N_k / Σ_k N_k (HoTPP's
	// "T-mAP-weighted").
	Weighted float64 `json:"tmap_weighted"`
	// PerDelta[d] is the mean AP for Deltas[d].
	PerDelta []float64 `json:"per_delta"`
	// AP[d][k] is the average precision of mark k at Deltas[d].
	AP [][]float64 `json:"ap"`
	// Targets[k] is the number of true events of mark k in the horizon.
	Targets []int `json:"targets"`
}

// TMAP computes the Temporal mean Average Precision of the HoTPP benchmark
// (Karpukhin, Shipilov & Savchenko, 2024) over long-horizon cases. The
// definition, per tolerance δ and mark k:
//
//  1. In each case, keep predictions and true events inside the horizon.
//  2. Match, in each case separately, predicted events to the true events of
//     mark k one-to-one, a pair being allowed when |t_pred - t_true| <= δ and
//     the prediction's score for k is finite. The matching has the largest
//     possible number of pairs and, among those, the largest total score
//     for k.
//  3. Pool every prediction of every case, rank them by their score for k,
//     and compute average precision with matched predictions as true
//     positives and recall measured against all N_k true events of mark k:
//     AP_k = Σ_thresholds ΔRecall · Precision, a threshold per distinct
//     score (tied scores enter together, so AP does not depend on the order
//     of ties). Unmatched true events cap the reachable recall below 1.
//
// T-mAP is the mean over marks (see PresentOnly), then over δ.
//
// Two documented departures from HoTPP's code (hotpp/metrics/tmap.py): (a)
// HoTPP solves step 2 as one linear assignment in which a forbidden pair
// costs (largest cost in the batch) + 2, which is a batch-dependent weighting
// of cardinality against score; here cardinality comes strictly first, which
// is the limit of that weighting and does not depend on batching. (b) HoTPP
// sets AP_k = 0 when every prediction is matched for mark k; here it is the
// ordinary AP (= reachable recall, precision being 1 throughout). Both only
// matter in corner cases; on predictions with distinct scores they agree
// otherwise.
func TMAP(cases []HorizonCase, cfg TMAPConfig) (TMAPResult, error) {
	var res TMAPResult
	if len(cases) == 0 {
		return res, fmt.Errorf("tmap: %w: no cases", ErrMissing)
	}
	if len(cfg.Deltas) == 0 {
		return res, fmt.Errorf("tmap: %w: TMAPConfig.Deltas", ErrMissing)
	}
	for i, d := range cfg.Deltas {
		if !(d >= 0) || math.IsInf(d, 0) {
			return res, fmt.Errorf("tmap: Deltas[%d] = %v, want a finite number >= 0", i, d)
		}
	}
	k := cfg.NumTypes
	if k <= 0 {
		for _, c := range cases {
			for _, s := range c.PredScores {
				k = max(k, len(s))
			}
			for _, e := range c.True {
				k = max(k, e.Type+1)
			}
			for _, e := range c.Pred {
				k = max(k, e.Type+1)
			}
		}
	}
	if k <= 0 {
		return res, fmt.Errorf("tmap: cannot infer the number of marks (no events)")
	}

	// Filter to the horizon and gather the pooled predictions.
	type kept struct {
		predT   []float64
		predIdx []int // into pooled
		trueT   [][]float64
	}
	var pooled [][]float64 // pooled[p][k] score
	cs := make([]kept, len(cases))
	targets := make([]int, k)
	inH := func(t, start float64) bool { return cfg.Horizon <= 0 || t-start < cfg.Horizon }
	for ci := range cases {
		c := &cases[ci]
		if err := checkEvents(c.True, ci, "True"); err != nil {
			return res, err
		}
		if err := checkEvents(c.Pred, ci, "Pred"); err != nil {
			return res, err
		}
		if c.PredScores != nil && len(c.PredScores) != len(c.Pred) {
			return res, fmt.Errorf("case %d field PredScores: %d score vectors for %d predictions", ci, len(c.PredScores), len(c.Pred))
		}
		cs[ci].trueT = make([][]float64, k)
		for j, e := range c.True {
			if e.Type >= k {
				return res, fmt.Errorf("case %d field True[%d].Type: mark %d >= NumTypes %d", ci, j, e.Type, k)
			}
			if inH(e.Time, c.Start) {
				cs[ci].trueT[e.Type] = append(cs[ci].trueT[e.Type], e.Time)
				targets[e.Type]++
			}
		}
		for j, e := range c.Pred {
			if !inH(e.Time, c.Start) {
				continue
			}
			s := make([]float64, k)
			if c.PredScores == nil {
				if e.Type >= k {
					return res, fmt.Errorf("case %d field Pred[%d].Type: mark %d >= NumTypes %d", ci, j, e.Type, k)
				}
				for m := range s {
					s[m] = math.Inf(-1)
				}
				s[e.Type] = 0
			} else {
				if len(c.PredScores[j]) != k {
					return res, fmt.Errorf("case %d field PredScores[%d]: %d scores, want %d", ci, j, len(c.PredScores[j]), k)
				}
				for m, v := range c.PredScores[j] {
					if math.IsNaN(v) || math.IsInf(v, 1) {
						return res, fmt.Errorf("case %d field PredScores[%d][%d]: %v (want a finite score or -Inf)", ci, j, m, v)
					}
					s[m] = v
				}
			}
			cs[ci].predT = append(cs[ci].predT, e.Time)
			cs[ci].predIdx = append(cs[ci].predIdx, len(pooled))
			pooled = append(pooled, s)
		}
	}
	totalTargets := 0
	for _, n := range targets {
		totalTargets += n
	}
	if totalTargets == 0 {
		return res, fmt.Errorf("tmap: no true event falls inside the horizon")
	}

	matched := make([]bool, len(pooled))
	res.Targets = targets
	res.PerDelta = make([]float64, len(cfg.Deltas))
	res.AP = make([][]float64, len(cfg.Deltas))
	for di, delta := range cfg.Deltas {
		aps := make([]float64, k)
		for m := 0; m < k; m++ {
			if targets[m] == 0 {
				continue
			}
			clear(matched)
			for ci := range cs {
				tt := cs[ci].trueT[m]
				if len(tt) == 0 || len(cs[ci].predT) == 0 {
					continue
				}
				pt := cs[ci].predT
				pidx := cs[ci].predIdx
				match := maxMinCostMatching(len(tt), len(pt), func(i, j int) (float64, bool) {
					s := pooled[pidx[j]][m]
					if math.IsInf(s, -1) || math.Abs(pt[j]-tt[i]) > delta {
						return 0, false
					}
					return -s, true
				})
				for _, j := range match {
					if j >= 0 {
						matched[pidx[j]] = true
					}
				}
			}
			aps[m] = averagePrecision(pooled, m, matched, targets[m])
		}
		res.AP[di] = aps
		sum, wsum, n := 0.0, 0.0, 0
		for m := 0; m < k; m++ {
			if cfg.PresentOnly && targets[m] == 0 {
				continue
			}
			sum += aps[m]
			wsum += aps[m] * float64(targets[m])
			n++
		}
		res.PerDelta[di] = sum / float64(n)
		res.TMAP += res.PerDelta[di]
		res.Weighted += wsum / float64(totalTargets)
	}
	res.TMAP /= float64(len(cfg.Deltas))
	res.Weighted /= float64(len(cfg.Deltas))
	return res, nil
}

// averagePrecision ranks the pooled predictions by their score for mark m
// and returns Σ ΔRecall·Precision over the distinct score thresholds, recall
// being relative to nTrue.
func averagePrecision(pooled [][]float64, m int, matched []bool, nTrue int) float64 {
	idx := make([]int, len(pooled))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return pooled[idx[a]][m] > pooled[idx[b]][m] })
	ap := 0.0
	tp, seen := 0, 0
	for a := 0; a < len(idx); {
		s := pooled[idx[a]][m]
		if math.IsInf(s, -1) {
			break // cannot be a true positive; adds nothing to AP
		}
		groupTP := 0
		b := a
		for ; b < len(idx) && pooled[idx[b]][m] == s; b++ {
			if matched[idx[b]] {
				groupTP++
			}
		}
		tp += groupTP
		seen += b - a
		if groupTP > 0 {
			ap += float64(groupTP) / float64(nTrue) * float64(tp) / float64(seen)
		}
		a = b
	}
	return ap
}

// maxMinCostMatching returns a bipartite matching (matchL[i] = right node or
// -1) between n left and m right nodes over the allowed edges given by cost
// (cost(i, j) returns the edge cost and whether the edge exists). The
// matching has maximum cardinality and, among those, minimum total cost.
//
// It runs successive shortest augmenting paths in the residual network
// s → left → right → t with Johnson potentials (Dijkstra on reduced costs,
// dense O(V²) per augmentation): after k augmentations the matching is a
// minimum-cost matching of size k, and the loop stops when no augmenting
// path is left, i.e. at maximum cardinality.
func maxMinCostMatching(n, m int, cost func(i, j int) (float64, bool)) []int {
	matchL := make([]int, n)
	matchR := make([]int, m)
	for i := range matchL {
		matchL[i] = -1
	}
	for j := range matchR {
		matchR[j] = -1
	}
	if n == 0 || m == 0 {
		return matchL
	}
	// Dense cost table, shifted to be >= 0 (a constant shift per edge does
	// not change which matching of a given size is cheapest).
	c := make([]float64, n*m)
	ok := make([]bool, n*m)
	lo := math.Inf(1)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			v, e := cost(i, j)
			c[i*m+j], ok[i*m+j] = v, e
			if e && v < lo {
				lo = v
			}
		}
	}
	if math.IsInf(lo, 1) {
		return matchL // no allowed edge
	}
	for i := range c {
		c[i] -= lo
	}
	V := n + m + 2
	s, t := 0, n+m+1
	L := func(i int) int { return 1 + i }
	R := func(j int) int { return 1 + n + j }
	pi := make([]float64, V)
	dist := make([]float64, V)
	prev := make([]int, V)
	done := make([]bool, V)
	inf := math.Inf(1)
	for {
		for v := range dist {
			dist[v], prev[v], done[v] = inf, -1, false
		}
		dist[s] = 0
		relax := func(u, v int, w float64) {
			if done[v] {
				return
			}
			if d := dist[u] + w + pi[u] - pi[v]; d < dist[v] {
				dist[v], prev[v] = d, u
			}
		}
		for {
			u := -1
			for v := 0; v < V; v++ {
				if !done[v] && dist[v] < inf && (u < 0 || dist[v] < dist[u]) {
					u = v
				}
			}
			if u < 0 {
				break
			}
			done[u] = true
			switch {
			case u == s:
				for i := 0; i < n; i++ {
					if matchL[i] < 0 {
						relax(s, L(i), 0)
					}
				}
			case u == t:
			case u <= n: // left node
				i := u - 1
				for j := 0; j < m; j++ {
					if ok[i*m+j] && matchL[i] != j {
						relax(u, R(j), c[i*m+j])
					}
				}
			default: // right node
				j := u - 1 - n
				if matchR[j] < 0 {
					relax(u, t, 0)
				} else {
					i := matchR[j]
					relax(u, L(i), -c[i*m+j])
				}
			}
		}
		if math.IsInf(dist[t], 1) {
			break
		}
		for v := range pi {
			pi[v] += math.Min(dist[v], dist[t])
		}
		// Augment along t ← R(j) ← L(i) ← [R(j') ← L(i') ...] ← s.
		v := prev[t]
		for {
			u := prev[v] // left node
			i, j := u-1, v-1-n
			matchL[i], matchR[j] = j, i
			v = prev[u]
			if v == s {
				break
			}
		}
	}
	return matchL
}
