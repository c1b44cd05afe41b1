package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

func tname(t blas.Transpose) string {
	if t == blas.NoTrans {
		return "N"
	}
	return "T"
}

// paths runs f once per micro-kernel path this CPU has (portable Go,
// AVX2, AVX-512), with useAsm and use512 set accordingly.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			if !k.set() {
				t.Skip("this CPU lacks " + k.needs)
			}
			defer restore()
			f(t)
		})
	}
}

// kernels are the micro-kernel paths: set selects one and reports
// whether this CPU can run it (restore goes back to the default).
var kernels = []struct {
	name, needs string
	set         func() bool
}{
	{"go", "", func() bool { useAsm, use512 = false, false; return true }},
	{"avx2", "AVX2+FMA", func() bool { useAsm, use512 = hasAsm, false; return hasAsm }},
	{"avx512", "AVX-512F", func() bool { useAsm, use512 = hasAsm, has512; return has512 }},
}

func restore() { useAsm, use512 = hasAsm, has512 }

// problem is a random test problem.
type problem struct {
	tA, tB        blas.Transpose
	m, n, k       int
	alpha, beta   float64
	lda, ldb, ldc int
	a, b, c       []float64
}

func newProblem(rng *rand.Rand, tA, tB blas.Transpose, m, n, k int, alpha, beta float64, pad int) *problem {
	p := &problem{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA != blas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB != blas.NoTrans {
		br, bc = n, k
	}
	p.lda = max(1, ac) + rng.IntN(pad+1)
	p.ldb = max(1, bc) + rng.IntN(pad+1)
	p.ldc = max(1, n) + rng.IntN(pad+1)
	p.a = randSlice(rng, max(0, ar*p.lda))
	p.b = randSlice(rng, max(0, br*p.ldb))
	p.c = randSlice(rng, max(0, m*p.ldc))
	return p
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}

func (p *problem) opA(i, l int) float64 {
	if p.tA == blas.NoTrans {
		return p.a[i*p.lda+l]
	}
	return p.a[l*p.lda+i]
}

func (p *problem) opB(l, j int) float64 {
	if p.tB == blas.NoTrans {
		return p.b[l*p.ldb+j]
	}
	return p.b[j*p.ldb+l]
}

func (p *problem) run(c []float64) {
	Dgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
}

// check runs Dgemm on a copy of p.c and compares it with a naive triple
// loop, within 1e-13 relative to alpha·Σ|a||b| + |beta·c|; elements of C
// outside the m×n window must be untouched. It returns the result.
func (p *problem) check(t *testing.T) []float64 {
	t.Helper()
	got := append([]float64(nil), p.c...)
	p.run(got)
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.ldc; j++ {
			idx := i*p.ldc + j
			if j >= p.n {
				if math.Float64bits(got[idx]) != math.Float64bits(p.c[idx]) {
					t.Fatalf("%s: C[%d][%d] outside the window changed: %v -> %v", p, i, j, p.c[idx], got[idx])
				}
				continue
			}
			var sum, abs float64
			for l := 0; l < p.k; l++ {
				x := p.opA(i, l) * p.opB(l, j)
				sum += x
				abs += math.Abs(x)
			}
			want := p.alpha * sum
			scale := math.Abs(p.alpha) * abs
			if p.beta != 0 {
				want += p.beta * p.c[idx]
				scale += math.Abs(p.beta * p.c[idx])
			}
			if d := math.Abs(got[idx] - want); !(d <= 1e-13*scale) {
				t.Fatalf("%s: C[%d][%d] = %v, want %v (scale %v)", p, i, j, got[idx], want, scale)
			}
		}
	}
	return got
}

func (p *problem) String() string {
	return fmt.Sprintf("%s%s m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		tname(p.tA), tname(p.tB), p.m, p.n, p.k, p.alpha, p.beta, p.lda, p.ldb, p.ldc)
}

var alphaBetas = [][2]float64{{1, 0}, {1, 1}, {-0.5, -0.5}, {0.7, 0}, {0, -0.5}, {0, 1}, {1.3, 1}, {-0.5, 0}}

func TestSmallExhaustive(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		idx := 0
		for _, tA := range transposes {
			for _, tB := range transposes {
				for m := 0; m <= 17; m++ {
					for n := 0; n <= 17; n++ {
						for k := 0; k <= 17; k++ {
							ab := alphaBetas[idx%len(alphaBetas)]
							idx++
							newProblem(rng, tA, tB, m, n, k, ab[0], ab[1], 3).check(t)
						}
					}
				}
			}
		}
	})
}

func TestLarge(t *testing.T) {
	shapes := [][3]int{ // m, k, n
		{3000, 64, 96}, {64, 3000, 64}, {1, 1, 1}, {97, 300, 45}, {31, 513, 29},
		{200, 17, 2100}, {13, 700, 7},
	}
	if testing.Short() {
		shapes = shapes[2:]
	}
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range shapes {
			for _, tA := range transposes {
				for _, tB := range transposes {
					for _, ab := range [][2]float64{{1, 0}, {-0.5, 1}, {1, -0.5}} {
						newProblem(rng, tA, tB, s[0], s[2], s[1], ab[0], ab[1], 5).check(t)
					}
				}
			}
		}
	})
}

