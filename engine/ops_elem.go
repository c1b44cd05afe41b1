package engine

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/gotpp/gotpp/internal/vecmath"
)

type opKind uint8

const (
	opCustom opKind = iota
	opAdd
	opSub
	opMul
	opDiv
	opScale
	opAddScalar
	opExp
	opLog
	opTanh
	opSigmoid
	opSoftplus
	opReLU
	opSquare
	opLogSoftmax
	opSoftmax
	opGather
	opPick
	opPickLogSoftmax
	opConcat
	opSliceLast
	opConcatRows
	opTranspose01
	opMatMul
	opBatchMatMul
	opLinear
	opSum
	opSumLast
	opWeightedSum
	opLayerNorm
	opRNNCell
	opLSTMCell
	opGRUCell
	opCTDecay
	opCTHidden
	opIntensityLL
	opAddLayerNorm
	opLinearReLU
	opEmbedProject
	opGRUSeq
)

// bmode is how an operand of a broadcasting binary op maps onto the output
// seen as an R×C matrix (C = last axis).
type bmode uint8

const (
	bFull   bmode = iota // same number of elements as the output
	bRow                 // one row of C values, repeated for every row
	bCol                 // one value per row ([..., 1]), repeated along the last axis
	bScalar              // one value
)

func operandMode(x *Tensor, R, C int, op string, a, b *Tensor) bmode {
	switch n := len(x.Data); {
	case n == R*C:
		return bFull
	case n == 1:
		return bScalar
	case n == C && x.Cols() == C:
		return bRow
	case n == R && x.Cols() == 1:
		return bCol
	}
	panic(fmt.Sprintf("engine: %s: shapes %v and %v do not broadcast (want equal sizes, a row of the last axis, a column [...,1], or a scalar)", op, a.Shape(), b.Shape()))
}

// rowOf returns row r of operand x under mode m: either a slice of C values
// or a single scalar.
func rowOf(x []float64, m bmode, r, C int) (v []float64, s float64, isScalar bool) {
	switch m {
	case bFull:
		return x[r*C : (r+1)*C], 0, false
	case bRow:
		return x[:C], 0, false
	case bCol:
		return nil, x[r], true
	}
	return nil, x[0], true
}

func (t *Tape) binary(kind opKind, name string, a, b *Tensor) *Tensor {
	s := shOf(a)
	if len(b.Data) > len(a.Data) {
		s = shOf(b)
	}
	out := t.newTensor(s, false)
	R, C := out.Rows(), out.Cols()
	ma := operandMode(a, R, C, name, a, b)
	mb := operandMode(b, R, C, name, a, b)
	if ma == bFull && mb == bFull {
		binaryVV(kind, out.Data, a.Data, b.Data)
	} else {
		for r := 0; r < R; r++ {
			o := out.Data[r*C : (r+1)*C]
			av, as, aS := rowOf(a.Data, ma, r, C)
			bv, bs, bS := rowOf(b.Data, mb, r, C)
			switch {
			case !aS && !bS:
				binaryVV(kind, o, av, bv)
			case !aS:
				binaryVS(kind, o, av, bs)
			case !bS:
				binarySV(kind, o, as, bv)
			default:
				v := binaryScalar(kind, as, bs)
				for i := range o {
					o[i] = v
				}
			}
		}
	}
	t.record(&Node{kind: kind, Out: [4]*Tensor{out}, In: [6]*Tensor{a, b}, Flags: int(ma) | int(mb)<<4})
	return out
}

func binaryScalar(kind opKind, a, b float64) float64 {
	switch kind {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	}
	return a / b
}

func binaryVV(kind opKind, o, a, b []float64) {
	a = a[:len(o)]
	b = b[:len(o)]
	switch kind {
	case opAdd:
		for i := range o {
			o[i] = a[i] + b[i]
		}
	case opSub:
		for i := range o {
			o[i] = a[i] - b[i]
		}
	case opMul:
		for i := range o {
			o[i] = a[i] * b[i]
		}
	case opDiv:
		for i := range o {
			o[i] = a[i] / b[i]
		}
	}
}

func binaryVS(kind opKind, o, a []float64, b float64) {
	a = a[:len(o)]
	switch kind {
	case opAdd:
		for i := range o {
			o[i] = a[i] + b
		}
	case opSub:
		for i := range o {
			o[i] = a[i] - b
		}
	case opMul:
		for i := range o {
			o[i] = a[i] * b
		}
	case opDiv:
		for i := range o {
			o[i] = a[i] / b
		}
	}
}

