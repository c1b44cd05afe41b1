package engine

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/internal/vecmath"
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

// The node of SoftplusIntensityLL keeps, in one arena slice (Cache):
//
//	beta [K] | xe [nE, D] | xq [nQ, D] | ev [nE, 2] | aq [nQ, K] | spq [nQ, K] | sgq [nQ, K]
//
// with xe, xq the gathered hidden states of the scored events and of the
// active nodes, ev the scaled pre-activation x = β_k·z_k of each event's
// type and sigmoid(x)/softplus(x) there, and aq = β·z, softplus(aq) and
// sigmoid(aq) at the nodes. Ints holds nE, nQ, the event rows, the node
// rows and the types.

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
	nE := 0
	for _, k := range a.Types {
		if k >= 0 {
			nE++
		}
	}
	nQ := 0
	if a.HQ != nil {
		for _, w := range a.QW {
			if w != 0 {
				nQ++
			}
		}
	}
	needGrad := t.NeedsGrad(a.HEv, a.HQ, a.W, a.B, a.LogBeta)
	ints := t.ints.alloc(2+nE+nQ+len(a.Types), false)
	ints[0], ints[1] = nE, nQ
	evRows, qRows := ints[2:2+nE], ints[2+nE:2+nE+nQ]
	copy(ints[2+nE+nQ:], a.Types)
	cache := t.floatsRaw(K + nE*D + nQ*D + 2*nE + 3*nQ*K)
	beta := cache[:K]
	off := K
	xe := cache[off : off+nE*D]
	off += nE * D
	xq := cache[off : off+nQ*D]
	off += nQ * D
	ev := cache[off : off+2*nE]
	off += 2 * nE
	aq := cache[off : off+nQ*K]
	off += nQ * K
	spq := cache[off : off+nQ*K]
	off += nQ * K
	sgq := cache[off : off+nQ*K]

	for k := range beta {
		beta[k] = 1
		if a.LogBeta != nil {
			beta[k] = math.Exp(a.LogBeta.Data[k])
		}
	}
	// events: ae = β·z, softplus (and sigmoid for the gradient) of all K
	ae := t.floatsRaw(nE * K)
	headRows(a.HEv, a.W, a.B, func(i int) bool { return a.Types[i] >= 0 }, evRows, xe, ae)
	scaleCols(ae, beta)
	spe := t.floatsRaw(nE * K)
	var sge []float64
	if needGrad {
		sge = t.floatsRaw(nE * K)
		vecmath.SoftplusSigmoid(spe, sge, ae)
	} else {
		vecmath.Softplus(spe, ae)
	}
	var st IntensityStats
	st.NumEvents = nE
	for n, i := range evRows {
		sp := spe[n*K : (n+1)*K]
		k := a.Types[i]
		if k >= K {
			panic(fmt.Sprintf("engine: SoftplusIntensityLL type %d at row %d, K = %d", k, i, K))
		}
		x := ae[n*K+k]
		if x < -700 { // log softplus(x) = x and sigmoid/softplus = 1 to double precision
			st.EventLog += x - math.Log(beta[k])
			ev[2*n], ev[2*n+1] = x, 1
		} else {
			st.EventLog += math.Log(sp[k]) - math.Log(beta[k])
			ev[2*n] = x
			if needGrad {
				ev[2*n+1] = sge[n*K+k] / sp[k]
			}
		}
		tot := 0.0
		for j, v := range sp {
			tot += v / beta[j]
		}
		st.TotalLog += math.Log(tot)
	}
	// nodes
	if nQ > 0 {
		headRows(a.HQ, a.W, a.B, func(i int) bool { return a.QW[i] != 0 }, qRows, xq, aq)
		scaleCols(aq, beta)
		if needGrad {
			vecmath.SoftplusSigmoid(spq, sgq, aq)
		} else {
			vecmath.Softplus(spq, aq)
		}
	}
	for n, i := range qRows {
		tot := 0.0
		for j, v := range spq[n*K : (n+1)*K] {
			tot += v / beta[j]
		}
		st.Integral += a.QW[i] * tot
	}
	if a.Stats != nil {
		*a.Stats = st
	}
	out := t.newTensor(sh0(), false)
	out.Data[0] = st.EventLog - st.Integral
	if needGrad {
		t.record(&Node{kind: opIntensityLL, Out: [4]*Tensor{out}, In: [6]*Tensor{a.HEv, a.HQ, a.W, a.B, a.LogBeta}, Ints: ints, Floats: a.QW, Cache: cache})
	}
	return out
}

// scaleCols multiplies every row of z ([·, len(beta)]) by beta elementwise.
func scaleCols(z, beta []float64) {
	K := len(beta)
	for r := 0; r+K <= len(z); r += K {
		zr := z[r : r+K]
		for j, b := range beta {
			zr[j] *= b
		}
	}
}

// shapeOrNil is x's shape, nil for a nil tensor (optional operands in
// panic messages).
func shapeOrNil(x *Tensor) []int {
	if x == nil {
		return nil
	}
	return x.Shape()
}

// headRows gathers the rows of h for which keep is true into x and their
// indices into rows (both sized by the caller for exactly those rows) and
// sets z to their pre-activations rows·W + b.
func headRows(h, w, b *Tensor, keep func(int) bool, rows []int, x, z []float64) {
	R, D, K := h.Rows(), w.dims[0], w.dims[1]
	n := 0
	for i := 0; i < R; i++ {
		if keep(i) {
			rows[n] = i
			copy(x[n*D:(n+1)*D], h.Data[i*D:(i+1)*D])
			n++
		}
	}
	var bias []float64
	if b != nil {
		bias = b.Data
	}
	gemmBias(n, K, D, x, w.Data, bias, z)
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
	ev := n.Cache[off : off+2*nE]
	off += 2 * nE
	aq := n.Cache[off : off+nQ*K]
	off += nQ * K
	spq := n.Cache[off : off+nQ*K]
	off += nQ * K
	sgq := n.Cache[off : off+nQ*K]

	// gradients of the pre-activations
	gze := t.Floats(nE * K)
	gzq := t.floatsRaw(nQ * K)
	var glb []float64
	if logBeta != nil && logBeta.Grad != nil {
		glb = logBeta.Grad
	}
	for r, i := range evRows {
		k := types[i]
		x, ratio := ev[2*r], ev[2*r+1]
		gze[r*K+k] = g * beta[k] * ratio
		if glb != nil {
			glb[k] += g * (x*ratio - 1)
		}
	}
	for r, i := range qRows {
		qw := n.Floats[i]
		gr, sg := gzq[r*K:(r+1)*K], sgq[r*K:(r+1)*K]
		for k, s := range sg {
			gr[k] = -g * qw * s
		}
		if glb != nil {
			x, sp := aq[r*K:(r+1)*K], spq[r*K:(r+1)*K]
			for k, s := range sg {
				glb[k] -= g * qw * (x[k]*s - sp[k]) / beta[k]
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
		backwardUnary(t, n)
	case opMatMul, opBatchMatMul, opLinear:
		backwardLinalg(n)
	case opLinearReLU:
		backwardLinearReLU(t, n)
	case opRNNCell:
		backwardRNNCell(t, n)
	case opLSTMCell:
		backwardLSTMCell(t, n)
	case opGRUCell:
		backwardGRUCell(t, n)
	case opGRUSeq:
		backwardGRUSeq(t, n)
	case opEmbedProject:
		backwardEmbedProject(t, n)
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
