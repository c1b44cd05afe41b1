package engine

import (
	"fmt"
	"math"
)

// IntensityLL describes one call of Tape.SoftplusIntensityLL: a linear
// head with a scaled-softplus link gives K type intensities
//
//	λ_k(h) = softplus(β_k·(h·W_k + b_k)) / β_k,   β_k = exp(LogBeta_k)
//
// at the hidden states of the events (HEv) and at those of the integration
// nodes (HQ). The op returns the event term minus the compensator,
//
//	Σ_{i: Types[i] ≥ 0} log λ_{Types[i]}(HEv_i) − Σ_m QW_m Σ_k λ_k(HQ_m),
//
// where QW carries the quadrature weight times the interval length (times
// a mask); rows with Types < 0 or QW = 0 are skipped (padding). The softplus
// and its logarithm are evaluated stably with exact gradients everywhere.
type IntensityLL struct {
	HEv     *Tensor   // [N, D] hidden states at the events
	Types   []int     // N event types; < 0 marks a row that is not scored
	HQ      *Tensor   // [M, D] hidden states at the integration nodes (may be nil)
	QW      []float64 // M weights of the integration nodes; 0 skips a row
	W       *Tensor   // [D, K]
	B       *Tensor   // [K], or nil for no bias
	LogBeta *Tensor   // [K], or nil for β = 1
	// Stats, when not nil, receives the parts of the result (no gradient).
	Stats *IntensityStats
}

// IntensityStats splits the value of SoftplusIntensityLL: the time part of
// the log-likelihood is TotalLog − Integral and the mark part is
// EventLog − TotalLog.
type IntensityStats struct {
	EventLog  float64 // Σ log λ_{k_i}(t_i)
	TotalLog  float64 // Σ log Σ_k λ_k(t_i)
	Integral  float64 // Σ_m QW_m Σ_k λ_k(node m)
	NumEvents int     // number of scored events
}

// intensityCache is what the backward pass of SoftplusIntensityLL needs;
// everything lives in the tape's arena.
type intensityCache struct {
	evRows, qRows []int     // active rows
	xe, xq        []float64 // gathered hidden states [nE, D], [nQ, D]
	ze, zq        []float64 // pre-activations [nE, K], [nQ, K]
}

// SoftplusIntensityLL is the fused "softplus intensity head + log at the
// events + integral at the quadrature nodes" op for a whole batch (see
// IntensityLL). It returns a scalar.
func (t *Tape) SoftplusIntensityLL(a IntensityLL) *Tensor {
	D, K := a.W.dims[0], a.W.dims[1]
	if a.W.nd != 2 || a.HEv.Cols() != D || a.HEv.Rows() != len(a.Types) ||
		(a.HQ != nil && (a.HQ.Cols() != D || a.HQ.Rows() != len(a.QW))) ||
		(a.B != nil && len(a.B.Data) != K) || (a.LogBeta != nil && len(a.LogBeta.Data) != K) {
		panic(fmt.Sprintf("engine: SoftplusIntensityLL with HEv %v, %d types, HQ %v, %d weights, W %v", a.HEv.Shape(), len(a.Types), shapeOrNil(a.HQ), len(a.QW), a.W.Shape()))
	}
	beta := t.floatsRaw(K)
	for k := range beta {
		beta[k] = 1
		if a.LogBeta != nil {
			beta[k] = math.Exp(a.LogBeta.Data[k])
		}
	}
	var c intensityCache
	c.evRows, c.xe, c.ze = t.headRows(a.HEv, a.W, a.B, func(i int) bool { return a.Types[i] >= 0 })
	if a.HQ != nil {
		c.qRows, c.xq, c.zq = t.headRows(a.HQ, a.W, a.B, func(i int) bool { return a.QW[i] != 0 })
	}
	var st IntensityStats
	st.NumEvents = len(c.evRows)
	for n, i := range c.evRows {
		z := c.ze[n*K : (n+1)*K]
		k := a.Types[i]
		if k >= K {
			panic(fmt.Sprintf("engine: SoftplusIntensityLL type %d at row %d, K = %d", k, i, K))
		}
		st.EventLog += LogSoftplus(beta[k]*z[k]) - math.Log(beta[k])
		tot := 0.0
		for j, v := range z {
			tot += Softplus(beta[j]*v) / beta[j]
		}
		st.TotalLog += math.Log(tot)
	}
	for n, i := range c.qRows {
		z := c.zq[n*K : (n+1)*K]
		tot := 0.0
		for j, v := range z {
			tot += Softplus(beta[j]*v) / beta[j]
		}
		st.Integral += a.QW[i] * tot
	}
	if a.Stats != nil {
		*a.Stats = st
	}
	out := t.newTensor(sh0(), false)
	out.Data[0] = st.EventLog - st.Integral
	if t.NeedsGrad(a.HEv, a.HQ, a.W, a.B, a.LogBeta) {
		// pack the cache into the node: ints = evRows ++ qRows ++ types,
		// floats = QW; cache = beta ++ xe ++ xq ++ ze ++ zq
		ints := t.ints.alloc(len(c.evRows)+len(c.qRows)+len(a.Types)+2, false)
		ints[0], ints[1] = len(c.evRows), len(c.qRows)
		copy(ints[2:], c.evRows)
		copy(ints[2+len(c.evRows):], c.qRows)
		copy(ints[2+len(c.evRows)+len(c.qRows):], a.Types)
		cache := t.floatsRaw(K + len(c.xe) + len(c.xq) + len(c.ze) + len(c.zq))
		off := copy(cache, beta)
		off += copy(cache[off:], c.xe)
		off += copy(cache[off:], c.xq)
		off += copy(cache[off:], c.ze)
		copy(cache[off:], c.zq)
		t.record(&Node{kind: opIntensityLL, Out: [4]*Tensor{out}, In: [6]*Tensor{a.HEv, a.HQ, a.W, a.B, a.LogBeta}, Ints: ints, Floats: a.QW, Cache: cache})
	}
	return out
}

