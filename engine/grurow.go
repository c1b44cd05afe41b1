package engine

// The element loop of the GRU cell's backward pass (backwardGRUCell), one
// batch row of H units. With r, u, n the reset gate, update gate and
// candidate (act = [r | u | n]), p the recurrent pre-activations
// (hp = h·W_h + b_h, [· | · | p_n]), g the gradient of h' = (1−u)⊙n + u⊙h:
//
//	dz_n = g⊙(1−u)⊙(1−n²), dz_r = dz_n⊙p_n⊙r⊙(1−r), dz_u = g⊙(h−n)⊙u⊙(1−u)
//
// it writes [dz_r | dz_u | dz_n⊙r] into gp (the gradient of hp), adds
// [dz_r | dz_u | dz_n] into gx (the gradient of the input pre-activations;
// nil: none) and g⊙u into gh (the gradient of h; nil: none). On amd64 with
// AVX2 an assembly kernel (grurow_amd64.s) does four units per
// instruction with the Go loop's operations in its order (no fused
// multiply-adds), so both give the same bits.
func gruBackRow(g, act, p, h, gp, gx, gh []float64) {
	H := len(g)
	act, p, h, gp = act[:3*H], p[:3*H], h[:H], gp[:3*H]
	if gx != nil {
		gx = gx[:3*H]
	}
	if gh != nil {
		gh = gh[:H]
	}
	j := 0
	if gruAsm && H >= 4 && H%4 == 0 {
		var px, ph *float64
		if gx != nil {
			px = &gx[0]
		}
		if gh != nil {
			ph = &gh[0]
		}
		gruBackRowAVX2(&g[0], &act[0], &p[0], &h[0], &gp[0], px, ph, H)
		return
	}
	for ; j < H; j++ {
		r, u, nn := act[j], act[H+j], act[2*H+j]
		gv := g[j]
		dn := gv * (1 - u)
		du := gv * (h[j] - nn)
		if gh != nil {
			gh[j] += gv * u
		}
		dzn := dn * (1 - nn*nn)
		dzr := dzn * p[2*H+j] * r * (1 - r)
		dzu := du * u * (1 - u)
		gp[j], gp[H+j], gp[2*H+j] = dzr, dzu, dzn*r
		if gx != nil {
			gx[j] += dzr
			gx[H+j] += dzu
			gx[2*H+j] += dzn
		}
	}
}
