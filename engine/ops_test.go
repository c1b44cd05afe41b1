package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/gotpp/gotpp/params"
)

// in describes one random input of an op test: its shape and the interval
// its values are drawn from.
type in struct {
	dims   []int
	lo, hi float64
}

func u(dims ...int) in   { return in{dims, -1, 1} }
func pos(dims ...int) in { return in{dims, 0.5, 2} }

type opCase struct {
	name   string
	inputs []in
	build  func(o Ops, x []*Tensor) *Tensor
}

// makeInputs draws the inputs of c as parameters (seeded).
func makeInputs(c opCase, seed uint64) []*params.Param {
	rng := NewRand(seed)
	ps := make([]*params.Param, len(c.inputs))
	for i, s := range c.inputs {
		ps[i] = NewParam(fmt.Sprintf("%s.in%d", c.name, i), s.dims...)
		InitUniform(ps[i], s.lo, s.hi, rng)
	}
	return ps
}

// scalarLoss builds the op on tape t and reduces its output to a scalar
// with fixed random weights (so every output element matters differently).
func scalarLoss(t *Tape, o Ops, c opCase, ps []*params.Param, seed uint64) *Tensor {
	x := make([]*Tensor, len(ps))
	for i, p := range ps {
		x[i] = t.Param(p)
	}
	out := c.build(o, x)
	if out.Size() == 1 {
		return t.Scale(out, 1.3)
	}
	w := t.Floats(out.Size())
	rng := NewRand(seed + 99)
	for i := range w {
		w[i] = rng.Float64()*2 - 1
	}
	return t.WeightedSum(out, w)
}

var (
	gatherIdx = []int{2, 0, -1, 2, 1}
	pickIdx   = []int{1, -1, 3}
)

