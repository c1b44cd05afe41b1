package attnhp

import (
	"fmt"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/attention/modeltest"
	"github.com/gotpp/gotpp/predict"
)

// BenchmarkAttNHPStep is one training step (forward, backward, Adam) of the
// default AttNHP (hidden 16, time embedding 4, 2 layers, 2 heads, 10 nodes) on a B=64, L=64 batch
// with K=22 types, with 1 and 2 worker goroutines.
func BenchmarkAttNHPStep(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			m, err := New(Config{Threads: threads}, 22, 1)
			if err != nil {
				b.Fatal(err)
			}
			modeltest.BenchStep(b, m, modeltest.BenchBatch(64, 64, 22))
		})
	}
}

// BenchmarkIntensities is one evaluation of the predicted law's intensities
// (the inner loop of one-step prediction) for the default AttNHP after a
// history of 20 events, K = 10.
func BenchmarkIntensities(b *testing.B) {
	n := benchLaw(b)
	lam := make([]float64, 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Intensities(0.01*float64(i%100), lam)
	}
}

// BenchmarkIntensitiesAt is BenchmarkIntensities with the 15 nodes of a
// quadrature panel in one batched call (ns/op per call of 15 nodes).
func BenchmarkIntensitiesAt(b *testing.B) {
	n := benchLaw(b).(predict.BatchIntensities)
	dts := make([]float64, 15)
	lam := make([]float64, 15*10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range dts {
			dts[j] = 0.01*float64(i%100) + 0.02*float64(j)
		}
		n.IntensitiesAt(dts, lam)
	}
}

// benchLaw is the default AttNHP's law of event 20 of a 21-event sequence
// with K = 10 types.
func benchLaw(b *testing.B) predict.Next {
	m, err := New(Config{}, 10, 1)
	if err != nil {
		b.Fatal(err)
	}
	seq := data.Sequence{}
	for j := 0; j < 21; j++ {
		seq.Times = append(seq.Times, 0.3*float64(j+1))
		seq.Types = append(seq.Types, j%10)
	}
	return m.NextAfter(&seq, 20)
}