func binarySV(kind opKind, o []float64, a float64, b []float64) {
	b = b[:len(o)]
	switch kind {
	case opAdd:
		for i := range o {
			o[i] = a + b[i]
		}
	case opSub:
		for i := range o {
			o[i] = a - b[i]
		}
	case opMul:
		for i := range o {
			o[i] = a * b[i]
		}
	case opDiv:
		for i := range o {
			o[i] = a / b[i]
		}
	}
}

// accumBroadcast adds scale·g⊙f into gx, reducing over the axes along which
// x was broadcast. f (mode mf) is a factor operand, nil for 1.
func accumBroadcast(gx []float64, mx bmode, g []float64, f []float64, mf bmode, scale float64, R, C int) {
	if mx == bFull && (f == nil || mf == bFull) {
		gx = gx[:len(g)]
		if f == nil {
			// gx += scale·g with gonum's assembly axpy (the same products
			// and sums, rounded the same way)
			floats.AddScaled(gx, scale, g)
			return
		}
		f = f[:len(g)]
		for i, v := range g {
			gx[i] += scale * v * f[i]
		}
		return
	}
	for r := 0; r < R; r++ {
		gr := g[r*C : (r+1)*C]
		var fv []float64
		fs, fScalar := 1.0, true
		if f != nil {
			fv, fs, fScalar = rowOf(f, mf, r, C)
		}
		fs *= scale
		switch mx {
		case bFull, bRow:
			var dst []float64
			if mx == bFull {
				dst = gx[r*C : (r+1)*C]
			} else {
				dst = gx[:C]
			}
			if fScalar {
				for i, v := range gr {
					dst[i] += fs * v
				}
			} else {
				for i, v := range gr {
					dst[i] += scale * v * fv[i]
				}
			}
		default:
			acc := 0.0
			if fScalar {
				for _, v := range gr {
					acc += v
				}
				acc *= fs
			} else {
				for i, v := range gr {
					acc += v * fv[i]
				}
				acc *= scale
			}
			if mx == bCol {
				gx[r] += acc
			} else {
				gx[0] += acc
			}
		}
	}
}

func backwardBinary(t *Tape, n *Node) {
	out, a, b := n.Out[0], n.In[0], n.In[1]
	g := out.Grad
	R, C := out.Rows(), out.Cols()
	ma, mb := bmode(n.Flags&15), bmode(n.Flags>>4)
	switch n.kind {
	case opAdd, opSub:
		if a.Grad != nil {
			accumBroadcast(a.Grad, ma, g, nil, 0, 1, R, C)
		}
		if b.Grad != nil {
			s := 1.0
			if n.kind == opSub {
				s = -1
			}
			accumBroadcast(b.Grad, mb, g, nil, 0, s, R, C)
		}
	case opMul:
		if a.Grad != nil {
			accumBroadcast(a.Grad, ma, g, b.Data, mb, 1, R, C)
		}
		if b.Grad != nil {
			accumBroadcast(b.Grad, mb, g, a.Data, ma, 1, R, C)
		}
	case opDiv:
		if a.Grad != nil {
			inv := t.floatsRaw(len(b.Data))
			for i, v := range b.Data {
				inv[i] = 1 / v
			}
			accumBroadcast(a.Grad, ma, g, inv, mb, 1, R, C)
		}
		if b.Grad != nil {
			// d(a/b)/db = -out/b
			f := t.floatsRaw(len(out.Data))
			for r := 0; r < R; r++ {
				bv, bs, bS := rowOf(b.Data, mb, r, C)
				o := out.Data[r*C : (r+1)*C]
				fr := f[r*C : (r+1)*C]
				if bS {
					for i := range fr {
						fr[i] = -o[i] / bs
					}
				} else {
					for i := range fr {
						fr[i] = -o[i] / bv[i]
					}
				}
			}
			accumBroadcast(b.Grad, mb, g, f, bFull, 1, R, C)
		}
	}
}

// Add returns a + b. The smaller operand broadcasts when it is a row of the
// last axis (e.g. a bias [C] against [R, C]), a column [..., 1] (one value
// per row), or a scalar; otherwise sizes must be equal.
func (t *Tape) Add(a, b *Tensor) *Tensor { return t.binary(opAdd, "Add", a, b) }

// Sub returns a − b with Add's broadcasting.
func (t *Tape) Sub(a, b *Tensor) *Tensor { return t.binary(opSub, "Sub", a, b) }

// Mul returns a ⊙ b with Add's broadcasting.
func (t *Tape) Mul(a, b *Tensor) *Tensor { return t.binary(opMul, "Mul", a, b) }

// Div returns a ⊘ b with Add's broadcasting.
func (t *Tape) Div(a, b *Tensor) *Tensor { return t.binary(opDiv, "Div", a, b) }