func primitiveCases() []opCase {
	return []opCase{
		{"Add", []in{u(3, 4), u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Add(x[0], x[1]) }},
		{"AddRow", []in{u(3, 4), u(4)}, func(o Ops, x []*Tensor) *Tensor { return o.Add(x[0], x[1]) }},
		{"AddRowFirst", []in{u(4), u(2, 3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Add(x[0], x[1]) }},
		{"AddCol", []in{u(3, 4), u(3, 1)}, func(o Ops, x []*Tensor) *Tensor { return o.Add(x[0], x[1]) }},
		{"AddScalarT", []in{u(3, 4), u(1)}, func(o Ops, x []*Tensor) *Tensor { return o.Add(x[0], x[1]) }},
		{"Sub", []in{u(3, 4), u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Sub(x[0], x[1]) }},
		{"SubColFirst", []in{u(3, 1), u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Sub(x[0], x[1]) }},
		{"SubRow", []in{u(3, 4), u(4)}, func(o Ops, x []*Tensor) *Tensor { return o.Sub(x[0], x[1]) }},
		{"Mul", []in{u(3, 4), u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Mul(x[0], x[1]) }},
		{"MulRow", []in{u(3, 4), u(1, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Mul(x[0], x[1]) }},
		{"MulCol", []in{u(3, 4), u(3, 1)}, func(o Ops, x []*Tensor) *Tensor { return o.Mul(x[0], x[1]) }},
		{"MulScalarFirst", []in{u(1), u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Mul(x[0], x[1]) }},
		{"Div", []in{u(3, 4), pos(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Div(x[0], x[1]) }},
		{"DivRow", []in{u(3, 4), pos(4)}, func(o Ops, x []*Tensor) *Tensor { return o.Div(x[0], x[1]) }},
		{"DivCol", []in{u(3, 4), pos(3, 1)}, func(o Ops, x []*Tensor) *Tensor { return o.Div(x[0], x[1]) }},
		{"DivColFirst", []in{pos(3, 1), pos(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Div(x[0], x[1]) }},
		{"Scale", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Scale(x[0], -2.5) }},
		{"AddScalar", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.AddScalar(x[0], 0.7) }},
		{"Neg", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Neg(x[0]) }},
		{"Exp", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Exp(x[0]) }},
		{"Log", []in{pos(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Log(x[0]) }},
		{"Tanh", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Tanh(x[0]) }},
		{"Sigmoid", []in{in{[]int{3, 4}, -5, 5}}, func(o Ops, x []*Tensor) *Tensor { return o.Sigmoid(x[0]) }},
		{"Softplus", []in{in{[]int{3, 4}, -30, 30}}, func(o Ops, x []*Tensor) *Tensor { return o.Softplus(x[0]) }},
		{"ReLU", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.ReLU(x[0]) }},
		{"Square", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Square(x[0]) }},
		{"LogSoftmax", []in{in{[]int{3, 5}, -3, 3}}, func(o Ops, x []*Tensor) *Tensor { return o.LogSoftmax(x[0]) }},
		{"Softmax", []in{in{[]int{3, 5}, -3, 3}}, func(o Ops, x []*Tensor) *Tensor { return o.Softmax(x[0]) }},
		{"LayerNorm", []in{u(3, 5), pos(5), u(5)}, func(o Ops, x []*Tensor) *Tensor { return o.LayerNorm(x[0], x[1], x[2], 1e-5) }},
		{"LayerNormPlain", []in{u(2, 3, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.LayerNorm(x[0], nil, nil, 1e-5) }},
		{"Gather", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Gather(x[0], gatherIdx) }},
		{"Pick", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Pick(x[0], pickIdx) }},
		{"Concat", []in{u(3, 2), u(3, 4), u(3, 1)}, func(o Ops, x []*Tensor) *Tensor { return o.Concat(x[0], x[1], x[2]) }},
		{"SliceLast", []in{u(3, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.SliceLast(x[0], 1, 4) }},
		{"ConcatRows", []in{u(2, 3), u(1, 3), u(3, 3)}, func(o Ops, x []*Tensor) *Tensor { return o.ConcatRows(x[0], x[1], x[2]) }},
		{"Rows", []in{u(5, 3)}, func(o Ops, x []*Tensor) *Tensor { return o.Square(o.Rows(x[0], 1, 4)) }},
		{"Reshape", []in{u(2, 6)}, func(o Ops, x []*Tensor) *Tensor { return o.Exp(o.Reshape(x[0], 3, 4)) }},
		{"Transpose01", []in{u(2, 3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Transpose01(x[0]) }},
		{"MatMul", []in{u(3, 4), u(4, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], false, false) }},
		{"MatMulTA", []in{u(4, 3), u(4, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], true, false) }},
		{"MatMulTB", []in{u(3, 4), u(5, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], false, true) }},
		{"MatMulTATB", []in{u(4, 3), u(5, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], true, true) }},
		{"MatVec", []in{u(3, 4), u(4, 1)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], false, false) }},
		{"MatVecTATB", []in{u(4, 3), u(1, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], true, true) }},
		{"VecMat", []in{u(1, 4), u(4, 3)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], false, false) }},
		{"VecMatTATB", []in{u(4, 1), u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], true, true) }},
		{"Outer", []in{u(3, 1), u(1, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], false, false) }},
		{"MatMul3D", []in{u(2, 3, 4), u(4, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], false, false) }},
		{"BatchMatMul", []in{u(2, 3, 4), u(2, 4, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.BatchMatMul(x[0], x[1], false, false) }},
		{"BatchMatMulTB", []in{u(2, 3, 4), u(2, 5, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.BatchMatMul(x[0], x[1], false, true) }},
		{"BatchMatMulTA", []in{u(2, 4, 3), u(2, 4, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.BatchMatMul(x[0], x[1], true, false) }},
		{"Linear", []in{u(2, 3, 4), u(4, 5), u(5)}, func(o Ops, x []*Tensor) *Tensor { return o.Linear(x[0], x[1], x[2]) }},
		{"LinearNoBias", []in{u(3, 4), u(4, 5)}, func(o Ops, x []*Tensor) *Tensor { return o.Linear(x[0], x[1], nil) }},
		{"Sum", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.Sum(o.Square(x[0])) }},
		{"SumLast", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor { return o.SumLast(x[0]) }},
		{"WeightedSum", []in{u(3, 4)}, func(o Ops, x []*Tensor) *Tensor {
			return o.WeightedSum(o.Exp(x[0]), []float64{1, 0, 2, -1, 0.5, 0, 0, 1, 3, 1, 1, -2})
		}},
		{"Chain", []in{u(3, 4), u(4, 4), u(4)}, func(o Ops, x []*Tensor) *Tensor {
			h := o.Tanh(o.Linear(x[0], x[1], x[2]))
			return o.Mul(h, o.Sigmoid(o.Add(h, x[0])))
		}},
	}
}

