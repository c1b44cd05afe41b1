package attention

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
)

// simpson integrates f over [0, d] with the composite Simpson rule on n
// (even) panels.
func simpson(f func(float64) float64, d float64, n int) float64 {
	h := d / float64(n)
	s := f(0) + f(d)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(float64(i)*h)
	}
	return s * h / 3
}

type ivCase struct {
	shape      Shape
	bRow, cRow bool
	beta       bool
	exact      bool
	plain      bool
}

func ivParams(rng *rand.Rand, c ivCase, R, K int) (a, b, cc, lb *params.Param) {
	a = randParam("A", rng, 2, R, K)
	if c.bRow {
		b = randParam("B", rng, 1.5, R, K)
	} else {
		b = randParam("B", rng, 1.5, K)
	}
	if c.shape == DecayShape {
		if c.cRow {
			cc = randParam("C", rng, 1, R, K)
		} else {
			cc = randParam("C", rng, 1, K)
		}
		for i := range cc.Value {
			cc.Value[i] = math.Abs(cc.Value[i]) + 0.2
		}
	}
	if c.beta {
		lb = randParam("logbeta", rng, 0.7, K)
	}
	return
}

func ivCases() []ivCase {
	return []ivCase{
		{shape: LinearShape, bRow: false, beta: true},
		{shape: LinearShape, bRow: true, beta: false},
		{shape: LinearShape, bRow: false, beta: true, exact: true},
		{shape: LinearShape, bRow: true, beta: true, exact: true},
		{shape: DecayShape, bRow: true, cRow: true, beta: true},
		{shape: DecayShape, bRow: true, cRow: false, beta: false},
		{shape: DecayShape, bRow: true, cRow: true, beta: true, plain: true},
		{shape: DecayShape, bRow: false, cRow: false, beta: true, plain: true},
	}
}

func ivRows(rng *rand.Rand, R, K int) (delta []float64, types []int, mask []float64) {
	delta = make([]float64, R)
	types = make([]int, R)
	mask = make([]float64, R)
	for r := range delta {
		delta[r] = rng.ExpFloat64() * 1.5
		if r%3 == 2 {
			delta[r] *= 4 // wide gaps: |B·Δ| > 1, the closed-form branch
		}
		types[r] = rng.IntN(K+1) - 1 // −1: not scored
		if rng.IntN(4) > 0 {
			mask[r] = 1
		}
	}
	delta[0] = 0 // a tie
	types[1], mask[1] = -1, 0
	return
}

// TestIntervalMatchesSimpson compares the op with scalar closed forms of
// the intensity and a 2000-panel Simpson integral per gap; with 12
// Gauss–Legendre nodes the compensator must agree to 1e-9 relative.
func TestIntervalMatchesSimpson(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	R, K := 9, 3
	nodes, weights := Rule(12)
	for _, c := range ivCases() {
		a, b, cc, lb := ivParams(rng, c, R, K)
		delta, types, mask := ivRows(rng, R, K)
		lam := func(r, k int, s float64) float64 {
			bv := b.Value[k]
			if c.bRow {
				bv = b.Value[r*K+k]
			}
			z := a.Value[r*K+k]
			if c.shape == LinearShape {
				z += bv * s
			} else {
				cv := cc.Value[k]
				if c.cRow {
					cv = cc.Value[r*K+k]
				}
				z += bv * math.Exp(-cv*s)
			}
			beta := 1.0
			if lb != nil {
				beta = math.Exp(lb.Value[k])
			}
			return math.Log1p(math.Exp(beta*z)) / beta
		}
		var want engine.IntensityStats
		for r := 0; r < R; r++ {
			if types[r] >= 0 {
				want.NumEvents++
				want.EventLog += math.Log(lam(r, types[r], delta[r]))
				tot := 0.0
				for k := 0; k < K; k++ {
					tot += lam(r, k, delta[r])
				}
				want.TotalLog += math.Log(tot)
			}
			if mask[r] != 0 && delta[r] > 0 {
				want.Integral += simpson(func(s float64) float64 {
					v := 0.0
					for k := 0; k < K; k++ {
						v += lam(r, k, s)
					}
					return v
				}, delta[r], 2000)
			}
		}
		tp := engine.NewTape()
		var st engine.IntensityStats
		in := IntervalLL{Shape: c.shape, A: tp.Param(a), B: tp.Param(b), Delta: delta, Types: types, IntMask: mask, Nodes: nodes, Weights: weights, Exact: c.exact, PlainRule: c.plain, Stats: &st}
		if cc != nil {
			in.C = tp.Param(cc)
		}
		if lb != nil {
			in.LogBeta = tp.Param(lb)
		}
		ll := IntervalIntensityLL(tp, in)
		tol := 1e-9
		if c.plain {
			tol = 1e-5 // the rule in s on the wide gaps
		}
		if st.NumEvents != want.NumEvents || math.Abs(st.EventLog-want.EventLog) > 1e-12*math.Abs(want.EventLog) ||
			math.Abs(st.TotalLog-want.TotalLog) > 1e-12*(1+math.Abs(want.TotalLog)) ||
			math.Abs(st.Integral-want.Integral) > tol*want.Integral {
			t.Errorf("%+v: stats %+v, reference %+v", c, st, want)
		}
		if math.Abs(ll.Item()-(want.EventLog-want.Integral)) > tol*(1+math.Abs(want.Integral)) {
			t.Errorf("%+v: value %v, reference %v", c, ll.Item(), want.EventLog-want.Integral)
		}
	}
}

func TestIntervalGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	R, K := 7, 3
	nodes, weights := Rule(5)
	for _, c := range ivCases() {
		a, b, cc, lb := ivParams(rng, c, R, K)
		delta, types, mask := ivRows(rng, R, K)
		ps := []*params.Param{a, b}
		if cc != nil {
			ps = append(ps, cc)
		}
		if lb != nil {
			ps = append(ps, lb)
		}
		tp := engine.NewTape()
		run := func(noGrad bool) float64 {
			tp.Reset()
			tp.SetNoGrad(noGrad)
			in := IntervalLL{Shape: c.shape, A: tp.Param(a), B: tp.Param(b), Delta: delta, Types: types, IntMask: mask, Nodes: nodes, Weights: weights, Exact: c.exact, PlainRule: c.plain}
			if cc != nil {
				in.C = tp.Param(cc)
			}
			if lb != nil {
				in.LogBeta = tp.Param(lb)
			}
			ll := IntervalIntensityLL(tp, in)
			if !noGrad {
				tp.Backward(ll)
			}
			return ll.Item()
		}
		if err := engine.CheckGradients(ps, func() float64 { return run(true) }, func() { run(false) }, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-9}); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// TestIntervals checks the gap layout against likelihood.Scope: under each
// convention the integrated gaps of a column cover exactly [from, to] and
// the scored events are those from firstScored on.
func TestIntervals(t *testing.T) {
	seqs := []data.Sequence{
		{Times: []float64{0.5, 0.9, 0.9, 2}, Types: []int{0, 1, 1, 0}, Start: 0.1, End: 3},
		{Start: 1, End: 2},
		{Times: []float64{4}, Types: []int{1}, Start: 3, End: 6},
		{Times: []float64{1, 2}, Types: []int{1, 0}, Start: 0, End: 2},
	}
	b := batch.PackSeqs(seqs, 2)
	for _, conv := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		tp := engine.NewTape()
		iv := NewIntervals(tp, b, conv)
		if iv.Scored != b.NumScored(conv) {
			t.Fatalf("%v: %d scored, batch says %d", conv, iv.Scored, b.NumScored(conv))
		}
		for col, s := range seqs {
			first, from, to := likelihood.Scope(&s, conv)
			cover := 0.0
			var scored []int
			for p := 0; p < iv.P; p++ {
				r := p*iv.B + col
				cover += iv.IntMask[r] * iv.Delta[r]
				if iv.Types[r] >= 0 {
					scored = append(scored, p)
					if iv.Types[r] != s.Types[p] {
						t.Fatalf("%v column %d gap %d: type %d, want %d", conv, col, p, iv.Types[r], s.Types[p])
					}
				}
				if p > s.Len() && iv.Active(r) {
					t.Fatalf("%v column %d: padded gap %d is active", conv, col, p)
				}
			}
			if math.Abs(cover-(to-from)) > 1e-12 {
				t.Fatalf("%v column %d: gaps cover %v, scope [%v, %v]", conv, col, cover, from, to)
			}
			if len(scored) != max(0, s.Len()-first) || (len(scored) > 0 && scored[0] != first) {
				t.Fatalf("%v column %d: scored gaps %v, first scored %d of %d", conv, col, scored, first, s.Len())
			}
		}
	}
}

