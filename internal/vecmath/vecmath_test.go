package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns the distance in units in the last place between a and b
// (0 if both are NaN, huge if only one is).
func ulps(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		if math.IsNaN(a) && math.IsNaN(b) {
			return 0
		}
		return math.Inf(1)
	}
	ord := func(v float64) int64 {
		i := int64(math.Float64bits(v))
		if i < 0 {
			i = math.MinInt64 - i
		}
		return i
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return float64(d)
}

func relErr(got, want float64) float64 {
	if got == want || (math.IsNaN(got) && math.IsNaN(want)) {
		return 0
	}
	return math.Abs(got-want) / math.Abs(want)
}

// within reports whether got matches want within maxULP ulps or maxRel
// relative error.
func within(got, want, maxULP, maxRel float64) bool {
	return ulps(got, want) <= maxULP || relErr(got, want) <= maxRel
}

// expRef is math.Exp, except just below the overflow threshold: on amd64
// math.Exp returns +Inf for x in (709.43, 709.78] (its 2^n scale
// overflows at n = 1024), so there e^x = 2^1024·e^d, d = x - 1024·ln2, is
// evaluated with d in double-double precision.
func expRef(x float64) float64 {
	if x > 709 && x <= 709.782712893384 {
		d := (x - 1024*ln2Hi) - 1024*ln2Lo
		return math.Ldexp(math.Exp(d), 1024)
	}
	return math.Exp(x)
}

func softplusRef(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoidRef(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// path is one set of kernels: the pure-Go ones, the AVX2+FMA assembly or
// the AVX-512 assembly.
type path struct {
	name           string
	asm, avx512    bool
	available      bool
	unavailableWhy string
}

func paths() []path {
	return []path{
		{"go", false, false, true, ""},
		{"avx2", true, false, hasAsm, "AVX2+FMA kernels not available on this CPU/arch"},
		{"avx512", true, true, has512, "AVX-512 kernels not available on this CPU/arch"},
	}
}

// setPath selects p's kernels and returns a function restoring the
// previous selection.
func setPath(p path) (restore func()) {
	savedAsm, saved512 := useAsm, use512
	useAsm, use512 = p.asm, p.avx512
	return func() { useAsm, use512 = savedAsm, saved512 }
}

// modes runs f once per kernel path this CPU has: pure Go, AVX2 and
// AVX-512.
func modes(t *testing.T, f func(t *testing.T)) {
	for _, p := range paths() {
		if !p.available {
			t.Log(p.unavailableWhy)
			continue
		}
		restore := setPath(p)
		t.Run(p.name, f)
		restore()
	}
}

var specials = []float64{
	0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	math.MaxFloat64, -math.MaxFloat64, 1e-300, -1e-300, 1e-17, -1e-17,
	709.782712893384, 709.7827128933841, 709.78, 710, -708.39641853226408,
	-745.1332191019411, -745.1332191019412, -745.14, -746, -750, 1e10, -1e10,
	0.5 * math.Ln2, -0.5 * math.Ln2, math.Ln2, -math.Ln2, 19.06, 20, -20, 37, 40,
	36.7368005696771, -36.7368005696771,
}

// inputs returns the test points for the smooth functions: uniform on
// [-800, 800], log-uniform near 0 (both signs), dense around transitions.
func inputs() []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := append([]float64(nil), specials...)
	for i := 0; i < 100000; i++ {
		xs = append(xs, -800+1600*rng.Float64())
	}
	for i := 0; i < 100000; i++ {
		v := math.Pow(10, -20+21.5*rng.Float64())
		if i%2 == 1 {
			v = -v
		}
		xs = append(xs, v)
	}
	for _, c := range []float64{0, math.Ln2, 1, 2, 10, 18.7, 19.06, 20, 36, 37, 40, 700, 709.78, 745.13} {
		for i := 0; i < 5000; i++ {
			v := c + 2*(rng.Float64()-0.5)
			xs = append(xs, v, -v)
		}
	}
	return xs
}

type fn struct {
	name string
	vec  func(dst, x []float64)
	ref  func(float64) float64
}

var fns = []fn{
	{"Exp", Exp, expRef},
	{"Softplus", Softplus, softplusRef},
	{"Sigmoid", Sigmoid, sigmoidRef},
	{"Tanh", Tanh, math.Tanh},
	{"SoftplusSigmoid.sp", func(d, x []float64) { SoftplusSigmoid(d, make([]float64, len(x)), x) }, softplusRef},
	{"SoftplusSigmoid.sg", func(d, x []float64) { SoftplusSigmoid(make([]float64, len(x)), d, x) }, sigmoidRef},
}

func TestExpAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := append([]float64(nil), specials...)
	for i := 0; i < 300000; i++ {
		xs = append(xs, -745+1455*rng.Float64())
	}
	for i := 0; i < 20000; i++ { // subnormal and overflow boundaries, small |x|
		xs = append(xs, -745.2+6*rng.Float64(), 709.9-0.5*rng.Float64(), 1e-3*(rng.Float64()-0.5))
	}
	modes(t, func(t *testing.T) {
		got := make([]float64, len(xs))
		Exp(got, xs)
		maxU, over1 := 0.0, 0
		for i, x := range xs {
			u := ulps(got[i], expRef(x))
			if u > 2 {
				t.Errorf("Exp(%v) = %v, want %v (%v ulp)", x, got[i], expRef(x), u)
			}
			if u > 1 {
				// Checked with 60-digit decimal arithmetic: at such points
				// math.Exp is off by 1.2-1.4 ulp and Exp by < 0.75 ulp.
				over1++
			}
			maxU = math.Max(maxU, u)
		}
		t.Logf("%d points: max %v ulp vs math.Exp (%d above 1 ulp)", len(xs), maxU, over1)
	})
}