// TestPrimitiveGradients checks every primitive op's backward pass against
// central finite differences.
func TestPrimitiveGradients(t *testing.T) { checkCaseGradients(t, primitiveCases(), 100) }

// checkCaseGradients checks each case's backward pass against central
// finite differences of its scalar loss, case i with inputs from seed
// seedBase+i.
func checkCaseGradients(t *testing.T, cases []opCase, seedBase uint64) {
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seed := seedBase + uint64(ci)
			ps := makeInputs(c, seed)
			tp := NewTape()
			loss := func() float64 {
				tp.Reset()
				return scalarLoss(tp, tp, c, ps, seed).Item()
			}
			grad := func() {
				tp.Reset()
				tp.Backward(scalarLoss(tp, tp, c, ps, seed))
			}
			if err := CheckGradients(ps, loss, grad, GradCheck{RelTol: 1e-6, AbsTol: 1e-9}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func naiveMatMul(a []float64, ar, ac int, ta bool, b []float64, br, bc int, tb bool) (out []float64, m, n int) {
	at := func(i, k int) float64 {
		if ta {
			return a[k*ac+i]
		}
		return a[i*ac+k]
	}
	bt := func(k, j int) float64 {
		if tb {
			return b[j*bc+k]
		}
		return b[k*bc+j]
	}
	m, kk := ar, ac
	if ta {
		m, kk = ac, ar
	}
	n = bc
	if tb {
		n = br
	}
	out = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for k := 0; k < kk; k++ {
				s += at(i, k) * bt(k, j)
			}
			out[i*n+j] = s
		}
	}
	return out, m, n
}

func closeSlices(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol*max(1, math.Abs(want[i]))) {
			t.Fatalf("%s[%d] = %.15g, want %.15g", what, i, got[i], want[i])
		}
	}
}

