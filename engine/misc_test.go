package engine

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/params"
)

// TestGaussLegendre checks exactness on polynomials of degree ≤ 2n−1 over
// [0, 1] (∫ x^d = 1/(d+1)) and that degree 2n is not integrated exactly.
func TestGaussLegendre(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 8, 20} {
		x, w := GaussLegendre(n)
		for d := 0; d <= 2*n; d++ {
			s := 0.0
			for i := range x {
				s += w[i] * math.Pow(x[i], float64(d))
			}
			err := math.Abs(s - 1/float64(d+1))
			if d <= 2*n-1 && err > 1e-14 {
				t.Errorf("n=%d: ∫x^%d error %g", n, d, err)
			}
			if d == 2*n && err < 1e-6/math.Pow(4, float64(n)) {
				t.Errorf("n=%d: degree %d integrated exactly (error %g): not a %d-point rule", n, d, err, n)
			}
		}
		for i := range x {
			if x[i] <= 0 || x[i] >= 1 || w[i] <= 0 {
				t.Errorf("n=%d: node %v weight %v", n, x[i], w[i])
			}
		}
	}
}

// TestAdamConstantGradient: with a constant gradient g, the bias-corrected
// moments are exactly g and g², so each step moves θ by LR·g/(|g|+ε).
func TestAdamConstantGradient(t *testing.T) {
	p := NewParam("p", 3)
	copy(p.Value, []float64{1, -2, 0.5})
	g := []float64{0.3, -4, 1e-3}
	a := NewAdam([]*params.Param{p}, AdamConfig{LR: 0.01})
	for step := 1; step <= 5; step++ {
		copy(p.Grad, g)
		a.Step()
	}
	for i, v := range []float64{1, -2, 0.5} {
		want := v - 5*0.01*g[i]/(math.Abs(g[i])+1e-8)
		if math.Abs(p.Value[i]-want) > 1e-12 {
			t.Errorf("θ[%d] = %.15g, want %.15g", i, p.Value[i], want)
		}
	}
}

// TestAdamWeightDecay: with zero gradient, decoupled decay shrinks θ by
// (1 − LR·wd) per step; L2 decay behaves as a constant-sign gradient wd·θ.
func TestAdamWeightDecay(t *testing.T) {
	p := NewParam("p", 1)
	p.Value[0] = 2
	a := NewAdam([]*params.Param{p}, AdamConfig{LR: 0.1, WeightDecay: 0.5, Decoupled: true})
	for i := 0; i < 3; i++ {
		a.Step()
	}
	if want := 2 * math.Pow(1-0.05, 3); math.Abs(p.Value[0]-want) > 1e-14 {
		t.Errorf("AdamW θ = %v, want %v", p.Value[0], want)
	}
	q := NewParam("q", 1)
	q.Value[0] = 2
	b := NewAdam([]*params.Param{q}, AdamConfig{LR: 0.1, WeightDecay: 0.5})
	b.Step() // g = 1: first step moves by LR·sign
	if want := 2 - 0.1/(1+1e-8); math.Abs(q.Value[0]-want) > 1e-14 {
		t.Errorf("L2 Adam θ = %v, want %v", q.Value[0], want)
	}
}

// TestAdamMinimises: Adam drives a convex quadratic to its minimum.
func TestAdamMinimises(t *testing.T) {
	p := NewParam("p", 2)
	a := NewAdam([]*params.Param{p}, AdamConfig{LR: 0.05})
	for i := 0; i < 3000; i++ {
		p.Grad[0] = 2 * (p.Value[0] - 3)
		p.Grad[1] = 20 * (p.Value[1] + 1)
		a.Step()
	}
	if math.Abs(p.Value[0]-3) > 1e-3 || math.Abs(p.Value[1]+1) > 1e-3 {
		t.Fatalf("Adam ended at %v, want [3 -1]", p.Value)
	}
}

func TestClipGradNorm(t *testing.T) {
	p, q := NewParam("p", 2), NewParam("q", 1)
	copy(p.Grad, []float64{3, 0})
	q.Grad[0] = -4
	ps := []*params.Param{p, q}
	if n := ClipGradNorm(ps, 10); n != 5 || p.Grad[0] != 3 || q.Grad[0] != -4 {
		t.Fatalf("no-op clip changed gradients: norm %v, %v %v", n, p.Grad, q.Grad)
	}
	if n := ClipGradNorm(ps, 1); n != 5 {
		t.Fatalf("norm before clipping %v, want 5", n)
	}
	if math.Abs(GradNorm(ps)-1) > 1e-15 || math.Abs(p.Grad[0]-0.6) > 1e-15 || math.Abs(q.Grad[0]+0.8) > 1e-15 {
		t.Fatalf("after clipping: %v %v", p.Grad, q.Grad)
	}
}

