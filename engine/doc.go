// Package engine is gotpp's reverse-mode differentiation engine: dense
// row-major float64 tensors, a tape that records operations for Backward,
// fused kernels for the hot loops of neural temporal point processes, a
// finite-difference gradient checker, Adam with gradient clipping, seeded
// initialisers, Gauss–Legendre nodes and a data-parallel helper.
//
// # Why a hand-written engine
//
// The choice was measured (shared/notes/engine-choice.md; 2-core machine,
// one training step = forward + backward + Adam). On NHP (continuous-time
// LSTM, B64 L64, 2 threads) a plain Go tape over float64 with gonum BLAS took
// 296 ms and 157 MB against 397 ms / 587 MB for PyTorch 1.13, 516 ms / 366 MB
// for GoMLX v0.28's pure-Go backend and 4760 ms for GoMLX v0.26 simplego; on
// RMTPP (B64 L64, 2 threads) 25 ms against 57 ms for GoMLX. GoMLX's XLA
// backend needs a plugin binary that cannot be installed from the package
// registries, and its Go backend recompiles for every batch shape.
// Gorgonia is unmaintained (last release 2021), used 8× the memory
// (1330 MB on NHP) and produced wrong recurrent gradients. A small tape is
// level with PyTorch on these shapes, better on long sequences, exact
// enough in float64 for gradient checks, and has no dependency beyond gonum.
//
// # Tensors and the tape
//
// A Tensor is Data (row-major values), Grad (nil for constants) and a shape
// of up to MaxDims axes. Most ops see a tensor as a matrix [Rows, Cols]
// whose columns are the last axis. A Tape hands out tensors from an arena
// that Reset recycles, so a training loop that resets once per batch
// allocates nothing in steady state. Parameters (*params.Param) enter as
// leaves through Tape.Param, which shares their Value and accumulates into
// their Grad; Tape.Const wraps data without copying. Tape.Backward(loss)
// runs the recorded ops in reverse. SetNoGrad(true) turns a tape into a
// plain evaluator (no recording, no gradient memory).
//
// # Op set
//
//   - elementwise: Add, Sub, Mul, Div (the smaller operand broadcasts as a
//     row of the last axis, a column [..., 1] or a scalar), Scale,
//     AddScalar, Neg, Exp, Log, Tanh, Sigmoid, Softplus (stable, exact
//     gradient everywhere, no clamping), ReLU, Square;
//   - last axis: LogSoftmax, Softmax, LayerNorm, AddLayerNorm (of a
//     residual sum, fused), SumLast, Concat, SliceLast;
//   - indexing and shape: Gather (embedding lookup), Pick (one column per
//     row), ConcatRows, Rows and Reshape (free views), Transpose01;
//   - products: MatMul (with transposes, through gonum blas64 Gemm),
//     BatchMatMul, Linear, LinearReLU (max(0, x·W + b) as one op: no
//     separate pre-activation tensor or ReLU pass);
//   - reductions: Sum, WeightedSum (masked sums);
//   - fused, each with a hand-written backward pass: RNNCell, LSTMCell and
//     GRUCell steps, GRUSeq (a whole GRU layer, all steps in one node,
//     writing the states into one [(L+1)·B, H] tensor; the recurrent
//     weight's gradient is one product over all steps), EmbedProject (the
//     input projection [emb(k) ‖ features]·Wx + b of a recurrent layer as
//     a per-type table emb·Wx[:E], looked up per row, plus
//     features·Wx[E:] + b, in one pass each way), CTDecay and CTHidden (the continuous-time LSTM decay at
//     many time points at once), PickLogSoftmax (log-probability of one class
//     per row, the mark term) and SoftplusIntensityLL (softplus intensity
//     head, log at the events and integral at quadrature nodes, skipping
//     padded rows).
//
// Every op has a finite-difference test, and every fused op is also
// written as a composition of primitives (Composite) that the tests compare
// with the fused kernel, values and gradients.
//
// # Matrix products
//
// MatMul, Linear, BatchMatMul and the fused ops multiply through gonum's
// blas64 (blas64.Use swaps the implementation). On CPUs with AVX2 and FMA
// the engine registers gonum's implementation with the Dgemm of
// internal/gemm (a serial register-blocked AVX2+FMA kernel, ~6× gonum's
// serial Dgemm on these shapes; BLAS reports "gonum+gemm"), so model code
// calling blas64.Implementation().Dgemm directly gets it too. Elsewhere it
// registers a wrapper whose Dgemm runs gonum's parallel blocks one after
// the other on the calling goroutine (bit-identical to gonum's, no
// goroutines), and large products are cut into tiles small enough that
// gonum does not start goroutines of its own: parallelism is Workers' job.
// Matrix-vector shapes go to Dgemv. A recurrent cell's weights, multiplied
// at every step, are packed for the kernel once per tape (StepMatMul,
// StepMatMulT: repacking them at every step cost a tenth of a small
// product; StepMatMulAdd merges the cell's input projection or bias into
// the product instead of copying it into the output first). A Linear's
// bias is merged into the product's first store (internal/gemm's
// DgemmBias) instead of being copied into every output row first. Elementwise exp, tanh, sigmoid and softplus over whole rows go
// through internal/vecmath (AVX2 kernels, pure Go elsewhere); the
// continuous-time LSTM's backward sums, LayerNorm's row passes and the GRU
// cell's backward element loop through small AVX2 kernels of their own
// (ctback_amd64.s, lnrow_amd64.s, grurow_amd64.s: several vector streams
// per element, which Go's compiler leaves scalar; Go loops elsewhere,
// bit-identical to the kernels for LayerNorm and the GRU). Building
// with the tag openblas (cgo and the system's libopenblas, e.g. Debian's
// libopenblas-dev) sends the engine's products to OpenBLAS instead,
// single-threaded; BLAS reports which is in use. Default builds and tests
// need nothing but Go.
//
// # Writing models
//
// Models are written against the Ops interface, which *Tape implements;
// wrapping a tape in Composite runs the same model with the fused ops
// decomposed, which is how a model's own tests can check the fused path. A
// recurrent model keeps its time loop an ordinary Go loop over time-major
// [L·B, ·] tensors: project all inputs with one Linear, take each step with
// Rows, and stack the per-step states with ConcatRows before the output
// heads (a GRU layer can instead be one GRUSeq, which returns the stack). For data parallelism, Workers splits a batch into contiguous
// chunks run on their own tapes and sums their gradients in a fixed order,
// so results are deterministic for a fixed number of workers.
//
// # Adding an op
//
// An op outside this package computes its forward values into tensors made
// with Tape.New, then calls Tape.Record with a CustomOp (a value with a
// Backward(*Tape, *Node) method, ideally a zero-size struct so that
// recording allocates nothing) and a Node listing outputs, inputs and any
// data the backward pass needs (Ints, Floats, Cache from Tape.Floats).
// Backward reads the outputs' Grad and adds into the inputs' Grad, skipping
// inputs whose Grad is nil. Test it with CheckGradients. A new built-in op
// adds an opKind, a Tape method, a case in backwardBuiltin, a method in Ops
// (and Composite, if fused) and an entry in the op tests.
package engine
