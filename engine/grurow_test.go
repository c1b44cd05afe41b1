package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// uniformVecs returns a function drawing vectors of n values uniform in
// [lo, hi) from rng.
func uniformVecs(rng *rand.Rand) func(n int, lo, hi float64) []float64 {
	return func(n int, lo, hi float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float64()
		}
		return v
	}
}

// cloneVec returns a copy of v.
func cloneVec(v []float64) []float64 { return append([]float64(nil), v...) }

// TestGRUBackRow checks the GRU backward row loop (gruBackRow) against the
// formulas written out here, bit for bit, on both paths, with and without
// the input and hidden-state gradients, for sizes the kernel takes
// (multiples of 4) and sizes it leaves to the Go loop.
func TestGRUBackRow(t *testing.T) {
	vec := uniformVecs(rand.New(rand.NewPCG(8, 9)))
	saved := gruAsm
	defer func() { gruAsm = saved }()
	for _, asm := range []bool{false, true} {
		if asm && !saved {
			continue // no AVX2 here: the Go loop only
		}
		gruAsm = asm
		for _, H := range []int{1, 3, 4, 5, 8, 12, 32} {
			for _, opt := range []int{0, 1, 2, 3} {
				g, h := vec(H, -1, 1), vec(H, -2, 2)
				act := append(append(vec(H, 0, 1), vec(H, 0, 1)...), vec(H, -1, 1)...) // r, u in (0,1), n in (-1,1)
				p := vec(3*H, -2, 2)
				gp := vec(3*H, -5, 5) // overwritten
				gx0, gh0 := vec(3*H, -1, 1), vec(H, -1, 1)
				var gx, gh []float64
				if opt&1 != 0 {
					gx = cloneVec(gx0)
				}
				if opt&2 != 0 {
					gh = cloneVec(gh0)
				}
				gruBackRow(g, act, p, h, gp, gx, gh)
				for j := 0; j < H; j++ {
					r, u, n := act[j], act[H+j], act[2*H+j]
					omu := 1 - u
					dn := g[j] * omu
					hn := h[j] - n
					du := g[j] * hn
					nn := n * n
					omn := 1 - nn
					dzn := dn * omn
					a := dzn * p[2*H+j]
					a = a * r
					omr := 1 - r
					dzr := a * omr
					b := du * u
					dzu := b * omu
					dr := dzn * r
					want := [3]float64{dzr, dzu, dr}
					for k, w := range want {
						if got := gp[k*H+j]; math.Float64bits(got) != math.Float64bits(w) {
							t.Fatalf("asm %v H %d opt %d: gp[%d] = %v, want %v", asm, H, opt, k*H+j, got, w)
						}
					}
					if gx != nil {
						for k, d := range [3]float64{dzr, dzu, dzn} {
							w := gx0[k*H+j] + d
							if got := gx[k*H+j]; math.Float64bits(got) != math.Float64bits(w) {
								t.Fatalf("asm %v H %d opt %d: gx[%d] = %v, want %v", asm, H, opt, k*H+j, got, w)
							}
						}
					}
					if gh != nil {
						gu := g[j] * u
						if w := gh0[j] + gu; math.Float64bits(gh[j]) != math.Float64bits(w) {
							t.Fatalf("asm %v H %d opt %d: gh[%d] = %v, want %v", asm, H, opt, j, gh[j], w)
						}
					}
				}
			}
		}
	}
}

// TestGRUBackRows checks gruBackRows over blocks of rows, on every path
// (AVX-512 for whole blocks, the AVX2 kernel row by row, the Go loop),
// bit for bit against gruBackRow's Go loop row by row, with and without
// gx and gh, for sizes the AVX-512 kernel takes (H a multiple of 8) and
// sizes it leaves to the row loop.
func TestGRUBackRows(t *testing.T) {
	vec := uniformVecs(rand.New(rand.NewPCG(10, 11)))
	savedAsm, saved512 := gruAsm, gru512
	defer func() { gruAsm, gru512 = savedAsm, saved512 }()
	for _, path := range [][2]bool{{false, false}, {true, false}, {true, true}} {
		if (path[0] && !savedAsm) || (path[1] && !saved512) {
			continue
		}
		for _, B := range []int{1, 3, 7} {
			for _, H := range []int{4, 8, 12, 16, 32} {
				for opt := 0; opt < 4; opt++ {
					g, h := vec(B*H, -1, 1), vec(B*H, -2, 2)
					act := make([]float64, 0, 3*B*H)
					for b := 0; b < B; b++ {
						act = append(append(append(act, vec(H, 0, 1)...), vec(H, 0, 1)...), vec(H, -1, 1)...)
					}
					p := vec(3*B*H, -2, 2)
					gx0, gh0 := vec(3*B*H, -1, 1), vec(B*H, -1, 1)
					var gx, gh, wx, wh []float64
					if opt&1 != 0 {
						gx, wx = cloneVec(gx0), cloneVec(gx0)
					}
					if opt&2 != 0 {
						gh, wh = cloneVec(gh0), cloneVec(gh0)
					}
					gp, wp := vec(3*B*H, -5, 5), make([]float64, 3*B*H)
					gruAsm, gru512 = false, false
					for b := 0; b < B; b++ {
						var x, y []float64
						if wx != nil {
							x = wx[b*3*H : (b+1)*3*H]
						}
						if wh != nil {
							y = wh[b*H : (b+1)*H]
						}
						gruBackRow(g[b*H:(b+1)*H], act[b*3*H:(b+1)*3*H], p[b*3*H:(b+1)*3*H], h[b*H:(b+1)*H], wp[b*3*H:(b+1)*3*H], x, y)
					}
					gruAsm, gru512 = path[0], path[1]
					gruBackRows(B, H, g, act, p, h, gp, gx, gh)
					for _, c := range []struct {
						name      string
						got, want []float64
					}{{"gp", gp, wp}, {"gx", gx, wx}, {"gh", gh, wh}} {
						for i := range c.want {
							if math.Float64bits(c.got[i]) != math.Float64bits(c.want[i]) {
								t.Fatalf("path %v B %d H %d opt %d: %s[%d] = %v, want %v", path, B, H, opt, c.name, i, c.got[i], c.want[i])
							}
						}
					}
				}
			}
		}
	}
}
