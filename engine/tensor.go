package engine

import (
	"fmt"
	"strings"
)

// MaxDims is the largest number of axes a Tensor can have.
const MaxDims = 4

// Tensor is a dense row-major float64 array with a shape. Data holds the
// values; Grad, when not nil, has the same length and receives the gradient
// of the loss during Tape.Backward. A tensor whose Grad is nil is a constant
// as far as differentiation is concerned.
//
// Tensors made by a Tape live in the tape's arena: they are valid until the
// tape's next Reset, after which their memory is reused.
type Tensor struct {
	Data []float64
	Grad []float64
	dims [MaxDims]int
	nd   int
}

// Shape returns the axes' sizes (a view into the tensor; do not modify).
func (t *Tensor) Shape() []int { return t.dims[:t.nd] }

// NDim is the number of axes (0 for a scalar).
func (t *Tensor) NDim() int { return t.nd }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += t.nd
	}
	if i < 0 || i >= t.nd {
		panic(fmt.Sprintf("engine: axis %d of a %d-axis tensor", i, t.nd))
	}
	return t.dims[i]
}

// Size is the number of elements.
func (t *Tensor) Size() int { return len(t.Data) }

// Cols is the size of the last axis (1 for a scalar).
func (t *Tensor) Cols() int {
	if t.nd == 0 {
		return 1
	}
	return t.dims[t.nd-1]
}

// Rows is Size()/Cols(): the number of rows when the tensor is seen as a
// matrix whose rows run over all leading axes.
func (t *Tensor) Rows() int {
	c := t.Cols()
	if c == 0 {
		return 0
	}
	return len(t.Data) / c
}

// NeedsGrad reports whether gradients flow into the tensor.
func (t *Tensor) NeedsGrad() bool { return t.Grad != nil }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float64 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("engine: Item of a tensor with shape %v", t.Shape()))
	}
	return t.Data[0]
}

func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape())
	if t.Grad != nil {
		b.WriteString("(grad)")
	}
	return b.String()
}

// shape is a small fixed-size shape value, so that ops build shapes without
// allocating.
type shape struct {
	d [MaxDims]int
	n int
}

func sh0() shape            { return shape{} }
func sh1(a int) shape       { return shape{d: [MaxDims]int{a}, n: 1} }
func sh2(a, b int) shape    { return shape{d: [MaxDims]int{a, b}, n: 2} }
func sh3(a, b, c int) shape { return shape{d: [MaxDims]int{a, b, c}, n: 3} }
func shOf(t *Tensor) shape  { return shape{d: t.dims, n: t.nd} }
func (s shape) size() int {
	p := 1
	for i := 0; i < s.n; i++ {
		p *= s.d[i]
	}
	return p
}

// withLast returns s with its last axis replaced by c (a 1-axis shape [c]
// for a scalar).
func (s shape) withLast(c int) shape {
	if s.n == 0 {
		return sh1(c)
	}
	s.d[s.n-1] = c
	return s
}

func shapeFromInts(dims []int) shape {
	if len(dims) > MaxDims {
		panic(fmt.Sprintf("engine: shape %v has more than %d axes", clone(dims), MaxDims))
	}
	var s shape
	s.n = len(dims)
	for i, d := range dims {
		if d < 0 {
			panic(fmt.Sprintf("engine: negative axis size in shape %v", clone(dims)))
		}
		s.d[i] = d
	}
	return s
}

// arena hands out slices from large reusable chunks. reset makes all memory
// available again and keeps the chunks (chunk sizes double, so they hold
// about as much as one merged chunk would): a steady workload, which asks
// for the same sizes in the same order on every pass, reuses them without
// allocating, and growing costs no fresh merged allocation (which the
// runtime would zero). Each chunk remembers how far it has ever been handed
// out:
// memory beyond that mark is still zero from make, so zeroed requests clear
// only the part that was used before.
type arena[T any] struct {
	chunks [][]T
	used   []int // used[i]: chunks[i][used[i]:] has never been handed out
	cur    int
	off    int
}

const minChunk = 1 << 14

// alloc returns n elements; with zero set they are all zero, otherwise
// their contents are undefined.
func (a *arena[T]) alloc(n int, zero bool) []T {
	for a.cur < len(a.chunks) {
		c := a.chunks[a.cur]
		if a.off+n <= len(c) {
			s := c[a.off : a.off+n : a.off+n]
			if u := a.used[a.cur]; a.off < u {
				if zero {
					clear(s[:min(n, u-a.off)])
				}
				a.used[a.cur] = max(u, a.off+n)
			} else {
				a.used[a.cur] = a.off + n
			}
			a.off += n
			return s
		}
		a.cur++
		a.off = 0
	}
	size := max(n, minChunk, a.capacity())
	c := make([]T, size)
	a.chunks = append(a.chunks, c)
	a.used = append(a.used, n)
	a.cur = len(a.chunks) - 1
	a.off = n
	return c[:n:n]
}

func (a *arena[T]) capacity() int {
	s := 0
	for _, c := range a.chunks {
		s += len(c)
	}
	return s
}

func (a *arena[T]) reset() { a.cur, a.off = 0, 0 }

// pool hands out *Tensor values from reusable chunks.
type pool struct {
	chunks [][]Tensor
	cur    int
	off    int
}

const poolChunk = 512

func (p *pool) get() *Tensor {
	if p.cur < len(p.chunks) && p.off == len(p.chunks[p.cur]) {
		p.cur++
		p.off = 0
	}
	if p.cur == len(p.chunks) {
		p.chunks = append(p.chunks, make([]Tensor, poolChunk))
	}
	t := &p.chunks[p.cur][p.off]
	p.off++
	*t = Tensor{}
	return t
}

func (p *pool) reset() { p.cur, p.off = 0, 0 }

// clone copies dims for an error message, so that the caller's (variadic)
// slice does not escape to the heap.
func clone(dims []int) []int { return append([]int(nil), dims...) }