// TestForwardValues checks the forward values of the primitives against
// plain scalar code.
func TestForwardValues(t *testing.T) {
	rng := NewRand(7)
	rnd := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64()*4 - 2
		}
		return x
	}
	tp := NewTape()
	tp.SetNoGrad(true)
	for _, dims := range [][3]int{{3, 4, 5}, {3, 4, 1}, {1, 4, 5}, {1, 4, 1}, {3, 1, 5}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			M, K, N := dims[0], dims[1], dims[2]
			a, b := rnd(M*K), rnd(K*N)
			ar, ac, br, bc := M, K, K, N
			if tr[0] {
				ar, ac = K, M
			}
			if tr[1] {
				br, bc = N, K
			}
			got := tp.MatMul(tp.Const(a, ar, ac), tp.Const(b, br, bc), tr[0], tr[1])
			want, m, n := naiveMatMul(a, ar, ac, tr[0], b, br, bc, tr[1])
			if got.Dim(0) != m || got.Dim(1) != n {
				t.Fatalf("MatMul%v shape %v", tr, got.Shape())
			}
			closeSlices(t, fmt.Sprintf("MatMul%v%v", dims, tr), got.Data, want, 1e-14)
		}
	}
	// broadcasting
	x, row, col, sc := rnd(12), rnd(4), rnd(3), rnd(1)
	X := tp.Const(x, 3, 4)
	sum := tp.Add(tp.Mul(X, tp.Const(row, 4)), tp.Div(tp.Const(col, 3, 1), tp.Const(sc, 1)))
	for r := 0; r < 3; r++ {
		for c := 0; c < 4; c++ {
			want := x[r*4+c]*row[c] + col[r]/sc[0]
			if math.Abs(sum.Data[r*4+c]-want) > 1e-14 {
				t.Fatalf("broadcast [%d,%d] = %v, want %v", r, c, sum.Data[r*4+c], want)
			}
		}
	}
	// log-softmax / softmax rows
	ls := tp.LogSoftmax(X)
	smx := tp.Softmax(X)
	for r := 0; r < 3; r++ {
		z := 0.0
		for c := 0; c < 4; c++ {
			z += math.Exp(x[r*4+c])
		}
		for c := 0; c < 4; c++ {
			want := x[r*4+c] - math.Log(z)
			if math.Abs(ls.Data[r*4+c]-want) > 1e-14 || math.Abs(smx.Data[r*4+c]-math.Exp(want)) > 1e-14 {
				t.Fatalf("softmax row %d col %d", r, c)
			}
		}
	}
	// layer norm
	g, bb := rnd(4), rnd(4)
	ln := tp.LayerNorm(X, tp.Const(g, 4), tp.Const(bb, 4), 1e-5)
	for r := 0; r < 3; r++ {
		m, v := 0.0, 0.0
		for c := 0; c < 4; c++ {
			m += x[r*4+c] / 4
		}
		for c := 0; c < 4; c++ {
			v += (x[r*4+c] - m) * (x[r*4+c] - m) / 4
		}
		for c := 0; c < 4; c++ {
			want := (x[r*4+c]-m)/math.Sqrt(v+1e-5)*g[c] + bb[c]
			if math.Abs(ln.Data[r*4+c]-want) > 1e-13 {
				t.Fatalf("LayerNorm [%d,%d] = %v, want %v", r, c, ln.Data[r*4+c], want)
			}
		}
	}
	// gather, pick, concat, slice, transpose
	gat := tp.Gather(X, []int{2, -1, 0})
	closeSlices(t, "Gather", gat.Data, append(append(append([]float64{}, x[8:12]...), 0, 0, 0, 0), x[0:4]...), 0)
	pk := tp.Pick(X, []int{3, 0, -1})
	closeSlices(t, "Pick", pk.Data, []float64{x[3], x[4], 0}, 0)
	cc := tp.Concat(tp.SliceLast(X, 2, 4), tp.SliceLast(X, 0, 2))
	for r := 0; r < 3; r++ {
		closeSlices(t, "Concat/SliceLast", cc.Data[r*4:r*4+4], []float64{x[r*4+2], x[r*4+3], x[r*4], x[r*4+1]}, 0)
	}
	y := rnd(24)
	tt := tp.Transpose01(tp.Const(y, 2, 3, 4))
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			closeSlices(t, "Transpose01", tt.Data[(j*2+i)*4:(j*2+i+1)*4], y[(i*3+j)*4:(i*3+j+1)*4], 0)
		}
	}
	// softplus and its logarithm at extreme arguments
	for _, v := range []float64{-800, -40, -1, 0, 1, 40, 800} {
		want := math.Log1p(math.Exp(v))
		if v > 30 {
			want = v + math.Exp(-v)
		}
		if got := Softplus(v); math.Abs(got-want) > 1e-15*max(1, math.Abs(want)) {
			t.Errorf("Softplus(%v) = %v, want %v", v, got, want)
		}
	}
	if got := LogSoftplus(-800); got != -800 {
		t.Errorf("LogSoftplus(-800) = %v, want -800", got)
	}
	if got, want := LogSoftplus(-40), -40-math.Exp(-40)/2; math.Abs(got-want) > 1e-13 {
		t.Errorf("LogSoftplus(-40) = %v, want %v", got, want)
	}
	if got := SigmoidOverSoftplus(-800); got != 1 {
		t.Errorf("SigmoidOverSoftplus(-800) = %v, want 1", got)
	}
	if got := Sigmoid(-800); got != 0 || math.IsNaN(Sigmoid(800)) || Sigmoid(800) != 1 {
		t.Errorf("Sigmoid at ±800: %v %v", Sigmoid(-800), Sigmoid(800))
	}
}

