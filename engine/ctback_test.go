package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCTBackKernels checks the kernels of ctback.go on every length 0..37
// against a plain loop written out here (accumulation in float64, no FMA
// assumptions), on both paths.
func TestCTBackKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	vec := func(n int, lo, hi float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float64()
		}
		return v
	}
	saved := ctAsm
	defer func() { ctAsm = saved }()
	for _, asm := range []bool{false, true} {
		if asm && !saved {
			continue // no AVX2+FMA here: the Go loop only
		}
		ctAsm = asm
		for n := 0; n <= 37; n++ {
			gv, th, e := vec(n, -2, 2), vec(n, -1, 1), vec(n, 0, 1)
			or, cd := vec(n, 0, 1), vec(n, -3, 3)
			s := rng.Float64() * 4
			base := [4][]float64{vec(n, -1, 1), vec(n, -1, 1), vec(n, -1, 1), vec(n, -1, 1)}
			cp := func(i int) []float64 { return append([]float64(nil), base[i]...) }

			og, sw, sg, sd := cp(0), cp(1), cp(2), cp(3)
			got := ctBackHidden(gv, th, e, or, cd, og, sw, sg, sd, s)
			wog, wsw, wsg, wsd := cp(0), cp(1), cp(2), cp(3)
			want := 0.0
			for j := 0; j < n; j++ {
				wog[j] += gv[j] * th[j]
				gc := gv[j] * or[j] * (1 - th[j]*th[j])
				wsw[j] += gc * e[j]
				wsg[j] += gc
				wsd[j] += gc * e[j] * s
				want += gc * e[j] * cd[j]
			}
			checkCTBack(t, "hidden", asm, n, got, want, [][2][]float64{{og, wog}, {sw, wsw}, {sg, wsg}, {sd, wsd}})

			sw, sg, sd = cp(1), cp(2), cp(3)
			got = ctBackDecay(gv, e, cd, sw, sg, sd, s)
			wsw, wsg, wsd = cp(1), cp(2), cp(3)
			want = 0
			for j := 0; j < n; j++ {
				wsw[j] += gv[j] * e[j]
				wsg[j] += gv[j]
				wsd[j] += gv[j] * e[j] * s
				want += gv[j] * e[j] * cd[j]
			}
			checkCTBack(t, "decay", asm, n, got, want, [][2][]float64{{sw, wsw}, {sg, wsg}, {sd, wsd}})
		}
	}
}

func checkCTBack(t *testing.T, name string, asm bool, n int, got, want float64, vecs [][2][]float64) {
	t.Helper()
	const tol = 1e-13
	close := func(a, b float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }
	if !close(got, want) {
		t.Errorf("%s asm=%v n=%d: sum %v, want %v", name, asm, n, got, want)
	}
	for i, p := range vecs {
		for j := range p[0] {
			if !close(p[0][j], p[1][j]) {
				t.Errorf("%s asm=%v n=%d: vector %d element %d = %v, want %v", name, asm, n, i, j, p[0][j], p[1][j])
			}
		}
	}
}