// TestBetaZeroNaN checks that beta = 0 does not read C.
func TestBetaZeroNaN(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{7, 5, 9}, {12, 16, 16}, {40, 300, 33}, {3, 0, 4}} {
			for _, alpha := range []float64{1, 0} {
				for _, tA := range transposes {
					for _, tB := range transposes {
						p := newProblem(rng, tA, tB, s[0], s[2], s[1], alpha, 0, 2)
						for i := range p.c {
							p.c[i] = math.NaN()
						}
						got := append([]float64(nil), p.c...)
						p.run(got)
						for i := 0; i < p.m; i++ {
							for j := 0; j < p.ldc; j++ {
								v := got[i*p.ldc+j]
								if j < p.n && math.IsNaN(v) {
									t.Fatalf("%s: C[%d][%d] is NaN", p, i, j)
								}
								if j >= p.n && !math.IsNaN(v) {
									t.Fatalf("%s: padding C[%d][%d] changed to %v", p, i, j, v)
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestDeterministic checks that repeated calls, calls on operands at other
// memory offsets, and the three kernel paths give bit-identical results;
// the shapes put every count of rows (1..11) and columns (1..7) in the
// last tiles of the 12×8 and 6×8 kernels.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	defer restore()
	shapes := [][3]int{{500, 64, 96}, {64, 1000, 64}, {37, 290, 19}, {5, 3, 3}}
	for m := 1; m <= 26; m++ {
		shapes = append(shapes, [3]int{m, 5 + m%3, 1 + m%16})
	}
	for _, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				p := newProblem(rng, tA, tB, s[0], s[2], s[1], 0.9, -0.5, 3)
				var ref []float64
				for _, kn := range kernels {
					if !kn.set() {
						continue
					}
					for rep := 0; rep < 2; rep++ {
						// Shift every operand by rep+1 elements in a new
						// allocation to change its alignment.
						sh := func(x []float64) []float64 {
							y := make([]float64, len(x)+rep+1)
							return y[rep+1:][:copy(y[rep+1:], x)]
						}
						c := sh(p.c)
						Dgemm(p.tA, p.tB, p.m, p.n, p.k, p.alpha, sh(p.a), p.lda, sh(p.b), p.ldb, p.beta, c, p.ldc)
						if ref == nil {
							ref = c
							continue
						}
						for i := range c {
							if math.Float64bits(c[i]) != math.Float64bits(ref[i]) {
								t.Fatalf("%s %s rep=%d: C[%d] = %v, first call gave %v", p, kn.name, rep, i, c[i], ref[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestPanics checks that bad arguments panic with gonum's messages.
func TestPanics(t *testing.T) {
	a := make([]float64, 100)
	b := make([]float64, 100)
	c := make([]float64, 100)
	type args struct {
		tA, tB        blas.Transpose
		m, n, k       int
		lda, ldb, ldc int
		a, b, c       []float64
	}
	N, T := blas.NoTrans, blas.Trans
	cases := []args{
		{'x', N, 2, 2, 2, 2, 2, 2, a, b, c},
		{N, 'x', 2, 2, 2, 2, 2, 2, a, b, c},
		{N, N, -1, 2, 2, 2, 2, 2, a, b, c},
		{N, N, 2, -1, 2, 2, 2, 2, a, b, c},
		{N, N, 2, 2, -1, 2, 2, 2, a, b, c},
		{N, N, 2, 3, 4, 3, 3, 3, a, b, c},
		{T, N, 5, 3, 4, 4, 3, 3, a, b, c},
		{N, N, 2, 3, 4, 4, 2, 3, a, b, c},
		{N, T, 2, 3, 4, 4, 3, 3, a, b, c},
		{N, N, 2, 3, 4, 4, 3, 2, a, b, c},
		{N, N, 20, 3, 4, 4, 3, 3, a, b, c},
		{N, N, 2, 3, 40, 40, 3, 3, a, b, c},
		{N, N, 2, 30, 4, 4, 30, 30, a, b, c},
		{N, N, 0, 3, 4, 4, 3, 3, nil, nil, nil},
		{N, N, 3, 0, 4, 4, 1, 1, nil, nil, nil},
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	for i, x := range cases {
		got := catch(func() { Dgemm(x.tA, x.tB, x.m, x.n, x.k, 1, x.a, x.lda, x.b, x.ldb, 0, x.c, x.ldc) })
		want := catch(func() {
			gonum.Implementation{}.Dgemm(x.tA, x.tB, x.m, x.n, x.k, 1, x.a, x.lda, x.b, x.ldb, 0, x.c, x.ldc)
		})
		if got != want {
			t.Errorf("case %d: panic %v, gonum panics with %v", i, got, want)
		}
	}
}

// TestConjTrans checks that ConjTrans is treated as Trans.
func TestConjTrans(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := newProblem(rng, blas.Trans, blas.Trans, 20, 11, 13, 1, 0.5, 2)
	want := p.check(t)
	got := append([]float64(nil), p.c...)
	Dgemm(blas.ConjTrans, blas.ConjTrans, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, got, p.ldc)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("ConjTrans differs from Trans at %d", i)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := newProblem(rng, blas.NoTrans, blas.Trans, 300, 64, 600, 1, 1, 0)
	c := append([]float64(nil), p.c...)
	p.run(c)
	if n := testing.AllocsPerRun(20, func() { p.run(c) }); n != 0 {
		t.Errorf("Dgemm allocates %v times per call", n)
	}
}
