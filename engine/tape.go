package engine

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotpp/gotpp/params"
)

// Tape records the operations of one forward pass so that Backward can run
// them in reverse. A tape owns an arena: every tensor, gradient buffer and
// scratch slice it hands out is reused after Reset, so a training loop that
// calls Reset once per batch allocates nothing in steady state.
//
// A tape is not safe for concurrent use; use one tape per goroutine (see
// Workers).
type Tape struct {
	nodes   []Node
	floats  arena[float64]
	ints    arena[int]
	ptrs    arena[*Tensor]
	tensors pool

	noGrad bool
	// rng drives Dropout while the tape records (training); nil: none.
	// Workers reseed pcg (behind ownRng) instead of allocating a source
	// per step.
	rng    *rand.Rand
	pcg    *rand.PCG
	ownRng *rand.Rand
	// shadow, when not nil, redirects parameter gradients into buffers
	// private to this tape (data-parallel workers).
	shadow map[*params.Param][]float64
	// steps holds the weights packed for StepMatMul since the last Reset
	// (records beyond len are reused).
	steps []*stepPack
}

// NewTape returns an empty tape that records gradients.
func NewTape() *Tape { return &Tape{} }

// Reset forgets every recorded operation and makes the arena's memory
// available again. Tensors obtained before Reset must not be used after it.
func (t *Tape) Reset() {
	t.nodes = t.nodes[:0]
	t.floats.reset()
	t.ints.reset()
	t.ptrs.reset()
	t.tensors.reset()
	t.steps = t.steps[:0]
}

// SetNoGrad switches recording off (true) or on (false). With recording off
// the tape evaluates operations without storing them or allocating
// gradients: the inference mode. Change it only right after Reset.
func (t *Tape) SetNoGrad(noGrad bool) { t.noGrad = noGrad }

// NoGrad reports whether recording is off.
func (t *Tape) NoGrad() bool { return t.noGrad }

// NumNodes is the number of operations recorded since the last Reset.
func (t *Tape) NumNodes() int { return len(t.nodes) }

// Floats returns n zeroed float64s from the arena (valid until Reset).
func (t *Tape) Floats(n int) []float64 {
	return t.floats.alloc(n, true)
}

// floatsRaw returns n float64s from the arena with undefined contents.
func (t *Tape) floatsRaw(n int) []float64 { return t.floats.alloc(n, false) }

// FloatsNoZero returns n float64s from the arena (valid until Reset) with
// undefined contents: for buffers the caller overwrites entirely, which
// then skip the zeroing Floats does.
func (t *Tape) FloatsNoZero(n int) []float64 { return t.floats.alloc(n, false) }

// NewNoZero is New without zeroing: a constant tensor of the given shape
// with undefined contents, for custom ops that write every element.
func (t *Tape) NewNoZero(dims ...int) *Tensor { return t.newTensor(shapeFromInts(dims), false) }

// Ints returns n zeroed ints from the arena (valid until Reset).
func (t *Tape) Ints(n int) []int {
	return t.ints.alloc(n, true)
}

// TensorList returns a slice of n nil tensor pointers from the arena (valid
// until Reset), e.g. to collect per-step outputs for ConcatRows.
func (t *Tape) TensorList(n int) []*Tensor {
	return t.ptrs.alloc(n, true)
}

func (t *Tape) newTensor(s shape, zero bool) *Tensor {
	x := t.tensors.get()
	x.dims, x.nd = s.d, s.n
	if zero {
		x.Data = t.Floats(s.size())
	} else {
		x.Data = t.floatsRaw(s.size())
	}
	return x
}

// New returns a zeroed constant tensor (no gradient) of the given shape from
// the arena. Custom ops create their outputs with New and then call Record.
func (t *Tape) New(dims ...int) *Tensor { return t.newTensor(shapeFromInts(dims), true) }

// Const wraps data as a constant tensor of the given shape without copying:
// data must stay unchanged until the tape is Reset.
func (t *Tape) Const(data []float64, dims ...int) *Tensor {
	s := shapeFromInts(dims)
	if s.size() != len(data) {
		panic(fmt.Sprintf("engine: Const of %d values with shape %v", len(data), clone(dims)))
	}
	x := t.tensors.get()
	x.dims, x.nd = s.d, s.n
	x.Data = data
	return x
}

// Scalar returns a constant one-element tensor (shape []) holding v.
func (t *Tape) Scalar(v float64) *Tensor {
	x := t.newTensor(sh0(), false)
	x.Data[0] = v
	return x
}

