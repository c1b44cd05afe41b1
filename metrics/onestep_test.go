package metrics

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.12g, want %.12g (tol %g)", what, got, want, tol)
	}
}

func TestRMSEAndMAEByHand(t *testing.T) {
	pred := []float64{1, 2, 3}
	truth := []float64{1, 1, 1}
	r, err := RMSE(pred, truth)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "rmse", r, math.Sqrt(5.0/3), 1e-15) // (0 + 1 + 4)/3
	m, err := MAE(pred, truth)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mae", m, 1, 1e-15) // (0 + 1 + 2)/3
}

func TestOneStepErrors(t *testing.T) {
	if _, err := RMSE([]float64{1}, []float64{1, 2}); err == nil {
		t.Error("length mismatch accepted")
	}
	_, err := MAE([]float64{1, math.NaN()}, []float64{1, 2})
	if err == nil || !strings.Contains(err.Error(), "pred[1]") {
		t.Errorf("NaN error should name pred[1], got %v", err)
	}
	if _, err := Accuracy(nil, nil); !errors.Is(err, ErrMissing) {
		t.Errorf("empty input: got %v, want ErrMissing", err)
	}
	if _, err := TopKAccuracy([][]float64{{0.5, 0.5}}, []int{2}, 1); err == nil {
		t.Error("true mark outside the probability vector accepted")
	}
}

func TestAccuracyErrorRate(t *testing.T) {
	a, _ := Accuracy([]int{0, 1, 2, 1}, []int{0, 1, 1, 1})
	near(t, "accuracy", a, 0.75, 0)
	e, _ := ErrorRate([]int{0, 1, 2, 1}, []int{0, 1, 1, 1})
	near(t, "error rate", e, 0.25, 0)
}

func TestMacroF1ByHand(t *testing.T) {
	// pred [0 0 1 2], true [0 1 1 1]
	// class 0: TP 1, FP 1 (event 1), FN 0 -> F1 = 2/3
	// class 1: TP 1, FP 0, FN 2 (events 1, 3) -> F1 = 2/4
	// class 2: TP 0, FP 1, FN 0 -> F1 = 0 (only predicted, still counted)
	// macro = (2/3 + 1/2 + 0)/3 = 7/18
	f, err := MacroF1([]int{0, 0, 1, 2}, []int{0, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "macro F1", f, 7.0/18, 1e-15)
	// Perfect prediction gives 1 whatever the classes.
	f, _ = MacroF1([]int{3, 7, 7}, []int{3, 7, 7})
	near(t, "perfect macro F1", f, 1, 0)
}

func TestTopKAccuracyByHand(t *testing.T) {
	probs := [][]float64{{0.1, 0.6, 0.3}, {0.5, 0.5, 0}, {0.2, 0.2, 0.6}}
	// truth [2 1 0]: top-1 marks are 1, 0 (tie -> lower index), 2: no hits.
	a, _ := TopKAccuracy(probs, []int{2, 1, 0}, 1)
	near(t, "top1", a, 0, 0)
	// top-2 sets: {1,2}, {0,1}, {2,0}: all hit.
	a, _ = TopKAccuracy(probs, []int{2, 1, 0}, 2)
	near(t, "top2", a, 1, 0)
	a, _ = TopKAccuracy(probs, []int{1, 0, 2}, 1)
	near(t, "top1 right", a, 1, 0)
	// top-1 accuracy agrees with accuracy of the TopK argmax.
	pred := []int{TopK(probs[0], 1)[0], TopK(probs[1], 1)[0], TopK(probs[2], 1)[0]}
	acc, _ := Accuracy(pred, []int{1, 1, 2})
	a, _ = TopKAccuracy(probs, []int{1, 1, 2}, 1)
	near(t, "top1 vs accuracy", a, acc, 0)
}

func TestRegistry(t *testing.T) {
	want := []string{"accuracy", "error_rate", "ks", "ks_pvalue", "macro_f1", "mae", "otd", "rmse", "tmap", "top1_accuracy", "top3_accuracy", "top5_accuracy"}
	have := map[string]bool{}
	for _, n := range Names() {
		have[n] = true
	}
	for _, n := range want {
		if !have[n] {
			t.Errorf("metric %q not registered", n)
		}
	}
	in := &Input{PredDt: []float64{1, 2, 3}, TrueDt: []float64{1, 1, 1}, PredMark: []int{0, 1}, TrueMark: []int{0, 0}}
	res, err := Evaluate(in, "rmse", "accuracy")
	if err != nil {
		t.Fatal(err)
	}
	near(t, "registry rmse", res[0].Value, math.Sqrt(5.0/3), 1e-15)
	near(t, "registry accuracy", res[1].Value, 0.5, 0)
	if _, err := Evaluate(in, "otd"); !errors.Is(err, ErrMissing) {
		t.Errorf("otd without horizons: got %v, want ErrMissing", err)
	}
	if _, err := Evaluate(in, "no-such-metric"); err == nil {
		t.Error("unknown metric accepted")
	}
	m, _ := Get("accuracy")
	if !m.HigherIsBetter() {
		t.Error("accuracy should be higher-is-better")
	}
	m, _ = Get("rmse")
	if m.HigherIsBetter() {
		t.Error("rmse should be lower-is-better")
	}
	// Extension: a new metric is one Register call; a second one panics.
	Register("test_only_count", Func{F: func(in *Input) (float64, error) { return float64(len(in.TrueDt)), nil }})
	res, err = Evaluate(in, "test_only_count")
	if err != nil || res[0].Value != 3 {
		t.Errorf("custom metric: %v %v", res, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register("test_only_count", Func{F: func(*Input) (float64, error) { return 0, nil }})
}
