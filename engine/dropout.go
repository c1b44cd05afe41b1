package engine

import (
	"fmt"
	"math/rand/v2"
)

// SetRand gives the tape the random source of Dropout (nil: none, and
// Dropout is the identity). Workers.Run sets one on every training tape;
// evaluation tapes (Workers.Eval, SetNoGrad(true)) never drop.
func (t *Tape) SetRand(r *rand.Rand) { t.rng = r }

// Dropout is inverted dropout (Srivastava et al. 2014): while the tape
// records gradients and has a random source, each entry of x is kept with
// probability 1−p and scaled by 1/(1−p), or zeroed; the mask is a constant
// of the tape, so the gradient flows through the kept entries only. In
// evaluation (no recording, no random source) or for p = 0 it returns x
// itself. It is Mul by a constant mask, so it needs no backward of its own.
func (t *Tape) Dropout(x *Tensor, p float64) *Tensor {
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("engine: dropout rate %v outside [0, 1)", p))
	}
	if p == 0 || t.noGrad || t.rng == nil {
		return x
	}
	mask := t.floatsRaw(len(x.Data))
	keep := 1 / (1 - p)
	for i := range mask {
		if t.rng.Float64() < p {
			mask[i] = 0
		} else {
			mask[i] = keep
		}
	}
	return t.Mul(x, t.Const(mask, x.Shape()...))
}
