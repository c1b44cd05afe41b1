// Package attention holds the building blocks shared by gotpp's
// attention-based point-process models (model/thp, model/sahp,
// model/attnhp), written on gotpp's engine:
//
//   - Attend, a fused multi-head scaled dot-product attention whose key set
//     is given per query row (Spans): causal self-attention over a padded
//     time-major batch, or queries at arbitrary times attending the events
//     before them plus an optional key of their own, all in one pass;
//   - Linear, MHA (multi-head attention with input and output projections),
//     FFN (position-wise feed-forward), LayerNorm and Block (attention +
//     feed-forward with residual connections and post-layer-norm, as in the
//     Transformer and the Transformer Hawkes process);
//   - Sinusoid (fixed sinusoidal encodings of time) and SinCos (a
//     differentiable sin/cos of a learned phase, for SAHP's time-shifted
//     positional encoding);
//   - IntervalLL, a fused op for intensities of the form
//     softplus_β(A + B·s) (THP) or softplus_β(A + B·exp(−C·s)) (SAHP) on
//     the gaps between events: the log-intensity at the events and the
//     compensator, skipping padded rows. For the linear form the
//     compensator is exact: ∫softplus(x0 + c·s)ds has the closed form
//     (F(x0 + cΔ) − F(x0))/c with F(x) = −Li2(−eˣ) (SoftplusIntegral,
//     SoftplusAntiderivative; the dilogarithm is summed from its Bernoulli
//     series because Go's standard library and gonum have none). For the
//     decaying form Gauss–Legendre is applied after the substitution
//     u = exp(−C·s) (DecayIntegral), which integrates the asymptote exactly
//     and resolves fast decays;
//   - Intervals (the per-interval layout of a padded batch under a
//     likelihood convention), Runner (worker goroutines, batch and data-set
//     scoring around a model's forward pass) and the JSON model files
//     (SaveModel, LoadModel).
//
// # Why fused ops
//
// The engine's primitives see tensors as matrices and broadcast only rows,
// columns or scalars. Attention over variable-length histories in a
// time-major batch (and, for AttNHP, from many query times per gap) would
// need per-sequence transposes, padding masks and an L×L score matrix per
// sequence and head. Attend instead groups the query rows that share a
// key sequence (a batch column) into chunks, runs their scores and
// weighted sums as strided BLAS products (gonum) restricted to the keys
// the chunk can see, keeps the attention probabilities for its
// hand-written backward pass and never touches a padded key. IntervalLL
// likewise evaluates the intensity and its compensator per gap without
// materialising a [rows·nodes, K] tensor. Both are checked against plain
// scalar implementations, quadrature and finite differences in the
// package tests.
//
// Sub-package modeltest holds the checks shared by the three models'
// tests.
package attention
