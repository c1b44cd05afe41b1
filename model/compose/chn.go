package compose

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// CumHazardNet is the monotone MLP of Omi et al. (2019): for a history
// state h and a scaled elapsed time x = τ/scale ≥ 0,
//
//	a_1 = h·W_in + b_in + u·x,           z_1 = tanh(a_1)
//	a_l = z_{l−1}·W_l + b_l (l = 2..L),  z_l = tanh(a_l)
//	Φ_k = softplus(z_L·V_k + c_k)
//
// with u = softplus(U), W_l = softplus(W̃_l) and V = softplus(Ṽ) elementwise:
// every weight on a path from x to the output is positive, so each Φ_k is
// increasing in x. Only those weights are reparametrised; W_in (the weights
// on the history state) and all biases are free. The per-type intensity is
// the derivative φ_k(τ) = ∂Φ_k/∂τ = (1/scale)·∂Φ_k/∂x, computed in forward
// mode alongside Φ (see Apply) rather than by a second backward pass.
type CumHazardNet struct {
	In, Hidden, Layers, K int

	WIn, BIn, U *params.Param   // [In, Hidden], [Hidden], [Hidden] (raw)
	W, B        []*params.Param // Layers−1 of [Hidden, Hidden] (raw), [Hidden]
	V, C        *params.Param   // [Hidden, K] (raw), [K]
	ps          []*params.Param
}

// NewCumHazardNet returns the network with zero parameters (see Init):
// states of size in, hidden width hidden, layers ≥ 1 tanh layers, k outputs.
func NewCumHazardNet(prefix string, in, hidden, layers, k int) *CumHazardNet {
	n := &CumHazardNet{In: in, Hidden: hidden, Layers: layers, K: k}
	n.WIn = engine.NewParam(prefix+"w_in", in, hidden)
	n.BIn = engine.NewParam(prefix+"b_in", hidden)
	n.U = engine.NewParam(prefix+"u_raw", hidden)
	n.ps = []*params.Param{n.WIn, n.BIn, n.U}
	for l := 2; l <= layers; l++ {
		w := engine.NewParam(fmt.Sprintf("%sw%d_raw", prefix, l), hidden, hidden)
		b := engine.NewParam(fmt.Sprintf("%sb%d", prefix, l), hidden)
		n.W = append(n.W, w)
		n.B = append(n.B, b)
		n.ps = append(n.ps, w, b)
	}
	n.V = engine.NewParam(prefix+"v_raw", hidden, k)
	n.C = engine.NewParam(prefix+"c", k)
	n.ps = append(n.ps, n.V, n.C)
	return n
}

// Params returns the network's parameters in a fixed order.
func (n *CumHazardNet) Params() []*params.Param { return n.ps }

// Init draws W_in Xavier-uniform and zero biases; the positive weights
// (after the softplus) are uniform with column sums about 1 for the hidden
// layers (U(0, 2/H)) and about 2 for the output (U(0, 4/H)), and u is
// U(0.1, 0.5). All-positive layers with Xavier-sized weights would add up
// coherently: the derivative would grow by ~√H per layer at τ = 0 and the
// units saturate a fraction of a typical gap later, which starts training
// from intensities that collapse after the first instants.
func (n *CumHazardNet) Init(rng *rand.Rand) {
	engine.InitXavier(n.WIn, n.In, n.Hidden, rng)
	clear(n.BIn.Value)
	initPositive(n.U, 0.1, 0.5, rng)
	hf := float64(n.Hidden)
	for l := range n.W {
		initPositive(n.W[l], 1e-3/hf, 2/hf, rng)
		clear(n.B[l].Value)
	}
	initPositive(n.V, 1e-3/hf, 4/hf, rng)
	clear(n.C.Value)
}

// Apply evaluates the network on the tape. pre is the first-layer
// projection h·W_in + b_in of R states ([R, Hidden]); x holds M scaled
// times per state (len R·M, row-major). It returns Φ and ∂Φ/∂x as
// [R·M, K] tensors (row r·M + m for state r at x[r·M + m]).
func (n *CumHazardNet) Apply(t *engine.Tape, pre *engine.Tensor, x []float64, m int) (phi, dphi *engine.Tensor) {
	w := n.weights(t)
	return CumHazard(t, pre, w.u, w.ws, w.v, w.c, x, m)
}

