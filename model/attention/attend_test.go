package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
)

func randParam(name string, rng *rand.Rand, a float64, dims ...int) *params.Param {
	p := engine.NewParam(name, dims...)
	engine.InitUniform(p, -a, a, rng)
	return p
}

// naiveAttend computes attention for one query row and head by the
// textbook formula with an explicit score vector.
func naiveAttend(q, k, v, sk, sv []float64, dq, dvAll, heads int, base, n, stride, r int) []float64 {
	dk, dv := dq/heads, dvAll/heads
	out := make([]float64, dvAll)
	for h := 0; h < heads; h++ {
		var scores []float64
		var vals [][]float64
		for j := 0; j < n; j++ {
			kr := base + j*stride
			s := 0.0
			for d := 0; d < dk; d++ {
				s += q[r*dq+h*dk+d] * k[kr*dq+h*dk+d]
			}
			scores = append(scores, s/math.Sqrt(float64(dk)))
			vals = append(vals, v[kr*dvAll+h*dv:kr*dvAll+(h+1)*dv])
		}
		if sk != nil {
			s := 0.0
			for d := 0; d < dk; d++ {
				s += q[r*dq+h*dk+d] * sk[r*dq+h*dk+d]
			}
			scores = append(scores, s/math.Sqrt(float64(dk)))
			vals = append(vals, sv[r*dvAll+h*dv:(r+1)*dvAll])
		}
		z := 0.0
		for _, s := range scores {
			z += math.Exp(s)
		}
		for j, s := range scores {
			for d := 0; d < dv; d++ {
				out[h*dv+d] += math.Exp(s) / z * vals[j][d]
			}
		}
	}
	return out
}

type attendCase struct {
	nq, nk, heads, dk, dv, stride int
	self                          bool
}

func randomSpans(rng *rand.Rand, c attendCase) ([]int, []int) {
	base := make([]int, c.nq)
	n := make([]int, c.nq)
	for r := range base {
		base[r] = rng.IntN(c.stride)
		maxLen := (c.nk-1-base[r])/c.stride + 1
		n[r] = rng.IntN(maxLen + 1)
		if r == 0 {
			n[r] = 0 // a query with no keys
		}
	}
	return base, n
}

func TestAttendMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []attendCase{
		{nq: 7, nk: 12, heads: 2, dk: 3, dv: 2, stride: 3, self: false},
		{nq: 9, nk: 10, heads: 3, dk: 2, dv: 4, stride: 2, self: true},
		{nq: 5, nk: 6, heads: 1, dk: 5, dv: 5, stride: 1, self: true},
	} {
		dq, dvAll := c.heads*c.dk, c.heads*c.dv
		q := randParam("q", rng, 2, c.nq, dq)
		k := randParam("k", rng, 2, c.nk, dq)
		v := randParam("v", rng, 1, c.nk, dvAll)
		var sk, sv *params.Param
		if c.self {
			sk = randParam("sk", rng, 2, c.nq, dq)
			sv = randParam("sv", rng, 1, c.nq, dvAll)
		}
		base, n := randomSpans(rng, c)
		tp := engine.NewTape()
		var skT, svT *engine.Tensor
		var skD, svD []float64
		if c.self {
			skT, svT, skD, svD = tp.Param(sk), tp.Param(sv), sk.Value, sv.Value
		}
		out := Attend(tp, tp.Param(q), tp.Param(k), tp.Param(v), c.heads, Spans{Base: base, Len: n, Stride: c.stride}, skT, svT)
		for r := 0; r < c.nq; r++ {
			want := naiveAttend(q.Value, k.Value, v.Value, skD, svD, dq, dvAll, c.heads, base[r], n[r], c.stride, r)
			for d, w := range want {
				if got := out.Data[r*dvAll+d]; math.Abs(got-w) > 1e-12 {
					t.Fatalf("%+v row %d col %d: %v, naive %v", c, r, d, got, w)
				}
			}
		}
	}
}

func TestAttendGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, c := range []attendCase{
		{nq: 6, nk: 9, heads: 2, dk: 2, dv: 3, stride: 3, self: false},
		{nq: 7, nk: 8, heads: 2, dk: 3, dv: 2, stride: 2, self: true},
	} {
		dq, dvAll := c.heads*c.dk, c.heads*c.dv
		ps := []*params.Param{
			randParam("q", rng, 1.5, c.nq, dq),
			randParam("k", rng, 1.5, c.nk, dq),
			randParam("v", rng, 1, c.nk, dvAll),
		}
		if c.self {
			ps = append(ps, randParam("sk", rng, 1.5, c.nq, dq), randParam("sv", rng, 1, c.nq, dvAll))
		}
		base, n := randomSpans(rng, c)
		w := make([]float64, c.nq*dvAll)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		tp := engine.NewTape()
		run := func(noGrad bool) float64 {
			tp.Reset()
			tp.SetNoGrad(noGrad)
			var sk, sv *engine.Tensor
			if c.self {
				sk, sv = tp.Param(ps[3]), tp.Param(ps[4])
			}
			out := Attend(tp, tp.Param(ps[0]), tp.Param(ps[1]), tp.Param(ps[2]), c.heads, Spans{Base: base, Len: n, Stride: c.stride}, sk, sv)
			// a nonlinear loss so that every output gradient differs
			loss := tp.WeightedSum(tp.Square(out), w)
			if !noGrad {
				tp.Backward(loss)
			}
			return loss.Item()
		}
		err := engine.CheckGradients(ps, func() float64 { return run(true) }, func() { run(false) }, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-9})
		if err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestCausalSpans(t *testing.T) {
	tp := engine.NewTape()
	lens := []int{3, 0, 2}
	sp := CausalSpans(tp, 3, 3, lens)
	for i := 0; i < 3; i++ {
		for b := 0; b < 3; b++ {
			r := i*3 + b
			want := 0
			if i < lens[b] {
				want = i + 1
			}
			if sp.Base[r] != b || sp.Len[r] != want || sp.Stride != 3 {
				t.Fatalf("row %d: base %d len %d stride %d, want %d %d 3", r, sp.Base[r], sp.Len[r], sp.Stride, b, want)
			}
		}
	}
	// a query never sees a later position or another column: perturbing
	// the keys/values of position 2 leaves positions 0 and 1 unchanged
	rng := rand.New(rand.NewPCG(3, 1))
	x := randParam("x", rng, 1, 9, 4)
	att := NewMHA("a", 4, 2, 2, 4)
	att.Init(rng)
	out1 := append([]float64(nil), att.Self(tp, tp.Param(x), sp).Data...)
	for d := 0; d < 4; d++ {
		x.Value[2*3*4+d] += 0.7 // row 2·B + 0: position 2 of column 0
	}
	tp.Reset()
	sp = CausalSpans(tp, 3, 3, lens)
	out2 := att.Self(tp, tp.Param(x), sp).Data
	for r := 0; r < 9; r++ {
		changed := false
		for d := 0; d < 4; d++ {
			if out1[r*4+d] != out2[r*4+d] {
				changed = true
			}
		}
		if want := r == 6; changed != want {
			t.Errorf("row %d changed = %v, want %v", r, changed, want)
		}
	}
}

