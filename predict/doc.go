// Package predict turns any intensity model into next-event predictions by
// quadrature rather than sampling: for the history before an event it gives
// the mean and median waiting time, the mark probabilities, the most probable
// marks, exact samples of the next event, EasyTPP's single-draw predictor,
// and time-rescaled gaps for calibration checks.
//
// A model provides, per prefix, a Next: the marked intensities λ_k(t_last+dt)
// (and, optionally, their integral in closed form), or, for mark-first
// models, a Density (waiting-time density, survival, mark probabilities)
// wrapped by FromDensity. Analyze computes
//
//	E[Δt] = ∫_0^∞ S(t) dt,  S(t) = exp(-Λ(t)),  Λ(t) = ∫_0^t Σ_k λ_k,
//	median: Λ(t) = ln 2,    P(k) = ∫_0^∞ λ_k(t) S(t) dt,
//
// with adaptive Gauss-Kronrod (G7/K15) panels walked outwards with doubling
// widths until the survival is negligible, reporting defective laws (an
// intensity that dies out) instead of hiding them. Sample and Draw invert the
// compensator exactly (E ~ Exp(1), Λ(dt) = E by Brent's method). Sequence,
// Dataset and Summarize produce and aggregate per-event prediction rows for
// any Model.
//
// The quadrature is hand-written: gonum's integrate/quad offers fixed rules
// without an embedded error estimate, and the walk needs the compensator at
// every node of a panel from the same intensity evaluations (obtained here by
// integrating the Kronrod interpolant), which no library routine provides.
package predict