func TestInitialisers(t *testing.T) {
	p := NewParam("w", 200, 300)
	InitXavier(p, 200, 300, NewRand(1))
	a := math.Sqrt(6.0 / 500)
	m, v := 0.0, 0.0
	for _, x := range p.Value {
		if x < -a || x >= a {
			t.Fatalf("Xavier value %v outside ±%v", x, a)
		}
		m += x
		v += x * x
	}
	n := float64(len(p.Value))
	m /= n
	v = v/n - m*m
	// U(−a, a): mean 0, variance a²/3; standard errors ≈ a/√(3n) and a²/(√(5n)·…)
	if math.Abs(m) > 4*a/math.Sqrt(3*n) || math.Abs(v-a*a/3) > 0.01*a*a {
		t.Fatalf("Xavier mean %v variance %v, want 0 and %v", m, v, a*a/3)
	}
	q := NewParam("w", 200, 300)
	InitXavier(q, 200, 300, NewRand(1))
	for i := range p.Value {
		if p.Value[i] != q.Value[i] {
			t.Fatal("same seed gave different values")
		}
	}
	InitXavier(q, 200, 300, NewRand(2))
	if p.Value[0] == q.Value[0] && p.Value[1] == q.Value[1] {
		t.Fatal("different seeds gave the same values")
	}
}

// rnnLoss is a small recurrent model used to test workers and allocations:
// each of B columns runs L steps of an RNN over its own inputs, and the loss
// is a weighted sum of all states.
type rnnFixture struct {
	wh, wx, b *params.Param
	x         []float64 // [L, Btotal, 3]
	w         []float64 // [L, Btotal, H]
	L, B, H   int
}

func newRNNFixture(L, B, H int) *rnnFixture {
	rng := NewRand(11)
	f := &rnnFixture{wh: NewParam("wh", H, H), wx: NewParam("wx", 3, H), b: NewParam("b", H), L: L, B: B, H: H}
	InitXavier(f.wh, H, H, rng)
	InitXavier(f.wx, 3, H, rng)
	InitUniform(f.b, -0.1, 0.1, rng)
	f.x = make([]float64, L*B*3)
	f.w = make([]float64, L*B*H)
	for i := range f.x {
		f.x[i] = rng.NormFloat64()
	}
	for i := range f.w {
		f.w[i] = rng.NormFloat64()
	}
	return f
}

func (f *rnnFixture) params() []*params.Param { return []*params.Param{f.wh, f.wx, f.b} }

// loss builds the loss of columns [lo, hi) on t.
func (f *rnnFixture) loss(t *Tape, lo, hi int) *Tensor {
	n := hi - lo
	wh, wx, b := t.Param(f.wh), t.Param(f.wx), t.Param(f.b)
	xs := t.floatsRaw(f.L * n * 3)
	ws := t.floatsRaw(f.L * n * f.H)
	for s := 0; s < f.L; s++ {
		copy(xs[s*n*3:(s+1)*n*3], f.x[(s*f.B+lo)*3:(s*f.B+hi)*3])
		copy(ws[s*n*f.H:(s+1)*n*f.H], f.w[(s*f.B+lo)*f.H:(s*f.B+hi)*f.H])
	}
	xp := t.Linear(t.Const(xs, f.L*n, 3), wx, b)
	h := t.New(n, f.H)
	var hs [64]*Tensor
	for s := 0; s < f.L; s++ {
		h = t.RNNCell(t.Rows(xp, s*n, (s+1)*n), h, wh)
		hs[s] = h
	}
	return t.WeightedSum(t.ConcatRows(hs[:f.L]...), ws)
}

