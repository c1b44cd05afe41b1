package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/params"
)

// TestDropout: identity without a random source or without recording; with
// one, the share of zeros is p (binomial, 5σ), kept entries are x/(1−p),
// and the gradient of Σ dropout(x) is the mask itself.
func TestDropout(t *testing.T) {
	const n, p = 20000, 0.3
	x := NewParam("x", n)
	for i := range x.Value {
		x.Value[i] = 1 + float64(i%7)
	}
	tp := NewTape()
	in := tp.Param(x)
	if tp.Dropout(in, p) != in {
		t.Fatal("dropout without a random source changed its input")
	}
	tp.SetRand(rand.New(rand.NewPCG(1, 2)))
	out := tp.Dropout(in, p)
	zeros := 0
	for i, v := range out.Data {
		switch {
		case v == 0:
			zeros++
		case math.Abs(v-x.Value[i]/(1-p)) > 1e-15*v:
			t.Fatalf("kept entry %d = %v, want %v", i, v, x.Value[i]/(1-p))
		}
	}
	if sd := math.Sqrt(n * p * (1 - p)); math.Abs(float64(zeros)-n*p) > 5*sd {
		t.Errorf("%d zeros of %d, want %v ± %.0f", zeros, n, n*p, 5*sd)
	}
	tp.Backward(tp.Sum(out))
	for i, g := range x.Grad {
		if want := out.Data[i] / x.Value[i]; g != want {
			t.Fatalf("gradient %d = %v, want the mask %v", i, g, want)
		}
	}
	ev := NewTape()
	ev.SetRand(rand.New(rand.NewPCG(1, 2)))
	ev.SetNoGrad(true)
	if in := ev.Param(x); ev.Dropout(in, p) != in {
		t.Error("dropout active on a tape that does not record (evaluation)")
	}
}

// TestWorkersDropoutSeed: training tapes get masks that repeat for the same
// parameter values and change when the parameters change; Eval tapes do
// not drop.
func TestWorkersDropoutSeed(t *testing.T) {
	x := NewParam("x", 64)
	for i := range x.Value {
		x.Value[i] = 1
	}
	w := NewWorkers([]*params.Param{x}, 2)
	masks := func() [2][]float64 {
		var out [2][]float64
		w.Run(2, func(i int, tp *Tape) {
			d := tp.Dropout(tp.Param(x), 0.5)
			out[i] = append([]float64(nil), d.Data...)
			tp.Backward(tp.Sum(d))
		})
		return out
	}
	a, b := masks(), masks()
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("worker %d: masks differ for the same parameters", i)
			}
		}
	}
	same := true
	for j := range a[0] {
		same = same && a[0][j] == a[1][j]
	}
	if same {
		t.Error("both workers drew the same mask")
	}
	x.Value[0] = 1.5
	c := masks()
	same = true
	for j := range a[0] {
		same = same && a[0][j] == c[0][j]
	}
	if same {
		t.Error("mask unchanged after the parameters changed")
	}
	w.Eval(1, func(i int, tp *Tape) {
		if in := tp.Param(x); tp.Dropout(in, 0.5) != in {
			t.Error("Eval tape dropped")
		}
	})
}