func TestAccuracy(t *testing.T) {
	xs := inputs()
	for _, f := range fns {
		if f.name == "Exp" {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			modes(t, func(t *testing.T) {
				got := make([]float64, len(xs))
				f.vec(got, xs)
				maxU, maxR, fails, over1 := 0.0, 0.0, 0, 0
				for i, x := range xs {
					want := f.ref(x)
					u, r := ulps(got[i], want), relErr(got[i], want)
					if !within(got[i], want, 2, 4e-16) {
						if fails++; fails < 10 {
							t.Errorf("%s(%v) = %v, want %v (%v ulp, rel %.3g)", f.name, x, got[i], want, u, r)
						}
					}
					if u > 1 {
						over1++
					}
					maxU = math.Max(maxU, u)
					if math.Abs(want) >= 0x1p-1022 { // relative error of subnormals is meaningless
						maxR = math.Max(maxR, r)
					}
				}
				t.Logf("%d points: max %v ulp (%d above 1 ulp), max rel %.3g for normal results", len(xs), maxU, over1, maxR)
			})
		})
	}
}

func TestTanhSmall(t *testing.T) {
	// tanh(x) = x - x³/3 + 2x⁵/15 - ...: for |x| < 1e-6 the series is exact
	// to far below an ulp, so this checks the relative accuracy near 0
	// independently of math.Tanh.
	modes(t, func(t *testing.T) {
		for e := -300.0; e < -6; e += 0.37 {
			x := math.Pow(10, e)
			xs := []float64{x, -x}
			Tanh(xs, xs)
			want := x - x*x*x/3
			if ulps(xs[0], want) > 1 || ulps(xs[1], -want) > 1 {
				t.Errorf("Tanh(±%v) = %v, %v; want ±%v", x, xs[0], xs[1], want)
			}
		}
	})
}

func TestLengthsAndAliasing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	modes(t, func(t *testing.T) {
		for _, f := range fns {
			for n := 0; n <= 67; n++ {
				x := make([]float64, n)
				for i := range x {
					x[i] = 30 * (rng.Float64() - 0.5)
				}
				if n > 3 {
					x[n-1] = math.NaN()
					x[0] = math.Inf(-1)
				}
				// Destination longer than x: the extra elements must stay untouched.
				dst := make([]float64, n+5)
				for i := range dst {
					dst[i] = -12345
				}
				f.vec(dst, x)
				for i := 0; i < n; i++ {
					if !within(dst[i], f.ref(x[i]), 2, 4e-16) {
						t.Fatalf("%s n=%d: element %d: f(%v) = %v, want %v", f.name, n, i, x[i], dst[i], f.ref(x[i]))
					}
				}
				for i := n; i < len(dst); i++ {
					if dst[i] != -12345 {
						t.Fatalf("%s n=%d: wrote past len(x) at %d", f.name, n, i)
					}
				}
				// In place.
				y := append([]float64(nil), x...)
				f.vec(y, y)
				for i := range y {
					if math.Float64bits(y[i]) != math.Float64bits(dst[i]) && !(math.IsNaN(y[i]) && math.IsNaN(dst[i])) {
						t.Fatalf("%s n=%d: in-place result %v differs from %v at %d", f.name, n, y[i], dst[i], i)
					}
				}
			}
		}
	})
}

