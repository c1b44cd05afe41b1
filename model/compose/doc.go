// Package compose holds the building blocks of gotpp's recurrent neural
// point-process models and the glue that turns an encoder and a decoder
// into a trainable model. FullyNN (model/fullynn) and IntensityFree
// (model/intensityfree) are assembled from these blocks; other
// combinations (for example a GRU encoder with a mark-conditioned
// log-normal mixture, see examples/compose_gru_lognormal) need no new code.
//
// # Blocks
//
//   - LogGapStats: the standardisation of inter-event gaps on the log
//     scale, (log max(τ, floor) − mean)/std, fitted on the training data
//     (FitLogGaps, Model.FitData) and stored with the model. Ties (τ = 0)
//     are raised to a floor of TieFloor·exp(mean) and counted.
//   - TypeEmbedding: one learned vector per event type.
//   - Encoder: RNN, GRU or LSTM layers (the engine's fused cells) over
//     [type embedding ‖ time features of Δt]. The first layer's input
//     projection is never built as that concatenation: the embedding table
//     times the embedding rows of W_x (a K×E by E×G·H MatMul) is looked up
//     per event and the time features' part added (engine.EmbedProject).
//     A GRU layer runs as one engine.GRUSeq node; RNN and LSTM layers step
//     RNNCell or LSTMCell and join the states with ConcatRows. The saved
//     parameters are the same either way. It yields one history state
//     per interval: s_0 (learned initial state) for the interval from the
//     window start to the first event, s_p after events 0..p−1. The same
//     cells are also written as a plain-Go step function (Encoder.Step) for
//     prediction, and the tests check the two against each other.
//   - Decoders (interface Decoder): CumHazardDecoder (FullyNN's monotone
//     cumulative-hazard network, exact compensator; its engine op
//     CumHazard carries the forward-mode derivative ∂Φ/∂τ and a hand-written
//     backward pass through it), LogNormMixDecoder (a MarkHead plus a
//     log-normal mixture density of the gap, optionally conditioned on the
//     mark; exact likelihood through the LogNormMix op), and SoftplusDecoder
//     (a softplus intensity head with Gauss–Legendre compensator, through
//     the engine's fused SoftplusIntensityLL). MarkHead is the softmax over
//     the K types.
//
// # Model
//
// New(name, Config, K, seed) builds a Model: it implements train.Model
// (Params, LossAndGrad, DatasetLogLik, Save), likelihood.DatasetScorer and
// predict.Model (NextAfter). A batch is scored as: encode the padded
// time-major batch once, gather the states of the scored intervals
// (NewIntervals: every event, the first interval and the survival tail
// under likelihood.Full; intervals 1..n−1 under likelihood.EasyTPP), and
// hand them to the decoder. Padded positions are never gathered, so they
// cannot contribute. NextAfter steps the encoder over the history in plain
// Go (continuing from a small cache of recent prefixes, keyed by content
// and by a fingerprint of the parameters) and asks the decoder for the law
// of the next event.
//
// Save writes the configuration, the log-gap statistics and the parameters
// to RUNDIR/<name>.json (atomically); Load reads them back. The generic
// composed model is registered as "compose" (model.Register), with its
// blocks chosen through model_specs (ApplyHyper).
//
// # Why hand-written pieces
//
// The forward-mode derivative of the cumulative-hazard network and its
// backward pass are written out because the engine is reverse-mode only;
// the standard normal's log-CDF is written out because gonum offers the CDF
// but not its logarithm, which a survival term needs far in the tail.
package compose