// ApplyWithZero is Apply with one point per state (M = 1) that also
// returns Φ at x = 0, [R, K]. Φ(0) needs no derivative, so it is built
// from the engine's primitive ops (tanh layers, softplus output) on the
// same positive weights rather than by a second pass of the op.
func (n *CumHazardNet) ApplyWithZero(t *engine.Tape, pre *engine.Tensor, x []float64) (phi, dphi, phi0 *engine.Tensor) {
	w := n.weights(t)
	phi, dphi = CumHazard(t, pre, w.u, w.ws, w.v, w.c, x, 1)
	z := t.Tanh(pre)
	for l := 0; l < len(w.ws); l += 2 {
		z = t.Tanh(t.Linear(z, w.ws[l], w.ws[l+1]))
	}
	return phi, dphi, t.Softplus(t.Linear(z, w.v, w.c))
}

type chnWeights struct {
	u, v, c *engine.Tensor
	ws      []*engine.Tensor // W_2, b_2, ..., W_L, b_L
}

// weights puts the parameters on the tape, the positive ones through
// softplus.
func (n *CumHazardNet) weights(t *engine.Tape) chnWeights {
	w := chnWeights{u: t.Softplus(t.Param(n.U)), v: t.Softplus(t.Param(n.V)), c: t.Param(n.C)}
	w.ws = t.TensorList(2 * len(n.W))
	for l := range n.W {
		w.ws[2*l], w.ws[2*l+1] = t.Softplus(t.Param(n.W[l])), t.Param(n.B[l])
	}
	return w
}

// tanhSech2 returns tanh(a) and sech²(a) = 1 − tanh²(a), the latter
// computed as 4e/(1+e)², e = exp(−2|a|), so that it keeps full relative
// accuracy where tanh(a) rounds to ±1.
func tanhSech2(a float64) (th, s2 float64) {
	e := math.Exp(-2 * math.Abs(a))
	th = (1 - e) / (1 + e)
	if a < 0 {
		th = -th
	}
	d := 1 + e
	return th, 4 * e / (d * d)
}

type chnOp struct{}

// phiFloor is added to the cumulative-hazard network's intensities before
// their logarithm (in standardised time units).
const phiFloor = 1e-30

// CumHazard is the engine op behind CumHazardNet.Apply, with positive
// weights given directly: pre [R, H] (first-layer projection of the
// states), u [H] > 0, ws = W_2, b_2, ..., W_L, b_L (W_l [H, H] ≥ 0, b_l
// [H]), v [H, K] ≥ 0, c [K], and x (len R·M, M points per row; constant).
// It returns Φ = softplus(z_L·v + c) and D = ∂Φ/∂x, both [R·M, K]. The
// derivative is propagated forward through the layers,
//
//	d_1 = sech²(a_1)⊙u,  d_l = sech²(a_l)⊙(d_{l−1}·W_l),  D = σ(o)⊙(d_L·v),
//
// and the backward pass differentiates both Φ and D (second derivatives
// included) with respect to every input but x.
func CumHazard(t *engine.Tape, pre, u *engine.Tensor, ws []*engine.Tensor, v, c *engine.Tensor, x []float64, m int) (phi, dphi *engine.Tensor) {
	R, H := pre.Rows(), pre.Cols()
	K := v.Cols()
	L := len(ws)/2 + 1
	N := R * m
	if len(x) != N || len(u.Data) != H || v.Rows() != H || len(c.Data) != K || len(ws)%2 != 0 {
		panic(fmt.Sprintf("compose: CumHazard with pre %v, u %v, %d layer tensors, v %v, c %v, %d points for M = %d",
			pre.Shape(), u.Shape(), len(ws), v.Shape(), c.Shape(), len(x), m))
	}
	for l := 0; l < L-1; l++ {
		if len(ws[2*l].Data) != H*H || len(ws[2*l+1].Data) != H {
			panic(fmt.Sprintf("compose: CumHazard layer %d with W %v, b %v (want [%d, %d], [%d])", l+2, ws[2*l].Shape(), ws[2*l+1].Shape(), H, H, H))
		}
	}
	phi = t.New(N, K)
	dphi = t.New(N, K)
	// cache: per layer Z, S, D [N, H]; per layer ≥ 2 also E = d_{l−1}·W_l;
	// then σ(o) and G = d_L·v [N, K].
	NH := N * H
	cache := t.Floats(NH*(4*L-1) + 2*N*K)
	Z := func(l int) []float64 { return cache[(3*l)*NH : (3*l+1)*NH] }
	S := func(l int) []float64 { return cache[(3*l+1)*NH : (3*l+2)*NH] }
	D := func(l int) []float64 { return cache[(3*l+2)*NH : (3*l+3)*NH] }
	E := func(l int) []float64 { return cache[(3*L+l-1)*NH : (3*L+l)*NH] } // l ≥ 1
	tail := cache[NH*(4*L-1):]
	sig, G := tail[:N*K], tail[N*K:]

	z0, s0, d0 := Z(0), S(0), D(0)
	for i := 0; i < N; i++ {
		r := i / m
		xi := x[i]
		p := pre.Data[r*H : (r+1)*H]
		for j := 0; j < H; j++ {
			th, s2 := tanhSech2(p[j] + u.Data[j]*xi)
			z0[i*H+j], s0[i*H+j], d0[i*H+j] = th, s2, s2*u.Data[j]
		}
	}
	for l := 1; l < L; l++ {
		w, b := ws[2*(l-1)], ws[2*(l-1)+1]
		zl, sl, dl, el := Z(l), S(l), D(l), E(l)
		for i := 0; i < N; i++ {
			copy(zl[i*H:(i+1)*H], b.Data)
		}
		gemm(false, false, N, H, H, 1, Z(l-1), w.Data, 1, zl) // a_l into Z
		gemm(false, false, N, H, H, 1, D(l-1), w.Data, 0, el)
		for i, a := range zl {
			th, s2 := tanhSech2(a)
			zl[i], sl[i], dl[i] = th, s2, s2*el[i]
		}
	}
	o := phi.Data // o first, then Φ in place
	for i := 0; i < N; i++ {
		copy(o[i*K:(i+1)*K], c.Data)
	}
	gemm(false, false, N, K, H, 1, Z(L-1), v.Data, 1, o)
	gemm(false, false, N, K, H, 1, D(L-1), v.Data, 0, G)
	for i, ov := range o {
		sg := engine.Sigmoid(ov)
		sig[i] = sg
		o[i] = engine.Softplus(ov)
		dphi.Data[i] = sg * G[i]
	}
	ins := [6]*engine.Tensor{pre, u, v, c}
	t.Record(chnOp{}, engine.Node{Out: [4]*engine.Tensor{phi, dphi}, In: ins, List: ws, Floats: x, Cache: cache, Flags: m})
	return phi, dphi
}