func TestSoftplusSigmoidMatchesSeparate(t *testing.T) {
	xs := inputs()
	modes(t, func(t *testing.T) {
		sp, sg := make([]float64, len(xs)), make([]float64, len(xs))
		a, b := make([]float64, len(xs)), make([]float64, len(xs))
		SoftplusSigmoid(sp, sg, xs)
		Softplus(a, xs)
		Sigmoid(b, xs)
		for i := range xs {
			if ulps(sp[i], a[i]) != 0 || ulps(sg[i], b[i]) != 0 {
				t.Fatalf("x=%v: SoftplusSigmoid = (%v, %v), separate = (%v, %v)", xs[i], sp[i], sg[i], a[i], b[i])
			}
		}
		// sg aliasing x.
		y := append([]float64(nil), xs[:100]...)
		SoftplusSigmoid(sp, y, y)
		for i := range y {
			if ulps(y[i], b[i]) != 0 {
				t.Fatalf("aliased sg: x=%v: got %v want %v", xs[i], y[i], b[i])
			}
		}
	})
}

func TestSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	negZero := math.Copysign(0, -1)
	cases := []struct {
		f    func(dst, x []float64)
		name string
		x    []float64
		want []float64
	}{
		{Exp, "Exp", []float64{0, negZero, inf, -inf, nan, 710, -746, 1000, -1e300}, []float64{1, 1, inf, 0, nan, inf, 0, inf, 0}},
		{Softplus, "Softplus", []float64{inf, -inf, nan, 800, -800, 40}, []float64{inf, 0, nan, 800, 0, 40}},
		{Sigmoid, "Sigmoid", []float64{0, inf, -inf, nan, 800, -800, 40}, []float64{0.5, 1, 0, nan, 1, 0, 1}},
		{Tanh, "Tanh", []float64{0, negZero, inf, -inf, nan, 19.1, -19.1, 1e300}, []float64{0, negZero, 1, -1, nan, 1, -1, 1}},
	}
	modes(t, func(t *testing.T) {
		for _, c := range cases {
			for i := range c.x { // one at a time and all together (tail and vector paths)
				got := []float64{0}
				c.f(got, c.x[i:i+1])
				if math.Float64bits(got[0]) != math.Float64bits(c.want[i]) && !(math.IsNaN(got[0]) && math.IsNaN(c.want[i])) {
					t.Errorf("%s(%v) = %v, want %v", c.name, c.x[i], got[0], c.want[i])
				}
			}
			xs := append(append([]float64(nil), c.x...), c.x...)
			got := make([]float64, len(xs))
			c.f(got, xs)
			for i, v := range got {
				w := c.want[i%len(c.x)]
				if math.Float64bits(v) != math.Float64bits(w) && !(math.IsNaN(v) && math.IsNaN(w)) {
					t.Errorf("%s(%v) = %v in a vector, want %v", c.name, xs[i], v, w)
				}
			}
		}
	})
}

func TestShortDstPanics(t *testing.T) {
	for _, f := range fns {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic for short dst", f.name)
				}
			}()
			f.vec(make([]float64, 2), make([]float64, 3))
		}()
	}
}

// TestCheckerCatchesErrors makes sure the tolerance used above would reject
// a kernel with a perturbed coefficient (a relative error of ~1e-15).
func TestCheckerCatchesErrors(t *testing.T) {
	bad := func(x float64) float64 { return math.Exp(x) * (1 + 1e-15) }
	caught := 0
	for _, x := range []float64{-3, -0.5, 0.1, 2, 100} {
		if !within(bad(x), math.Exp(x), 2, 4e-16) {
			caught++
		}
	}
	if caught != 5 {
		t.Fatalf("tolerance check missed a 1e-15 relative error (%d/5 caught)", caught)
	}
	if within(expm1PolyWrongC7(0.3), math.Expm1(0.3), 2, 4e-16) {
		t.Fatalf("tolerance check missed a wrong c7 coefficient")
	}
}

// expm1PolyWrongC7 is expm1Poly with 1/7! replaced by 1/8! / 7 (a typical
// transcription slip), used only to show that the tests detect it.
func expm1PolyWrongC7(r float64) float64 {
	r2 := r * r
	r4 := r2 * r2
	b2 := (c12+c13*r)*r2 + c10 + c11*r
	b1 := (c8+c9*r)*r2 + c6 + (c8/7)*r
	b0 := (c4+c5*r)*r2 + c2 + c3*r
	return ((b2*r4+b1)*r4+b0)*r2 + r
}

func ExampleSoftplusSigmoid() {
	x := []float64{-2, 0, 3}
	sp, sg := make([]float64, 3), make([]float64, 3)
	SoftplusSigmoid(sp, sg, x)
	fmt.Printf("%.6f\n%.6f\n", sp, sg)
	// Output:
	// [0.126928 0.693147 3.048587]
	// [0.119203 0.500000 0.952574]
}