func shapeOrNil(x *Tensor) []int {
	if x == nil {
		return nil
	}
	return x.Shape()
}

// headRows gathers the rows of h for which keep is true and returns them
// with their pre-activations rows·W + b.
func (t *Tape) headRows(h, w, b *Tensor, keep func(int) bool) (rows []int, x, z []float64) {
	R, D, K := h.Rows(), w.dims[0], w.dims[1]
	n := 0
	for i := 0; i < R; i++ {
		if keep(i) {
			n++
		}
	}
	rows = t.ints.alloc(n, false)
	x = t.floatsRaw(n * D)
	z = t.floatsRaw(n * K)
	n = 0
	for i := 0; i < R; i++ {
		if keep(i) {
			rows[n] = i
			copy(x[n*D:(n+1)*D], h.Data[i*D:(i+1)*D])
			n++
		}
	}
	beta := 0.0
	if b != nil {
		for r := 0; r < n; r++ {
			copy(z[r*K:(r+1)*K], b.Data)
		}
		beta = 1
	}
	gemm(false, false, n, K, D, 1, x, w.Data, beta, z)
	return rows, x, z
}

func backwardIntensityLL(t *Tape, n *Node) {
	hEv, hQ, w, b, logBeta := n.In[0], n.In[1], n.In[2], n.In[3], n.In[4]
	g := n.Out[0].Grad[0]
	D, K := w.dims[0], w.dims[1]
	nE, nQ := n.Ints[0], n.Ints[1]
	evRows := n.Ints[2 : 2+nE]
	qRows := n.Ints[2+nE : 2+nE+nQ]
	types := n.Ints[2+nE+nQ:]
	beta := n.Cache[:K]
	off := K
	xe := n.Cache[off : off+nE*D]
	off += nE * D
	xq := n.Cache[off : off+nQ*D]
	off += nQ * D
	ze := n.Cache[off : off+nE*K]
	off += nE * K
	zq := n.Cache[off : off+nQ*K]

	// gradients of the pre-activations
	gze := t.Floats(nE * K)
	gzq := t.Floats(nQ * K)
	var glb []float64
	if logBeta != nil && logBeta.Grad != nil {
		glb = logBeta.Grad
	}
	for r, i := range evRows {
		k := types[i]
		x := beta[k] * ze[r*K+k]
		ratio := SigmoidOverSoftplus(x)
		gze[r*K+k] = g * beta[k] * ratio
		if glb != nil {
			glb[k] += g * (x*ratio - 1)
		}
	}
	for r, i := range qRows {
		qw := n.Floats[i]
		for k := 0; k < K; k++ {
			x := beta[k] * zq[r*K+k]
			s := Sigmoid(x)
			gzq[r*K+k] = -g * qw * s
			if glb != nil {
				glb[k] -= g * qw * (x*s - Softplus(x)) / beta[k]
			}
		}
	}
	headRowsBackward(t, hEv, w, b, evRows, xe, gze, D, K)
	if hQ != nil {
		headRowsBackward(t, hQ, w, b, qRows, xq, gzq, D, K)
	}
}

// headRowsBackward adds the gradients of z = x·W + b (x the gathered rows of
// h) into W, b and the rows of h.
func headRowsBackward(t *Tape, h, w, b *Tensor, rows []int, x, gz []float64, D, K int) {
	n := len(rows)
	if n == 0 {
		return
	}
	if w.Grad != nil {
		gemm(true, false, D, K, n, 1, x, gz, 1, w.Grad)
	}
	if b != nil && b.Grad != nil {
		colSumInto(b.Grad, gz, n, K)
	}
	if h.Grad != nil {
		gx := t.floatsRaw(n * D)
		gemm(false, true, n, D, K, 1, gz, w.Data, 0, gx)
		for r, i := range rows {
			dst := h.Grad[i*D : (i+1)*D]
			for j, v := range gx[r*D : (r+1)*D] {
				dst[j] += v
			}
		}
	}
}

// backwardBuiltin dispatches the backward pass of a built-in op.
func backwardBuiltin(t *Tape, n *Node) {
	switch n.kind {
	case opAdd, opSub, opMul, opDiv:
		backwardBinary(t, n)
	case opScale, opAddScalar, opExp, opLog, opTanh, opSigmoid, opSoftplus, opReLU, opSquare:
		backwardUnary(n)
	case opMatMul, opBatchMatMul, opLinear:
		backwardLinalg(n)
	case opRNNCell:
		backwardRNNCell(t, n)
	case opLSTMCell:
		backwardLSTMCell(t, n)
	case opGRUCell:
		backwardGRUCell(t, n)
	case opCTDecay, opCTHidden:
		backwardCT(t, n)
	case opIntensityLL:
		backwardIntensityLL(t, n)
	case opPickLogSoftmax:
		backwardPickLogSoftmax(n)
	default:
		backwardShapeReduce(t, n)
	}
}
