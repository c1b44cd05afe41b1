package engine

// Inner loops of the continuous-time LSTM's backward pass (backwardCT),
// one time point of one batch row: ḡ is the gradient of the output at that
// point, e = exp(−δ·Δt), cd = (c − c̄)⊙δ, and the row's sums sw = Σ ḡ_c⊙e,
// sg = Σ ḡ_c and sd = Σ Δt·ḡ_c⊙e are accumulated in place (ḡ_c the gradient
// of c(t)). The return value is Σ_j (ḡ_c⊙e)_j·cd_j, the gradient of Δt up
// to sign. On amd64 with AVX2+FMA an assembly kernel does four elements
// per instruction (ctback_amd64.s); it rounds differently from the Go loop
// (fused multiply-adds, four partial sums), so the two agree to rounding,
// not bit for bit, and a machine always takes the same path.

// ctBackHidden is the loop for h(t) = o⊙tanh(c(t)): gv is the gradient of
// h(t), th = tanh(c(t)), or = o; it also adds gv⊙th into og (the gradient
// of o; a scratch vector when o needs none) and uses ḡ_c = gv⊙o⊙(1 − th²).
func ctBackHidden(gv, th, e, or, cd, og, sw, sg, sd []float64, s float64) float64 {
	n := len(gv)
	th, e, or, cd, og, sw, sg, sd = th[:n], e[:n], or[:n], cd[:n], og[:n], sw[:n], sg[:n], sd[:n]
	acc, j := 0.0, 0
	if ctAsm && n >= 4 {
		j = n &^ 3
		acc = ctBackHiddenAVX2(&gv[0], &th[0], &e[0], &or[0], &cd[0], &og[0], &sw[0], &sg[0], &sd[0], j, s)
	}
	for ; j < n; j++ {
		g, t := gv[j], th[j]
		og[j] += g * t
		gc := g * or[j] * (1 - t*t)
		w := gc * e[j]
		sw[j] += w
		sg[j] += gc
		sd[j] += w * s
		acc += w * cd[j]
	}
	return acc
}

// ctBackDecay is the loop for c(t) itself (ḡ_c = gv).
func ctBackDecay(gv, e, cd, sw, sg, sd []float64, s float64) float64 {
	n := len(gv)
	e, cd, sw, sg, sd = e[:n], cd[:n], sw[:n], sg[:n], sd[:n]
	acc, j := 0.0, 0
	if ctAsm && n >= 4 {
		j = n &^ 3
		acc = ctBackDecayAVX2(&gv[0], &e[0], &cd[0], &sw[0], &sg[0], &sd[0], j, s)
	}
	for ; j < n; j++ {
		g := gv[j]
		w := g * e[j]
		sw[j] += w
		sg[j] += g
		sd[j] += w * s
		acc += w * cd[j]
	}
	return acc
}