func TestSaveLoadModel(t *testing.T) {
	type cfg struct {
		Hidden int     `json:"hidden"`
		Scale  float64 `json:"scale"`
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(10, 1))
	ps := []*params.Param{randParam("a", rng, 1, 2, 3), randParam("b", rng, 1, 4)}
	if err := SaveModel(dir, "m.json", "mymodel", cfg{Hidden: 3, Scale: 0.5}, 4, ps); err != nil {
		t.Fatal(err)
	}
	info, err := runs.ReadInfo(dir)
	if err != nil || info.Model != "mymodel" || info.NumTypes != 4 {
		t.Fatalf("run.json: %+v, %v", info, err)
	}
	var c cfg
	s, err := LoadModel(dir, "m.json", "mymodel", &c)
	if err != nil {
		t.Fatal(err)
	}
	if c != (cfg{3, 0.5}) || s.NumTypes != 4 {
		t.Fatalf("config %+v, types %d", c, s.NumTypes)
	}
	qs := []*params.Param{engine.NewParam("a", 2, 3), engine.NewParam("b", 4)}
	if err := s.Apply(qs); err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		for j := range ps[i].Value {
			if qs[i].Value[j] != ps[i].Value[j] {
				t.Fatalf("%s[%d]: %v, saved %v", ps[i].Name, j, qs[i].Value[j], ps[i].Value[j])
			}
		}
	}
	if err := s.Apply([]*params.Param{engine.NewParam("a", 2, 3), engine.NewParam("c", 4)}); err == nil || !strings.Contains(err.Error(), "params[1].name") {
		t.Fatalf("renamed parameter: %v", err)
	}
	if err := s.Apply([]*params.Param{engine.NewParam("a", 3, 2), engine.NewParam("b", 4)}); err == nil || !strings.Contains(err.Error(), "params[0]") {
		t.Fatalf("reshaped parameter: %v", err)
	}
	if _, err := LoadModel(dir, "m.json", "other", &c); err == nil || !strings.Contains(err.Error(), "field model") {
		t.Fatalf("wrong model name: %v", err)
	}
	path := filepath.Join(dir, "m.json")
	raw, _ := os.ReadFile(path)
	os.WriteFile(path, raw[:len(raw)/2], 0o644)
	if _, err := LoadModel(dir, "m.json", "mymodel", &c); err == nil || !strings.Contains(err.Error(), "m.json") {
		t.Fatalf("truncated file: %v", err)
	}
	ps[0].Value[1] = math.Inf(1)
	if err := SaveModel(t.TempDir(), "m.json", "mymodel", c, 4, ps); err == nil {
		t.Fatal("saved an infinite parameter")
	}
}

func TestSpecs(t *testing.T) {
	s := map[string]any{"a": 1.5, "b": 3, "c": "x", "d": true, "e": 2.5}
	if v, ok, err := SpecFloat(s, "a"); v != 1.5 || !ok || err != nil {
		t.Fatal(v, ok, err)
	}
	if v, ok, err := SpecInt(s, "b"); v != 3 || !ok || err != nil {
		t.Fatal(v, ok, err)
	}
	if _, _, err := SpecInt(s, "e"); err == nil || !strings.Contains(err.Error(), "model_specs.e") {
		t.Fatal(err)
	}
	if _, _, err := SpecFloat(s, "c"); err == nil || !strings.Contains(err.Error(), "model_specs.c") {
		t.Fatal(err)
	}
	if v, ok, err := SpecBool(s, "d"); !v || !ok || err != nil {
		t.Fatal(v, ok, err)
	}
	if _, ok, err := SpecBool(s, "zz"); ok || err != nil {
		t.Fatal(ok, err)
	}
}