// unary applies an elementwise function.
func (t *Tape) unary(kind opKind, a *Tensor, s float64) *Tensor {
	out := t.newTensor(shOf(a), false)
	o, x := out.Data, a.Data[:len(out.Data)]
	switch kind {
	case opScale:
		for i, v := range x {
			o[i] = s * v
		}
	case opAddScalar:
		for i, v := range x {
			o[i] = v + s
		}
	case opExp:
		vecmath.Exp(o, x)
	case opLog:
		for i, v := range x {
			o[i] = math.Log(v)
		}
	case opTanh:
		vecmath.Tanh(o, x)
	case opSigmoid:
		vecmath.Sigmoid(o, x)
	case opSoftplus:
		vecmath.Softplus(o, x)
	case opReLU:
		for i, v := range x {
			o[i] = max(v, 0)
		}
	case opSquare:
		for i, v := range x {
			o[i] = v * v
		}
	}
	t.record(&Node{kind: kind, Out: [4]*Tensor{out}, In: [6]*Tensor{a}, Scalar: s})
	return out
}

func backwardUnary(t *Tape, n *Node) {
	out, a := n.Out[0], n.In[0]
	if a.Grad == nil {
		return
	}
	g, o := out.Grad, out.Data
	ga, x := a.Grad[:len(g)], a.Data[:len(g)]
	o = o[:len(g)]
	switch n.kind {
	case opScale:
		for i, v := range g {
			ga[i] += n.Scalar * v
		}
	case opAddScalar:
		for i, v := range g {
			ga[i] += v
		}
	case opExp:
		for i, v := range g {
			ga[i] += v * o[i]
		}
	case opLog:
		for i, v := range g {
			ga[i] += v / x[i]
		}
	case opTanh:
		for i, v := range g {
			ga[i] += v * (1 - o[i]*o[i])
		}
	case opSigmoid:
		for i, v := range g {
			ga[i] += v * o[i] * (1 - o[i])
		}
	case opSoftplus:
		s := t.floatsRaw(len(g)) // sigmoid(x), the derivative
		vecmath.Sigmoid(s, x)
		for i, v := range g {
			ga[i] += v * s[i]
		}
	case opReLU:
		for i, v := range g {
			if x[i] > 0 {
				ga[i] += v
			}
		}
	case opSquare:
		for i, v := range g {
			ga[i] += 2 * v * x[i]
		}
	}
}

// Scale returns s·a.
func (t *Tape) Scale(a *Tensor, s float64) *Tensor { return t.unary(opScale, a, s) }

// AddScalar returns a + s.
func (t *Tape) AddScalar(a *Tensor, s float64) *Tensor { return t.unary(opAddScalar, a, s) }

// Neg returns −a.
func (t *Tape) Neg(a *Tensor) *Tensor { return t.unary(opScale, a, -1) }

// Exp returns exp(a) elementwise.
func (t *Tape) Exp(a *Tensor) *Tensor { return t.unary(opExp, a, 0) }

// Log returns log(a) elementwise.
func (t *Tape) Log(a *Tensor) *Tensor { return t.unary(opLog, a, 0) }

// Tanh returns tanh(a) elementwise.
func (t *Tape) Tanh(a *Tensor) *Tensor { return t.unary(opTanh, a, 0) }

// Sigmoid returns 1/(1+exp(−a)) elementwise, computed without overflow.
func (t *Tape) Sigmoid(a *Tensor) *Tensor { return t.unary(opSigmoid, a, 0) }

// Softplus returns log(1+exp(a)) elementwise, computed without overflow or
// underflow and with its exact gradient sigmoid(a) everywhere (no clamping,
// no dead zone).
func (t *Tape) Softplus(a *Tensor) *Tensor { return t.unary(opSoftplus, a, 0) }

// ReLU returns max(a, 0) elementwise (gradient 0 at 0).
func (t *Tape) ReLU(a *Tensor) *Tensor { return t.unary(opReLU, a, 0) }

// Square returns a² elementwise.
func (t *Tape) Square(a *Tensor) *Tensor { return t.unary(opSquare, a, 0) }

// Sigmoid is the logistic function, evaluated without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softplus is log(1+exp(x)), evaluated without overflow or loss of
// precision for large |x|.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// LogSoftplus is log(softplus(x)), accurate also for very negative x where
// softplus(x) underflows (there it equals x to double precision).
func LogSoftplus(x float64) float64 {
	if x < -700 {
		return x
	}
	return math.Log(Softplus(x))
}

// SigmoidOverSoftplus is sigmoid(x)/softplus(x), the derivative of
// LogSoftplus, accurate for very negative x (where it tends to 1).
func SigmoidOverSoftplus(x float64) float64 {
	if x < -700 {
		return 1
	}
	return Sigmoid(x) / Softplus(x)
}
