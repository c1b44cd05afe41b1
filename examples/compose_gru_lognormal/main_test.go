package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestExample runs the example with tiny sizes: it must train without
// error, improve the test log-likelihood and print the summary line.
func TestExample(t *testing.T) {
	var out bytes.Buffer
	o := options{seqs: 40, epochs: 4, hidden: 8, mix: 2, horizon: 30, seed: 3}
	if testing.Short() {
		o.seqs, o.epochs = 24, 3
	}
	r, err := run(&out, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("initial %.4f, trained %.4f, truth %.4f", r.initial, r.trained, r.truth)
	for _, v := range []float64{r.initial, r.trained, r.truth} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("non-finite result %+v", r)
		}
	}
	if !(r.trained > r.initial) {
		t.Fatalf("training did not improve the test log-likelihood: %+v", r)
	}
	if !strings.Contains(out.String(), "test log-likelihood per event") {
		t.Fatalf("output: %q", out.String())
	}
}
