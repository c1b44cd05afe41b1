package engine

import "testing"

// TestArenaZeroing checks that zeroed requests are zero whether their
// memory is fresh or was handed out (and written) before a Reset, across
// chunk growth.
func TestArenaZeroing(t *testing.T) {
	tp := NewTape()
	sizes := []int{100, 7, 3000, minChunk, 2 * minChunk, 5, 4 * minChunk, 1}
	for pass := 0; pass < 4; pass++ {
		tp.Reset()
		for i, n := range sizes {
			var s []float64
			if (i+pass)%2 == 0 {
				s = tp.Floats(n)
				for j, v := range s {
					if v != 0 {
						t.Fatalf("pass %d: Floats(%d)[%d] = %v", pass, n, j, v)
					}
				}
			} else {
				s = tp.floatsRaw(n)
			}
			for j := range s {
				s[j] = float64(j + 1)
			}
			x := tp.New(n % 97)
			for j, v := range x.Data {
				if v != 0 {
					t.Fatalf("pass %d: New(%d).Data[%d] = %v", pass, n%97, j, v)
				}
				x.Data[j] = 1
			}
			l := tp.TensorList(n % 13)
			for j, v := range l {
				if v != nil {
					t.Fatalf("pass %d: TensorList[%d] not nil", pass, j)
				}
				l[j] = x
			}
		}
		// a larger pass than any before: the arena grows
		sizes = append(sizes, 8*minChunk+pass)
	}
}