func (chnOp) Backward(t *engine.Tape, n *engine.Node) {
	phi, dphi := n.Out[0], n.Out[1]
	pre, u, v, c := n.In[0], n.In[1], n.In[2], n.In[3]
	ws, x, m := n.List, n.Floats, n.Flags
	R, H, K := pre.Rows(), pre.Cols(), v.Cols()
	L := len(ws)/2 + 1
	N := R * m
	NH := N * H
	cache := n.Cache
	Z := func(l int) []float64 { return cache[(3*l)*NH : (3*l+1)*NH] }
	S := func(l int) []float64 { return cache[(3*l+1)*NH : (3*l+2)*NH] }
	D := func(l int) []float64 { return cache[(3*l+2)*NH : (3*l+3)*NH] }
	E := func(l int) []float64 { return cache[(3*L+l-1)*NH : (3*L+l)*NH] }
	tail := cache[NH*(4*L-1):]
	sig, G := tail[:N*K], tail[N*K:]

	gO := t.Floats(N * K)
	gG := t.Floats(N * K)
	for i := range gO {
		sg := sig[i]
		gO[i] = phi.Grad[i]*sg + dphi.Grad[i]*G[i]*sg*(1-sg)
		gG[i] = dphi.Grad[i] * sg
	}
	if v.Grad != nil {
		gemm(true, false, H, K, N, 1, Z(L-1), gO, 1, v.Grad)
		gemm(true, false, H, K, N, 1, D(L-1), gG, 1, v.Grad)
	}
	if c.Grad != nil {
		colSum(c.Grad, gO, N, K)
	}
	gZ := t.Floats(NH)
	gD := t.Floats(NH)
	gemm(false, true, N, H, K, 1, gO, v.Data, 0, gZ)
	gemm(false, true, N, H, K, 1, gG, v.Data, 0, gD)
	gA := t.Floats(NH)
	gE := t.Floats(NH)
	for l := L - 1; l >= 1; l-- {
		w, b := ws[2*(l-1)], ws[2*(l-1)+1]
		zl, sl, el := Z(l), S(l), E(l)
		for i := range gA {
			gs := gD[i] * el[i]
			gE[i] = gD[i] * sl[i]
			gA[i] = sl[i] * (gZ[i] - 2*gs*zl[i])
		}
		if w.Grad != nil {
			gemm(true, false, H, H, N, 1, Z(l-1), gA, 1, w.Grad)
			gemm(true, false, H, H, N, 1, D(l-1), gE, 1, w.Grad)
		}
		if b.Grad != nil {
			colSum(b.Grad, gA, N, H)
		}
		gemm(false, true, N, H, H, 1, gA, w.Data, 0, gZ)
		gemm(false, true, N, H, H, 1, gE, w.Data, 0, gD)
	}
	z0, s0 := Z(0), S(0)
	for i := 0; i < N; i++ {
		r := i / m
		for j := 0; j < H; j++ {
			k := i*H + j
			gs := gD[k] * u.Data[j]
			a := s0[k] * (gZ[k] - 2*gs*z0[k])
			if u.Grad != nil {
				u.Grad[j] += gD[k]*s0[k] + a*x[i]
			}
			if pre.Grad != nil {
				pre.Grad[r*H+j] += a
			}
		}
	}
}

