package metrics

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestTopK checks TopK (selection for small k, a stable sort otherwise)
// against a stable sort of all indices written here, on vectors with many
// ties, for every k.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(20)
		p := make([]float64, n)
		for i := range p {
			p[i] = float64(rng.IntN(5)) / 4 // ties
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(a, b int) bool { return p[want[a]] > p[want[b]] })
		for k := 1; k <= n+2; k++ {
			got := TopK(p, k)
			if !slices.Equal(got, want[:min(k, n)]) {
				t.Fatalf("TopK(%v, %d) = %v, want %v", p, k, got, want[:min(k, n)])
			}
		}
	}
}
