package s2p2

import (
	"math"
	"testing"
)

// TestIntensitiesAtMatchesScalar: IntensitiesAt (matrix products over the
// offsets, vectorised decays) gives, at every offset of a batch, the
// intensities of Intensities and of the independent scalar evaluation
// (scalarIntensities: scalar loops, exact GELU) to rounding, for batches
// of several sizes (the work matrices are resized and reused), every
// prefix of random sequences, and a wide parameter scale (relative to
// Intensities, with no absolute floor for small intensities).
func TestIntensitiesAtMatchesScalar(t *testing.T) {
	offsets := []float64{0, 1e-9, 0.013, 0.3, 0.31, 1.7, 4, 25, 0.002, 0.7, 3.3, 9, 0.05, 0.5, 1, 60, 2e-4}
	const K = 4
	for _, c := range []struct {
		cfg Config
		a   float64
	}{
		{Config{HiddenSize: 7, StateSize: 3, Layers: 3}, 0.7},
		{Config{HiddenSize: 7, StateSize: 3, Layers: 3}, 3},
		{Config{HiddenSize: 37, StateSize: 9, Layers: 2}, 0.4},
	} {
		a := c.a
		m := newTest(t, c.cfg, K)
		randomise(m, 23, a)
		seqs := randomSeqs(24, 3, 10, K)
		one, want := make([]float64, K), make([]float64, K)
		got := make([]float64, len(offsets)*K)
		for si := range seqs {
			seq := &seqs[si]
			for i := 0; i <= len(seq.Times); i++ {
				nx := m.NextAfter(seq, i).(*next)
				for _, J := range []int{15, 1, 4, len(offsets), 15} {
					dts := offsets[:J]
					if J == 15 && i%2 == 1 {
						dts = offsets[len(offsets)-J:]
					}
					nx.IntensitiesAt(dts, got)
					for j, dt := range dts {
						nx.Intensities(dt, one)
						scalarIntensities(m, nx.s, dt, want)
						for k := 0; k < K; k++ {
							g := got[j*K+k]
							if math.Abs(g-one[k]) > 1e-13*math.Abs(one[k]) || !relClose(g, want[k], 1e-12) {
								t.Fatalf("scale %v, seq %d, event %d, J=%d, dt=%v: type %d %v, Intensities %v, scalar %v",
									a, si, i, J, dt, k, g, one[k], want[k])
							}
						}
					}
				}
			}
		}
	}
}
