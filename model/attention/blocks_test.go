package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
)

// vecLinear is x·W + b by plain loops.
func vecLinear(l *Linear, x []float64) []float64 {
	in, n := l.In(), l.Out()
	out := make([]float64, n)
	for j := 0; j < n; j++ {
		if l.B != nil {
			out[j] = l.B.Value[j]
		}
		for i := 0; i < in; i++ {
			out[j] += x[i] * l.W.Value[i*n+j]
		}
	}
	return out
}

func vecLayerNorm(n *LayerNorm, x []float64) []float64 {
	m, v := 0.0, 0.0
	for _, a := range x {
		m += a
	}
	m /= float64(len(x))
	for _, a := range x {
		v += (a - m) * (a - m)
	}
	v /= float64(len(x))
	out := make([]float64, len(x))
	for i, a := range x {
		out[i] = (a-m)/math.Sqrt(v+LNEps)*n.Gain.Value[i] + n.Bias.Value[i]
	}
	return out
}

// naiveBlock runs a Block on one sequence (rows in time order) with causal
// attention, one position at a time.
func naiveBlock(b *Block, xs [][]float64) [][]float64 {
	m := b.Att
	q := make([][]float64, len(xs))
	k := make([][]float64, len(xs))
	v := make([][]float64, len(xs))
	for i, x := range xs {
		q[i], k[i], v[i] = vecLinear(m.Q, x), vecLinear(m.K, x), vecLinear(m.V, x)
	}
	out := make([][]float64, len(xs))
	for i := range xs {
		cat := make([]float64, m.Heads*m.DK)
		for h := 0; h < m.Heads; h++ {
			lo, hi := h*m.DK, (h+1)*m.DK
			var w []float64
			z := 0.0
			for j := 0; j <= i; j++ {
				s := 0.0
				for d := lo; d < hi; d++ {
					s += q[i][d] * k[j][d]
				}
				e := math.Exp(s / math.Sqrt(float64(m.DK)))
				w = append(w, e)
				z += e
			}
			for j := 0; j <= i; j++ {
				for d := lo; d < hi; d++ {
					cat[d] += w[j] / z * v[j][d]
				}
			}
		}
		a := vecLinear(m.O, cat)
		if !b.Residual {
			h := vecLinear(b.FF.L1, a)
			for d := range h {
				h[d] = math.Max(h[d], 0)
			}
			out[i] = vecLinear(b.FF.L2, h)
			continue
		}
		y := make([]float64, len(a))
		for d := range a {
			y[d] = xs[i][d] + a[d]
		}
		y = vecLayerNorm(b.N1, y)
		h := vecLinear(b.FF.L1, y)
		for d := range h {
			h[d] = math.Max(h[d], 0)
		}
		f := vecLinear(b.FF.L2, h)
		for d := range f {
			f[d] += y[d]
		}
		out[i] = vecLayerNorm(b.N2, f)
	}
	return out
}

func randomise(ps []*params.Param, rng *rand.Rand, a float64) {
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] += (2*rng.Float64() - 1) * a
		}
	}
}

// TestBlockMatchesNaive runs a block over a time-major batch of three
// sequences of different lengths and compares every real row with the
// one-sequence naive computation.
func TestBlockMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	lens := []int{4, 1, 3}
	L, B, D := 4, 3, 6
	for _, residual := range []bool{true, false} {
		blk := NewBlock("b", D, 2, 5, residual)
		blk.Init(rng)
		randomise(blk.Params(), rng, 0.3) // non-trivial biases, gains
		x := randParam("x", rng, 1, L*B, D)
		tp := engine.NewTape()
		out := blk.Apply(tp, tp.Param(x), CausalSpans(tp, L, B, lens))
		for b := 0; b < B; b++ {
			var xs [][]float64
			for i := 0; i < lens[b]; i++ {
				r := i*B + b
				xs = append(xs, x.Value[r*D:(r+1)*D])
			}
			want := naiveBlock(blk, xs)
			for i := range want {
				r := i*B + b
				for d := 0; d < D; d++ {
					if got := out.Data[r*D+d]; math.Abs(got-want[i][d]) > 1e-12 {
						t.Fatalf("residual=%v column %d position %d: %v, naive %v", residual, b, i, got, want[i][d])
					}
				}
			}
		}
	}
}

func TestBlockGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	lens := []int{3, 2}
	L, B, D := 3, 2, 4
	for _, residual := range []bool{true, false} {
		blk := NewBlock("b", D, 2, 3, residual)
		blk.Init(rng)
		randomise(blk.Params(), rng, 0.3)
		x := randParam("x", rng, 1, L*B, D)
		ps := append([]*params.Param{x}, blk.Params()...)
		w := make([]float64, L*B*D)
		for i := range w {
			if i/(B*D) < lens[(i/D)%B] {
				w[i] = rng.NormFloat64()
			}
		}
		tp := engine.NewTape()
		run := func(noGrad bool) float64 {
			tp.Reset()
			tp.SetNoGrad(noGrad)
			out := blk.Apply(tp, tp.Param(x), CausalSpans(tp, L, B, lens))
			out = blk.Apply(tp, out, CausalSpans(tp, L, B, lens)) // two layers deep
			loss := tp.WeightedSum(tp.Tanh(out), w)
			if !noGrad {
				tp.Backward(loss)
			}
			return loss.Item()
		}
		if err := engine.CheckGradients(ps, func() float64 { return run(true) }, func() { run(false) }, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-9}); err != nil {
			t.Errorf("residual=%v: %v", residual, err)
		}
	}
}

func TestMHAQueryWithSelf(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	m := NewMHA("m", 5, 2, 3, 4)
	m.Init(rng)
	xq := randParam("xq", rng, 1, 4, 5)
	xkv := randParam("xkv", rng, 1, 6, 5)
	base, n := []int{0, 1, 0, 2}, []int{0, 2, 3, 1}
	sp := Spans{Base: base, Len: n, Stride: 2}
	tp := engine.NewTape()
	out := m.Query(tp, tp.Param(xq), tp.Param(xkv), sp, true)
	// naive: q from xq, keys from xkv rows plus the query's own key
	for r := 0; r < 4; r++ {
		q := vecLinear(m.Q, xq.Value[r*5:(r+1)*5])
		var ks, vs [][]float64
		for j := 0; j < n[r]; j++ {
			kr := base[r] + j*2
			ks = append(ks, vecLinear(m.K, xkv.Value[kr*5:(kr+1)*5]))
			vs = append(vs, vecLinear(m.V, xkv.Value[kr*5:(kr+1)*5]))
		}
		ks = append(ks, vecLinear(m.K, xq.Value[r*5:(r+1)*5]))
		vs = append(vs, vecLinear(m.V, xq.Value[r*5:(r+1)*5]))
		cat := make([]float64, 6)
		for h := 0; h < 2; h++ {
			var e []float64
			z := 0.0
			for _, k := range ks {
				s := 0.0
				for d := h * 3; d < h*3+3; d++ {
					s += q[d] * k[d]
				}
				e = append(e, math.Exp(s/math.Sqrt(3)))
				z += e[len(e)-1]
			}
			for j, v := range vs {
				for d := h * 3; d < h*3+3; d++ {
					cat[d] += e[j] / z * v[d]
				}
			}
		}
		want := vecLinear(m.O, cat)
		for d := range want {
			if got := out.Data[r*4+d]; math.Abs(got-want[d]) > 1e-12 {
				t.Fatalf("row %d col %d: %v, naive %v", r, d, got, want[d])
			}
		}
	}
	// ApplyVec is the same map as Apply
	v := make([]float64, 6)
	m.Q.ApplyVec(xq.Value[:5], v)
	w := vecLinear(m.Q, xq.Value[:5])
	for i := range v {
		if math.Abs(v[i]-w[i]) > 1e-14 {
			t.Fatalf("ApplyVec: %v, want %v", v, w)
		}
	}
}

func TestSinCos(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	ph := randParam("phase", rng, 4, 3, 2)
	w := make([]float64, 12)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	tp := engine.NewTape()
	out := SinCos(tp, tp.Param(ph))
	for i, x := range ph.Value {
		if out.Data[2*i] != math.Sin(x) || math.Abs(out.Data[2*i+1]-math.Cos(x)) > 1e-15 {
			t.Fatalf("SinCos(%v) = %v, %v", x, out.Data[2*i], out.Data[2*i+1])
		}
	}
	run := func(noGrad bool) float64 {
		tp.Reset()
		tp.SetNoGrad(noGrad)
		loss := tp.WeightedSum(SinCos(tp, tp.Param(ph)), w)
		if !noGrad {
			tp.Backward(loss)
		}
		return loss.Item()
	}
	if err := engine.CheckGradients([]*params.Param{ph}, func() float64 { return run(true) }, func() { run(false) }, engine.GradCheck{}); err != nil {
		t.Fatal(err)
	}
	// Sinusoid: pairs at frequencies 10000^(−2j/M)
	enc := make([]float64, 5)
	Sinusoid(3.7, enc)
	for j := 0; 2*j < 5; j++ {
		om := 1 / math.Pow(10000, float64(2*j)/5)
		if math.Abs(enc[2*j]-math.Sin(3.7*om)) > 1e-15 || (2*j+1 < 5 && math.Abs(enc[2*j+1]-math.Cos(3.7*om)) > 1e-15) {
			t.Fatalf("Sinusoid: %v", enc)
		}
	}
}
