package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Event is one event of a long-horizon prediction or truth: an absolute time
// and a mark.
type Event struct {
	Time float64 `json:"time"`
	Type int     `json:"type"`
}

// HorizonCase is one long-horizon forecast: the events that truly followed
// the last observed event (at Start) and the predicted ones.
type HorizonCase struct {
	// Start is the time of the last event the model saw (HoTPP's "initial
	// time"); the horizon window is [Start, Start+H).
	Start float64
	True  []Event
	Pred  []Event
	// PredScores[j][k] is the confidence that predicted event j has mark k
	// (HoTPP uses log-probabilities). Used by T-mAP only; when nil, a
	// predicted event scores 0 for its own Type and -Inf for the others.
	PredScores [][]float64
}

// DefaultOTDCosts are the deletion/insertion costs HYPRO and EasyTPP average
// OTD over for 20-event horizons.
var DefaultOTDCosts = []float64{0.05, 0.5, 1, 1.5, 2, 3, 4}

// OTD is the optimal-transport distance of Mei, Qin & Eisner (2019) between
// two event sequences with deletion and insertion cost c: the minimum over
// partial matchings of events of the same type of
//
//	Σ_matched |t - t'| + c·(#unmatched in a) + c·(#unmatched in b).
//
// Matches never cross types, so the problem splits by type. Within a type
// the cost |t - t'| is a Monge cost on the line, so some optimal matching is
// monotone in time (uncrossing two crossed pairs never costs more); the
// problem is then an edit distance between the two sorted time lists, solved
// exactly by an O(n·m) dynamic program. An event of one type facing an event
// of another type therefore costs 2c. The transport cost per unit time is 1
// (Mei et al.'s trans_cost = 1, the value HYPRO and EasyTPP use); a cost τ
// per unit time gives τ·OTD(a, b, c/τ).
func OTD(a, b []Event, c float64) float64 {
	ta := byType(a)
	tb := byType(b)
	// Sum over types in increasing order: map order is random, and float
	// addition is not associative, so this keeps OTD bit-reproducible.
	types := make([]int, 0, len(ta)+len(tb))
	for k := range ta {
		types = append(types, k)
	}
	for k := range tb {
		if _, ok := ta[k]; !ok {
			types = append(types, k)
		}
	}
	sort.Ints(types)
	total := 0.0
	for _, k := range types {
		total += otdLine(ta[k], tb[k], c)
	}
	return total
}

func byType(ev []Event) map[int][]float64 {
	m := map[int][]float64{}
	for _, e := range ev {
		m[e.Type] = append(m[e.Type], e.Time)
	}
	for _, v := range m {
		sort.Float64s(v)
	}
	return m
}

// otdLine is the edit distance between sorted x and y with substitution cost
// |x_i - y_j| and insertion/deletion cost c.
func otdLine(x, y []float64, c float64) float64 {
	n, m := len(x), len(y)
	if n == 0 || m == 0 {
		return c * float64(n+m)
	}
	prev := make([]float64, m+1)
	cur := make([]float64, m+1)
	for j := 0; j <= m; j++ {
		prev[j] = c * float64(j)
	}
	for i := 1; i <= n; i++ {
		cur[0] = c * float64(i)
		for j := 1; j <= m; j++ {
			v := prev[j-1] + math.Abs(x[i-1]-y[j-1])
			if d := prev[j] + c; d < v {
				v = d
			}
			if d := cur[j-1] + c; d < v {
				v = d
			}
			cur[j] = v
		}
		prev, cur = cur, prev
	}
	return prev[m]
}

// OTDMean is OTD averaged over the costs cs (DefaultOTDCosts when nil).
func OTDMean(a, b []Event, cs []float64) float64 {
	if len(cs) == 0 {
		cs = DefaultOTDCosts
	}
	s := 0.0
	for _, c := range cs {
		s += OTD(a, b, c)
	}
	return s / float64(len(cs))
}

// MeanOTD is the mean over cases of OTDMean(case.Pred, case.True, cs). Event
// times must be finite and costs positive.
func MeanOTD(cases []HorizonCase, cs []float64) (float64, error) {
	if len(cases) == 0 {
		return 0, fmt.Errorf("otd: %w: no cases", ErrMissing)
	}
	if len(cs) == 0 {
		cs = DefaultOTDCosts
	}
	for i, c := range cs {
		if !(c > 0) || math.IsInf(c, 0) {
			return 0, fmt.Errorf("otd: cost[%d] = %v, want a positive finite number", i, c)
		}
	}
	s := 0.0
	for i := range cases {
		if err := checkEvents(cases[i].True, i, "True"); err != nil {
			return 0, err
		}
		if err := checkEvents(cases[i].Pred, i, "Pred"); err != nil {
			return 0, err
		}
		s += OTDMean(cases[i].Pred, cases[i].True, cs)
	}
	return s / float64(len(cases)), nil
}

func checkEvents(ev []Event, ci int, field string) error {
	for j, e := range ev {
		if math.IsNaN(e.Time) || math.IsInf(e.Time, 0) {
			return fmt.Errorf("case %d field %s[%d].Time: not finite: %v", ci, field, j, e.Time)
		}
		if e.Type < 0 {
			return fmt.Errorf("case %d field %s[%d].Type: negative mark %d", ci, field, j, e.Type)
		}
	}
	return nil
}