// colSum adds the column sums of the m×n matrix g into dst.
func colSum(dst, g []float64, m, n int) {
	for i := 0; i < m; i++ {
		for j, v := range g[i*n : (i+1)*n] {
			dst[j] += v
		}
	}
}

// scalarNet is the network with its positive weights materialised, for
// evaluating one state at many times without a tape.
type scalarNet struct {
	n      *CumHazardNet
	pre, u []float64
	w      [][]float64
	v      []float64
	// scratch
	z, d, z2, d2 []float64
	o, g         []float64
}

func (n *CumHazardNet) scalar(h []float64) *scalarNet {
	H := n.Hidden
	s := &scalarNet{n: n, pre: make([]float64, H), u: make([]float64, H), v: make([]float64, H*n.K)}
	affine(h, n.WIn.Value, n.BIn.Value, s.pre)
	softplusVec(n.U.Value, s.u)
	for _, w := range n.W {
		pw := make([]float64, H*H)
		softplusVec(w.Value, pw)
		s.w = append(s.w, pw)
	}
	softplusVec(n.V.Value, s.v)
	s.z, s.d, s.z2, s.d2 = make([]float64, H), make([]float64, H), make([]float64, H), make([]float64, H)
	s.o, s.g = make([]float64, n.K), make([]float64, n.K)
	return s
}

// eval writes Φ_k(x) into phi and ∂Φ_k/∂x into dphi (either may be nil).
func (s *scalarNet) eval(x float64, phi, dphi []float64) {
	H := s.n.Hidden
	z, d := s.z, s.d
	for j := 0; j < H; j++ {
		th, s2 := tanhSech2(s.pre[j] + s.u[j]*x)
		z[j], d[j] = th, s2*s.u[j]
	}
	for l, w := range s.w {
		b := s.n.B[l].Value
		z2, d2 := s.z2, s.d2
		copy(z2, b)
		clear(d2)
		for i := 0; i < H; i++ {
			row := w[i*H : (i+1)*H]
			zi, di := z[i], d[i]
			for j, wv := range row {
				z2[j] += zi * wv
				d2[j] += di * wv
			}
		}
		for j := 0; j < H; j++ {
			th, s2 := tanhSech2(z2[j])
			z2[j], d2[j] = th, s2*d2[j]
		}
		s.z, s.z2 = z2, z
		s.d, s.d2 = d2, d
		z, d = s.z, s.d
	}
	K := s.n.K
	copy(s.o, s.n.C.Value)
	clear(s.g)
	for i := 0; i < H; i++ {
		row := s.v[i*K : (i+1)*K]
		for k, vv := range row {
			s.o[k] += z[i] * vv
			s.g[k] += d[i] * vv
		}
	}
	for k := 0; k < K; k++ {
		if phi != nil {
			phi[k] = engine.Softplus(s.o[k])
		}
		if dphi != nil {
			dphi[k] = engine.Sigmoid(s.o[k]) * s.g[k]
		}
	}
}

// CumHazardDecoder is FullyNN's decoder: a CumHazardNet with one output
// per event type gives the marked cumulative hazards Φ_k(τ | h); the
// type-k intensity is φ_k = ∂Φ_k/∂τ and the compensator over an interval
// of length Δ is exactly Σ_k (Φ_k(Δ) − Φ_k(0)). Times enter as τ/scale with
// scale = LogGapStats.Scale(). Φ is bounded in τ (the tanh units
// saturate), so the law of the next event may be defective: with
// probability exp(−Σ_k (Φ_k(∞) − Φ_k(0))) no further event occurs.
type CumHazardDecoder struct {
	net *CumHazardNet
}