// TestSoftplusNoDeadZone checks that Softplus has the exact gradient
// sigmoid(x) across the range where EasyTPP's clamped version is flat.
func TestSoftplusNoDeadZone(t *testing.T) {
	for _, x := range []float64{11.6, 15, 19.99, 20, 20.01, 50} {
		p := NewParam("x", 1)
		p.Value[0] = x
		tp := NewTape()
		out := tp.Softplus(tp.Param(p))
		tp.Backward(out)
		if math.Abs(out.Data[0]-(x+math.Log1p(math.Exp(-x)))) > 1e-12 {
			t.Errorf("softplus(%v) = %v", x, out.Data[0])
		}
		if want := 1 / (1 + math.Exp(-x)); math.Abs(p.Grad[0]-want) > 1e-15 {
			t.Errorf("softplus'(%v) = %v, want %v", x, p.Grad[0], want)
		}
	}
}

// TestGradCheckDetectsErrors makes sure the checker fails on a wrong
// backward pass.
func TestGradCheckDetectsErrors(t *testing.T) {
	p := NewParam("x", 3)
	copy(p.Value, []float64{0.3, -0.2, 0.9})
	tp := NewTape()
	build := func() *Tensor {
		tp.Reset()
		x := tp.Param(p)
		out := tp.New(1)
		s := 0.0
		for _, v := range x.Data {
			s += v * v * v
		}
		out.Data[0] = s
		tp.Record(wrongCube{}, Node{Out: [4]*Tensor{out}, In: [6]*Tensor{x}})
		return out
	}
	err := CheckGradients([]*params.Param{p}, func() float64 { return build().Item() }, func() { tp.Backward(build()) }, GradCheck{})
	if err == nil {
		t.Fatal("gradient check passed a wrong gradient")
	}
	ge, ok := err.(*GradCheckError)
	if !ok || ge.Checked != 3 || len(ge.Mismatches) != 3 {
		t.Fatalf("unexpected error %v", err)
	}
}

// wrongCube claims d(x³)/dx = 2x².
type wrongCube struct{}

func (wrongCube) Backward(t *Tape, n *Node) {
	x := n.In[0]
	for i, v := range x.Data {
		x.Grad[i] += n.Out[0].Grad[0] * 2 * v * v
	}
}

// TestLargeMatMul covers the tiled path of gemm (products larger than one
// tile): values against scalar code for every transpose combination, and
// gradients by finite differences on a random subset of coordinates.
func TestLargeMatMul(t *testing.T) {
	rng := NewRand(21)
	M, K, N := 150, 7, 410
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		ad := []int{M, K}
		if tr[0] {
			ad = []int{K, M}
		}
		bd := []int{K, N}
		if tr[1] {
			bd = []int{N, K}
		}
		a, b := NewParam("a", ad...), NewParam("b", bd...)
		InitUniform(a, -1, 1, rng)
		InitUniform(b, -1, 1, rng)
		tp := NewTape()
		got := tp.MatMul(tp.Param(a), tp.Param(b), tr[0], tr[1])
		want, _, _ := naiveMatMul(a.Value, ad[0], ad[1], tr[0], b.Value, bd[0], bd[1], tr[1])
		closeSlices(t, fmt.Sprintf("MatMul%v", tr), got.Data, want, 1e-13)
		c := opCase{name: "big", build: func(o Ops, x []*Tensor) *Tensor { return o.MatMul(x[0], x[1], tr[0], tr[1]) }}
		ps := []*params.Param{a, b}
		loss := func() float64 { tp.Reset(); return scalarLoss(tp, tp, c, ps, 5).Item() }
		grad := func() { tp.Reset(); tp.Backward(scalarLoss(tp, tp, c, ps, 5)) }
		if err := CheckGradients(ps, loss, grad, GradCheck{MaxPerParam: 25, Seed: 1, RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
			t.Fatalf("MatMul%v: %v", tr, err)
		}
	}
}