// TestSoftplusIntegral checks the closed form against a 20000-panel
// Simpson rule and its derivatives against central differences, in both
// branches (|cΔ| below and above 0.05, on both sides of the switch) and
// for arguments far in the linear and exponential tails of the softplus.
func TestSoftplusIntegral(t *testing.T) {
	sp := func(x float64) float64 { return engine.Softplus(x) }
	for _, c := range []struct{ x0, c, d float64 }{
		{0.3, 0.2, 1.5}, {-1, -0.4, 2}, {2, 3, 1.7}, {-3, 5, 2}, {4, -6, 2.5},
		{-40, 30, 2}, {30, -1, 50}, {60, 2, 3}, {-60, -1, 4}, {0, 1e-9, 3}, {1, -0.999, 1}, {1, -1.001, 1},
		{0.5, 0.0499, 1}, {0.5, 0.0501, 1}, {-8, 0.0499, 1}, {-8, -0.0501, 1}, {25, 0.0499, 1}, {25, -0.0501, 1}, {3, 0.02, 2.4},
	} {
		I, dx0, dc := SoftplusIntegral(c.x0, c.c, c.d)
		want := simpson(func(s float64) float64 { return sp(c.x0 + c.c*s) }, c.d, 20000)
		if math.Abs(I-want) > 1e-11*math.Max(1e-300, math.Abs(want)) && math.Abs(I-want) > 1e-300 {
			t.Errorf("%+v: I = %.17g, Simpson %.17g", c, I, want)
		}
		h := 1e-6
		num0 := func(f func(float64) float64, x float64) float64 { return (f(x+h) - f(x-h)) / (2 * h) }
		n0 := num0(func(x float64) float64 { v, _, _ := SoftplusIntegral(x, c.c, c.d); return v }, c.x0)
		nc := num0(func(x float64) float64 { v, _, _ := SoftplusIntegral(c.x0, x, c.d); return v }, c.c)
		if math.Abs(dx0-n0) > 1e-6*math.Max(1, math.Abs(n0)) || math.Abs(dc-nc) > 1e-6*math.Max(1, math.Abs(nc)) {
			t.Errorf("%+v: derivatives %v, %v; numeric %v, %v", c, dx0, dc, n0, nc)
		}
	}
	// F(x) − F(y) is the integral of the softplus from y to x; F(0) = π²/12
	if f := SoftplusAntiderivative(0); math.Abs(f-math.Pi*math.Pi/12) > 1e-15 {
		t.Errorf("F(0) = %.17g, want π²/12", f)
	}
	for _, x := range []float64{-30, -5, -0.7, 0.4, 3, 12} {
		want := math.Pi*math.Pi/12 + simpson(func(s float64) float64 { return sp(s*x) * x }, 1, 20000)
		if f := SoftplusAntiderivative(x); math.Abs(f-want) > 1e-12*math.Max(1, want) {
			t.Errorf("F(%v) = %.17g, Simpson %.17g", x, f, want)
		}
	}
}

// TestDecayIntegral checks the substituted rule against a 200000-panel
// Simpson rule in s, including fast decays (γΔ up to 500) where a
// Gauss–Legendre rule in s with the same number of nodes fails, and its
// partial derivatives against central differences.
func TestDecayIntegral(t *testing.T) {
	nodes, weights := Rule(10)
	for _, c := range []struct{ x0, a, g, d, tol float64 }{
		{0.3, 1.2, 0.8, 2, 1e-12}, {-1, 3, 5, 4, 1e-10}, {0.5, 2, 50, 10, 1e-10}, {-2, 4, 100, 5, 1e-8},
		{1, -3, 2, 3, 1e-10}, {0.2, 0.7, 1e-12, 3, 1e-10}, {-0.5, 1.5, 0.3, 1e-6, 1e-12},
	} {
		I, dx0, da, dg := DecayIntegral(c.x0, c.a, c.g, c.d, nodes, weights)
		f := func(s float64) float64 { return engine.Softplus(c.x0 + c.a*math.Exp(-c.g*s)) }
		// Simpson on [0, min(Δ, 40/γ)] (the transient) plus the flat rest
		cut := math.Min(c.d, 40/c.g)
		want := simpson(f, cut, 200000) + (c.d-cut)*engine.Softplus(c.x0)
		if math.Abs(I-want) > c.tol*want {
			t.Errorf("%+v: I = %.15g, Simpson %.15g (rel %.2g)", c, I, want, math.Abs(I-want)/want)
		}
		// the plain rule in s, for comparison (not asserted beyond a log)
		plain := 0.0
		for q, x := range nodes {
			plain += weights[q] * c.d * f(c.d*x)
		}
		t.Logf("%+v: substituted rel err %.2g, plain 10-node rule in s %.2g", c, math.Abs(I-want)/want, math.Abs(plain-want)/want)
		h := 1e-6
		num := func(g func(float64) float64, x float64) float64 {
			hh := h * math.Max(1, math.Abs(x))
			return (g(x+hh) - g(x-hh)) / (2 * hh)
		}
		n0 := num(func(x float64) float64 { v, _, _, _ := DecayIntegral(x, c.a, c.g, c.d, nodes, weights); return v }, c.x0)
		na := num(func(x float64) float64 { v, _, _, _ := DecayIntegral(c.x0, x, c.g, c.d, nodes, weights); return v }, c.a)
		ng := num(func(x float64) float64 { v, _, _, _ := DecayIntegral(c.x0, c.a, x, c.d, nodes, weights); return v }, c.g)
		if c.g < 1e-6 {
			ng = dg // a step of 1e-6 would change γ's sign
		}
		for _, p := range [][2]float64{{dx0, n0}, {da, na}, {dg, ng}} {
			if math.Abs(p[0]-p[1]) > 1e-6*math.Max(1, math.Abs(p[1])) {
				t.Errorf("%+v: derivatives (%v, %v, %v), numeric (%v, %v, %v)", c, dx0, da, dg, n0, na, ng)
				break
			}
		}
	}
}