// NewCumHazardDecoder returns the decoder for states of size in.
func NewCumHazardDecoder(in, hidden, layers, k int) *CumHazardDecoder {
	return &CumHazardDecoder{net: NewCumHazardNet("dec.", in, hidden, layers, k)}
}

// Kind is KindCumHazard.
func (d *CumHazardDecoder) Kind() string { return KindCumHazard }

// Net returns the network.
func (d *CumHazardDecoder) Net() *CumHazardNet { return d.net }

// Params returns the network's parameters.
func (d *CumHazardDecoder) Params() []*params.Param { return d.net.Params() }

// Init draws the parameters (CumHazardNet.Init).
func (d *CumHazardDecoder) Init(rng *rand.Rand) { d.net.Init(rng) }

// LogLik is Σ_events log φ_{k_i}(Δ_i) − Σ_entries Σ_k (Φ_k(Δ) − Φ_k(0)).
func (d *CumHazardDecoder) LogLik(t *engine.Tape, s *engine.Tensor, iv *Intervals, st *LogGapStats) (*engine.Tensor, Split) {
	N, K := iv.Len(), d.net.K
	scale := st.Scale()
	if N == 0 {
		return t.Scalar(0), Split{}
	}
	pre := t.Linear(s, t.Param(d.net.WIn), t.Param(d.net.BIn))
	x := t.Floats(N)
	for i, dl := range iv.Delta {
		x[i] = dl / scale
	}
	phi, dphi, phi0 := d.net.ApplyWithZero(t, pre, x)
	comp := t.Sub(t.Sum(phi), t.Sum(phi0))
	nev := len(iv.Events)
	logScale := math.Log(scale)
	var sp Split
	ll := t.Neg(comp)
	if nev > 0 {
		rows := t.Ints(nev)
		types := t.Ints(nev)
		totalLog := 0.0
		for j, i := range iv.Events {
			rows[j] = i
			types[j] = iv.Type[i]
			tot := 0.0
			for _, v := range dphi.Data[i*K : (i+1)*K] {
				tot += v
			}
			totalLog += math.Log(tot + phiFloor*float64(K))
		}
		// Far in the tail sech² of a saturated unit underflows and the
		// intensity becomes exactly 0: phiFloor keeps log φ finite (and
		// changes it by phiFloor/φ, nothing at ordinary values).
		ev := t.Sum(t.Log(t.AddScalar(t.Pick(t.Gather(dphi, rows), types), phiFloor)))
		eventLog := ev.Item() - float64(nev)*logScale
		totalLog -= float64(nev) * logScale
		sp.MarkLL = eventLog - totalLog
		sp.TimeLL = totalLog - comp.Item()
		ll = t.AddScalar(t.Sub(ev, comp), -float64(nev)*logScale)
	} else {
		sp.TimeLL = -comp.Item()
	}
	return ll, sp
}

// Next returns the marked intensities φ_k(τ) = (1/scale)·∂Φ_k/∂x at
// x = τ/scale, with the exact compensator Σ_k (Φ_k(τ) − Φ_k(0)).
func (d *CumHazardDecoder) Next(h []float64, st *LogGapStats) predict.Next {
	sn := d.net.scalar(h)
	nx := &chnNext{s: sn, scale: st.Scale(), phi0: make([]float64, d.net.K), buf: make([]float64, d.net.K)}
	sn.eval(0, nx.phi0, nil)
	for _, v := range nx.phi0 {
		nx.sum0 += v
	}
	return nx
}

type chnNext struct {
	s     *scalarNet
	scale float64
	phi0  []float64
	sum0  float64
	buf   []float64
}

func (c *chnNext) NumTypes() int { return len(c.phi0) }

func (c *chnNext) Intensities(dt float64, out []float64) {
	c.s.eval(dt/c.scale, nil, out)
	for k := range out {
		out[k] /= c.scale
	}
}

func (c *chnNext) Compensator(dt float64) float64 {
	c.s.eval(dt/c.scale, c.buf, nil)
	s := 0.0
	for k, v := range c.buf {
		s += v - c.phi0[k]
	}
	return max(s, 0)
}
