package sampler

import (
	"testing"

	"github.com/gotpp/gotpp/model/hawkes"
)

// BenchmarkHawkesSimulate simulates the 3-type hawkes_synth process on
// [0, 100] (about 84 events per sequence) and reports events per second.
func BenchmarkHawkesSimulate(b *testing.B) {
	m := hawkes.MustNew(truthParams)
	events := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s, err := Hawkes(m, 0, 100, NewRand(1, uint64(i)), 0)
		if err != nil {
			b.Fatal(err)
		}
		events += len(s.Times)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
