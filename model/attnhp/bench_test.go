package attnhp

import (
	"fmt"
	"testing"

	"github.com/gotpp/gotpp/model/attention/modeltest"
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