// TestAttendGroupedLayouts covers the layouts the models use, where query
// rows sharing a key sequence are grouped into strided matrix products:
// causal self-attention in a time-major batch (groups with stride B),
// contiguous blocks of queries per column attending prefixes plus
// themselves (A-NHP), and queries with no keys at all but their own.
func TestAttendGroupedLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	type layout struct {
		name       string
		nq, nk     int
		stride     int
		base, lens []int
		self       bool
	}
	var ls []layout
	{ // time-major causal, B = 3, lens 4, 2, 0
		L, B, lens := 4, 3, []int{4, 2, 0}
		l := layout{name: "causal", nq: L * B, nk: L * B, stride: B}
		for i := 0; i < L; i++ {
			for b := 0; b < B; b++ {
				n := 0
				if i < lens[b] {
					n = i + 1
				}
				l.base, l.lens = append(l.base, b), append(l.lens, n)
			}
		}
		ls = append(ls, l)
	}
	{ // column blocks: column b has 5 queries attending prefixes of its 3 keys
		B := 2
		l := layout{name: "blocks", nk: 3 * B, stride: B, self: true}
		for b := 0; b < B; b++ {
			for _, n := range []int{0, 1, 1, 2, 3} {
				l.base, l.lens = append(l.base, b), append(l.lens, n)
				l.nq++
			}
		}
		ls = append(ls, l)
	}
	{ // one column of 150 queries over prefixes of 40 keys: several chunks
		l := layout{name: "long block", nk: 40, stride: 1, self: true}
		for i := 0; i < 150; i++ {
			l.base, l.lens = append(l.base, 0), append(l.lens, i*41/150)
			l.nq++
		}
		ls = append(ls, l)
	}
	{ // causal self-attention over 90 positions in 2 columns: more than one
		// 64×64 tile of every product, transposed operands included
		L, B := 90, 2
		l := layout{name: "long causal", nq: L * B, nk: L * B, stride: B}
		for i := 0; i < L; i++ {
			for b := 0; b < B; b++ {
				l.base, l.lens = append(l.base, b), append(l.lens, min(i+1, L-5*b))
			}
		}
		ls = append(ls, l)
	}
	{ // batch-major causal (CausalSpansBatchMajor): contiguous groups,
		// read in place
		L, B, lens := 12, 3, []int{12, 9, 0}
		sp := CausalSpansBatchMajor(engine.NewTape(), L, B, lens)
		if sp.Stride != 1 {
			t.Fatalf("batch-major spans with stride %d", sp.Stride)
		}
		for b := 0; b < B; b++ {
			for i := 0; i < L; i++ {
				n := 0
				if i < lens[b] {
					n = i + 1
				}
				if r := b*L + i; sp.Base[r] != b*L || sp.Len[r] != n {
					t.Fatalf("batch-major row %d: base %d len %d, want %d %d", r, sp.Base[r], sp.Len[r], b*L, n)
				}
			}
		}
		ls = append(ls, layout{name: "batch-major causal", nq: L * B, nk: L * B, stride: 1, base: sp.Base, lens: sp.Len})
	}
	ls = append(ls, layout{name: "no keys", nq: 3, nk: 0, stride: 1, base: []int{0, 1, 2}, lens: []int{0, 0, 0}, self: true})
	for _, l := range ls {
		heads, dk, dv := 2, 3, 2
		dq, dvAll := heads*dk, heads*dv
		ps := []*params.Param{randParam("q", rng, 1.5, l.nq, dq), randParam("k", rng, 1.5, l.nk, dq), randParam("v", rng, 1, l.nk, dvAll)}
		if l.self {
			ps = append(ps, randParam("sk", rng, 1.5, l.nq, dq), randParam("sv", rng, 1, l.nq, dvAll))
		}
		w := make([]float64, l.nq*dvAll)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		tp := engine.NewTape()
		run := func(noGrad bool) (float64, *engine.Tensor) {
			tp.Reset()
			tp.SetNoGrad(noGrad)
			var sk, sv *engine.Tensor
			if l.self {
				sk, sv = tp.Param(ps[3]), tp.Param(ps[4])
			}
			out := Attend(tp, tp.Param(ps[0]), tp.Param(ps[1]), tp.Param(ps[2]), heads, Spans{Base: l.base, Len: l.lens, Stride: l.stride}, sk, sv)
			loss := tp.WeightedSum(tp.Square(out), w)
			if !noGrad {
				tp.Backward(loss)
			}
			return loss.Item(), out
		}
		_, out := run(true)
		var skD, svD []float64
		if l.self {
			skD, svD = ps[3].Value, ps[4].Value
		}
		for r := 0; r < l.nq; r++ {
			want := naiveAttend(ps[0].Value, ps[1].Value, ps[2].Value, skD, svD, dq, dvAll, heads, l.base[r], l.lens[r], l.stride, r)
			for d, x := range want {
				if got := out.Data[r*dvAll+d]; math.Abs(got-x) > 1e-12 {
					t.Fatalf("%s: row %d col %d: %v, naive %v", l.name, r, d, got, x)
				}
			}
		}
		err := engine.CheckGradients(ps, func() float64 { v, _ := run(true); return v }, func() { run(false) }, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-9, MaxPerParam: 60})
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
		}
	}
}

// TestTimeMajor checks the reordering and its gradient (each row's
// gradient goes back to the row it came from).
func TestTimeMajor(t *testing.T) {
	const L, B, D = 3, 4, 2
	rng := rand.New(rand.NewPCG(4, 4))
	x := randParam("x", rng, 1, L*B, D)
	tp := engine.NewTape()
	out := TimeMajor(tp, tp.Param(x), L, B)
	for i := 0; i < L; i++ {
		for b := 0; b < B; b++ {
			for d := 0; d < D; d++ {
				if got, want := out.Data[(i*B+b)*D+d], x.Value[(b*L+i)*D+d]; got != want {
					t.Fatalf("position %d column %d: %v, want %v", i, b, got, want)
				}
			}
		}
	}
	w := make([]float64, L*B*D)
	for i := range w {
		w[i] = float64(i)
	}
	tp.Backward(tp.WeightedSum(out, w))
	for i := 0; i < L; i++ {
		for b := 0; b < B; b++ {
			for d := 0; d < D; d++ {
				if got, want := x.Grad[(b*L+i)*D+d], w[(i*B+b)*D+d]; got != want {
					t.Fatalf("gradient of position %d column %d: %v, want %v", i, b, got, want)
				}
			}
		}
	}
}