// Param wraps a parameter as a leaf tensor sharing its Value. Its gradient
// is p.Grad (allocated when nil), or a buffer private to the tape on a
// data-parallel worker; with recording off it has no gradient.
func (t *Tape) Param(p *params.Param) *Tensor {
	var s shape
	if len(p.Shape) == 0 {
		s = sh1(len(p.Value))
	} else {
		s = shapeFromInts(p.Shape)
	}
	if s.size() != len(p.Value) {
		panic(fmt.Sprintf("engine: parameter %s has shape %v but %d values", p.Name, p.Shape, len(p.Value)))
	}
	x := t.tensors.get()
	x.dims, x.nd = s.d, s.n
	x.Data = p.Value
	if t.noGrad {
		return x
	}
	if t.shadow != nil {
		g, ok := t.shadow[p]
		if !ok {
			g = make([]float64, len(p.Value))
			t.shadow[p] = g
		}
		x.Grad = g
		return x
	}
	if len(p.Grad) != len(p.Value) {
		p.Grad = make([]float64, len(p.Value))
	}
	x.Grad = p.Grad
	return x
}

// Node is one recorded operation: its outputs, inputs and whatever data its
// backward pass needs. Built-in ops and custom ops (see CustomOp) share it.
type Node struct {
	Out    [4]*Tensor // outputs (unused entries nil)
	In     [6]*Tensor // inputs (unused entries nil)
	List   []*Tensor  // further inputs, for ops taking a list
	Ints   []int      // integer data (indices, types); must live until Backward
	Floats []float64  // float data (masks, weights); must live until Backward
	Cache  []float64  // values saved by the forward pass for the backward pass
	Scalar float64
	Flags  int

	kind   opKind
	custom CustomOp
}

// CustomOp is the backward pass of an operation defined outside this
// package. Backward reads the gradients of n.Out and adds the gradients of
// the inputs (n.In, n.List) into their Grad slices, skipping inputs whose
// Grad is nil. It may take scratch memory from t.Floats.
type CustomOp interface {
	Backward(t *Tape, n *Node)
}

// NeedsGrad reports whether an operation on the given inputs must be
// recorded: recording is on and at least one input takes gradients.
func (t *Tape) NeedsGrad(ins ...*Tensor) bool {
	if t.noGrad {
		return false
	}
	for _, x := range ins {
		if x != nil && x.Grad != nil {
			return true
		}
	}
	return false
}

func (t *Tape) nodeNeedsGrad(n *Node) bool {
	if t.noGrad {
		return false
	}
	for _, x := range n.In {
		if x != nil && x.Grad != nil {
			return true
		}
	}
	for _, x := range n.List {
		if x.Grad != nil {
			return true
		}
	}
	return false
}

// Record registers a custom op whose forward pass has already filled
// n.Out[*].Data (outputs made with New). When some input takes gradients,
// Record gives each output a zeroed gradient buffer and stores the node for
// Backward; otherwise it does nothing. It reports whether the node was
// recorded.
func (t *Tape) Record(op CustomOp, n Node) bool {
	n.kind = opCustom
	n.custom = op
	return t.record(&n)
}

func (t *Tape) record(n *Node) bool {
	if !t.nodeNeedsGrad(n) {
		return false
	}
	for _, o := range n.Out {
		if o != nil && o.Grad == nil {
			o.Grad = t.Floats(len(o.Data))
		}
	}
	t.nodes = append(t.nodes, *n)
	return true
}

// list copies ts into arena memory (so variadic arguments need not escape).
func (t *Tape) list(ts []*Tensor) []*Tensor {
	l := t.ptrs.alloc(len(ts), false)
	copy(l, ts)
	return l
}

// Backward adds 1 to the gradient of the one-element tensor loss and
// propagates gradients through every recorded operation in reverse order,
// accumulating into parameter gradients. Call it at most once per Reset.
// It does nothing when the loss does not depend on anything that takes
// gradients.
func (t *Tape) Backward(loss *Tensor) {
	if len(loss.Data) != 1 {
		panic(fmt.Sprintf("engine: Backward of a tensor with shape %v (want one element)", loss.Shape()))
	}
	if loss.Grad == nil {
		return
	}
	loss.Grad[0]++
	for i := len(t.nodes) - 1; i >= 0; i-- {
		n := &t.nodes[i]
		if n.kind == opCustom {
			n.custom.Backward(t, n)
		} else {
			backwardBuiltin(t, n)
		}
	}
}
