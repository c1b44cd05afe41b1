package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

func checkLen(nPred, nTrue int, what string) error {
	if nPred != nTrue {
		return fmt.Errorf("%s: %d predictions for %d truths", what, nPred, nTrue)
	}
	if nTrue == 0 {
		return fmt.Errorf("%s: %w: no events", what, ErrMissing)
	}
	return nil
}

func checkFinite(x []float64, field string) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("field %s[%d]: not finite: %v", field, i, v)
		}
	}
	return nil
}

// RMSE is sqrt(mean((pred_i - true_i)^2)). Every value must be finite.
func RMSE(pred, truth []float64) (float64, error) {
	if err := checkLen(len(pred), len(truth), "rmse"); err != nil {
		return 0, err
	}
	if err := checkFinite(pred, "pred"); err != nil {
		return 0, err
	}
	if err := checkFinite(truth, "true"); err != nil {
		return 0, err
	}
	s := 0.0
	for i := range pred {
		d := pred[i] - truth[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(pred))), nil
}

// MAE is mean(|pred_i - true_i|). Every value must be finite.
func MAE(pred, truth []float64) (float64, error) {
	if err := checkLen(len(pred), len(truth), "mae"); err != nil {
		return 0, err
	}
	if err := checkFinite(pred, "pred"); err != nil {
		return 0, err
	}
	if err := checkFinite(truth, "true"); err != nil {
		return 0, err
	}
	s := 0.0
	for i := range pred {
		s += math.Abs(pred[i] - truth[i])
	}
	return s / float64(len(pred)), nil
}

// Accuracy is the fraction of i with pred[i] == truth[i].
func Accuracy(pred, truth []int) (float64, error) {
	if err := checkLen(len(pred), len(truth), "accuracy"); err != nil {
		return 0, err
	}
	n := 0
	for i := range pred {
		if pred[i] == truth[i] {
			n++
		}
	}
	return float64(n) / float64(len(pred)), nil
}

// ErrorRate is 1 - Accuracy.
func ErrorRate(pred, truth []int) (float64, error) {
	a, err := Accuracy(pred, truth)
	return 1 - a, err
}

// MacroF1 is the unweighted mean of the per-class F1 scores
// F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c) over the classes that occur in the
// truth or in the predictions (a class absent from both has no defined F1
// and is left out; a class only predicted, or only true, has F1 = 0). This
// equals scikit-learn's f1_score(average="macro") with its default labels.
func MacroF1(pred, truth []int) (float64, error) {
	if err := checkLen(len(pred), len(truth), "macro_f1"); err != nil {
		return 0, err
	}
	type cnt struct{ tp, fp, fn int }
	c := map[int]*cnt{}
	get := func(k int) *cnt {
		if c[k] == nil {
			c[k] = &cnt{}
		}
		return c[k]
	}
	for i := range pred {
		if pred[i] == truth[i] {
			get(pred[i]).tp++
		} else {
			get(pred[i]).fp++
			get(truth[i]).fn++
		}
	}
	keys := make([]int, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Ints(keys) // fixed summation order
	s := 0.0
	for _, k := range keys {
		v := c[k]
		s += 2 * float64(v.tp) / float64(2*v.tp+v.fp+v.fn)
	}
	return s / float64(len(keys)), nil
}

// TopK returns the indices of the k largest entries of p, largest first;
// ties go to the lower index. k is capped at len(p).
func TopK(p []float64, k int) []int {
	if k > len(p) {
		k = len(p)
	}
	if k <= 8 {
		// k passes of a selection: no sort for the few top marks that
		// one-step prediction asks for at every event
		idx := make([]int, 0, k)
		for len(idx) < k {
			best := -1
			for i, v := range p {
				if slices.Contains(idx, i) {
					continue
				}
				if best < 0 || v > p[best] {
					best = i
				}
			}
			idx = append(idx, best)
		}
		return idx
	}
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx[:k]
}

// TopKAccuracy is the fraction of events i whose true mark is among the k
// marks with the largest probs[i] (ties broken towards the lower mark index,
// as TopK does). probs[i] may be probabilities or any scores; NaN is an
// error.
func TopKAccuracy(probs [][]float64, truth []int, k int) (float64, error) {
	if err := checkLen(len(probs), len(truth), fmt.Sprintf("top%d_accuracy", k)); err != nil {
		return 0, err
	}
	if k < 1 {
		return 0, fmt.Errorf("top-k accuracy: k = %d, want >= 1", k)
	}
	n := 0
	for i, p := range probs {
		y := truth[i]
		if y < 0 || y >= len(p) {
			return 0, fmt.Errorf("field TrueMark[%d]: mark %d outside the %d probabilities given", i, y, len(p))
		}
		// Rank of y under "larger first, lower index on ties": the number of
		// marks that come before it.
		before := 0
		for j, v := range p {
			if math.IsNaN(v) {
				return 0, fmt.Errorf("field MarkProbs[%d][%d]: NaN", i, j)
			}
			if v > p[y] || (v == p[y] && j < y) {
				before++
			}
		}
		if before < k {
			n++
		}
	}
	return float64(n) / float64(len(probs)), nil
}