// TestWorkersMatchSingleTape: splitting a batch over workers gives the same
// loss and gradients as one tape (up to summation order), and the same
// numbers on every run.
func TestWorkersMatchSingleTape(t *testing.T) {
	f := newRNNFixture(6, 10, 5)
	ps := f.params()
	tp := NewTape()
	params.ZeroGrad(ps)
	l1 := f.loss(tp, 0, f.B)
	tp.Backward(l1)
	ref := make([][]float64, len(ps))
	for i, p := range ps {
		ref[i] = append([]float64(nil), p.Grad...)
	}
	for _, nw := range []int{1, 2, 3} {
		w := NewWorkers(ps, nw)
		var prev [][]float64
		for rep := 0; rep < 2; rep++ {
			params.ZeroGrad(ps)
			losses := make([]float64, nw)
			w.Run(nw, func(i int, t *Tape) {
				lo, hi := Chunk(f.B, nw, i)
				l := f.loss(t, lo, hi)
				t.Backward(l)
				losses[i] = l.Item()
			})
			total := 0.0
			for _, l := range losses {
				total += l
			}
			if math.Abs(total-l1.Item()) > 1e-12*math.Abs(l1.Item()) {
				t.Fatalf("%d workers: loss %v, single tape %v", nw, total, l1.Item())
			}
			for i, p := range ps {
				closeSlices(t, p.Name, p.Grad, ref[i], 1e-12)
				if prev != nil {
					for j := range p.Grad {
						if p.Grad[j] != prev[i][j] {
							t.Fatalf("%d workers: run-to-run difference in %s[%d]", nw, p.Name, j)
						}
					}
				}
			}
			prev = make([][]float64, len(ps))
			for i, p := range ps {
				prev[i] = append([]float64(nil), p.Grad...)
			}
		}
	}
}

func TestChunk(t *testing.T) {
	for total := 0; total < 12; total++ {
		for n := 1; n < 5; n++ {
			next := 0
			for i := 0; i < n; i++ {
				lo, hi := Chunk(total, n, i)
				if lo != next || hi < lo || hi-lo > total/n+1 || hi-lo < total/n {
					t.Fatalf("Chunk(%d,%d,%d) = [%d,%d)", total, n, i, lo, hi)
				}
				next = hi
			}
			if next != total {
				t.Fatalf("Chunk(%d,%d) covers %d", total, n, next)
			}
		}
	}
}

// TestSteadyStateAllocations: once the arena has grown, a whole
// forward+backward step on a reused tape allocates nothing.
func TestSteadyStateAllocations(t *testing.T) {
	f := newRNNFixture(8, 16, 8)
	tp := NewTape()
	step := func() {
		tp.Reset()
		tp.Backward(f.loss(tp, 0, f.B))
	}
	step()
	step()
	if a := testing.AllocsPerRun(20, step); a > 0 {
		t.Fatalf("%v allocations per step, want 0", a)
	}
	// the other fused ops
	ps := makeInputs(opCase{name: "alloc", inputs: []in{u(6, 16), u(6, 4), u(6, 4), u(4, 16), u(4, 3), u(3), pos(6, 4), pos(6, 5)}}, 3)
	types := []int{0, 2, -1, 1, 2, 0}
	qw := make([]float64, 30)
	for i := range qw {
		qw[i] = float64(i % 3)
	}
	step2 := func() {
		tp.Reset()
		x := make([]*Tensor, 0, 8)
		for _, p := range ps {
			x = append(x, tp.Param(p))
		}
		h, c := tp.LSTMCell(x[0], x[1], x[2], x[3])
		hq := tp.CTHidden(c, x[2], x[6], h, x[7], nil)
		cq := tp.CTDecay(c, x[2], x[6], x[7], nil)
		ll := tp.SoftplusIntensityLL(IntensityLL{HEv: h, Types: types, HQ: tp.Reshape(tp.Add(hq, cq), 30, 4), QW: qw, W: x[4], LogBeta: x[5]})
		g := tp.GRUCell(tp.SliceLast(x[0], 0, 12), h, tp.SliceLast(x[3], 0, 12), nil)
		tp.Backward(tp.Add(ll, tp.Sum(tp.PickLogSoftmax(g, types))))
	}
	step2()
	step2()
	if a := testing.AllocsPerRun(20, step2); a > 0 {
		t.Fatalf("fused ops: %v allocations per step, want 0", a)
	}
}

// TestNoGradMode: with recording off nothing is stored and parameters get no
// gradient, and the values are the same.
func TestNoGradMode(t *testing.T) {
	f := newRNNFixture(4, 3, 4)
	tp := NewTape()
	want := f.loss(tp, 0, 3).Item()
	tp.Reset()
	tp.SetNoGrad(true)
	params.ZeroGrad(f.params())
	l := f.loss(tp, 0, 3)
	tp.Backward(l)
	if l.Item() != want || tp.NumNodes() != 0 || l.NeedsGrad() || GradNorm(f.params()) != 0 {
		t.Fatalf("no-grad mode: loss %v (want %v), %d nodes", l.Item(), want, tp.NumNodes())
	}
}

func TestBLASName(t *testing.T) {
	if b := BLAS(); b != "gonum" && b != "gonum+gemm" && b != "openblas" {
		t.Fatalf("BLAS() = %q", b)
	}
	t.Logf("matrix products through %s", BLAS())
}
