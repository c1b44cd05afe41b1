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

// gruBackRows is gruBackRow for B consecutive rows of H units (g, h, gh:
// [B, H]; act, p, gp, gx: [B, 3H]; gx and gh may be nil): with AVX-512
// and H a multiple of 8 one kernel call does every row (eight units per
// instruction, the same operations, so the same bits), else row by row.
func gruBackRows(B, H int, g, act, p, h, gp, gx, gh []float64) {
	if B == 0 || H == 0 {
		return
	}
	if gruAsm && gru512 && H%8 == 0 {
		g, act, p, h, gp = g[:B*H], act[:3*B*H], p[:3*B*H], h[:B*H], gp[:3*B*H]
		var px, ph *float64
		if gx != nil {
			px = &gx[:3*B*H][0]
		}
		if gh != nil {
			ph = &gh[:B*H][0]
		}
		gruBackRowsAVX512(&g[0], &act[0], &p[0], &h[0], &gp[0], px, ph, H, B)
		return
	}
	for b := 0; b < B; b++ {
		var gxb, ghb []float64
		if gx != nil {
			gxb = gx[b*3*H : (b+1)*3*H]
		}
		if gh != nil {
			ghb = gh[b*H : (b+1)*H]
		}
		gruBackRow(g[b*H:(b+1)*H], act[b*3*H:(b+1)*3*H], p[b*3*H:(b+1)*3*H], h[b*H:(b+1)*H], gp[b*3*H:(b+1)*3*H], gxb, ghb)
	}
}
