package s2p2

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/engine"
)

// TestGeluFast: the GELU of the prediction path agrees with x·Φ(x) through
// math.Erfc: to rounding on a dense grid across the table, at the piece
// boundaries and at random points; exactly above the table; to 1e-7
// relative (of values below 1e-22) below it.
func TestGeluFast(t *testing.T) {
	check := func(x float64) {
		t.Helper()
		got, want := geluFast(x), geluScalar(x)
		var ok bool
		switch {
		case x >= geluHi:
			ok = got == want
		case x <= geluLo:
			ok = math.Abs(got-want) <= 1e-7*math.Abs(want) && math.Abs(got) < 1e-22
		default:
			ok = math.Abs(got-want) <= 8e-16*math.Max(1, math.Abs(x))
		}
		if !ok {
			t.Fatalf("geluFast(%v) = %.17g, x·Φ(x) = %.17g", x, got, want)
		}
	}
	for x := -12.0; x <= 12; x += 1.0 / 4096 {
		check(x)
	}
	for i := 0; i <= geluPieces; i++ {
		b := geluLo + float64(i)/geluScale
		check(b)
		check(math.Nextafter(b, math.Inf(-1)))
		check(math.Nextafter(b, math.Inf(1)))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		check(rng.NormFloat64() * 5)
	}
	for _, x := range []float64{0, -30, -38, -40, -1e300, 30, 1e300, math.Inf(1)} {
		check(x)
	}
	if v := geluFast(math.Inf(-1)); v != 0 {
		t.Fatalf("geluFast(−Inf) = %v", v)
	}
	if v := geluFast(math.NaN()); !math.IsNaN(v) {
		t.Fatalf("geluFast(NaN) = %v", v)
	}
}

// scalarIntensities is the plain evaluation of λ_k(t_last + dt) from an
// encoded history s: the layer maps evolveScalar and mixScalar with exact
// GELU, the affine maps as scalar loops, and β_k recomputed per call.
func scalarIntensities(m *Model, s state, dt float64, out []float64) {
	H, P := m.cfg.HiddenSize, m.cfg.StateSize
	var u []float64
	v, x := make([]float64, 2*P), make([]float64, 2*P)
	for l := range m.layers {
		ly := &m.layers[l]
		seg := s[l*3*P : (l+1)*3*P]
		var vv []float64
		if u != nil {
			affine(ly.b.Value, nil, u, v, 2*P)
			vv = v
		}
		m.evolveScalar(ly, seg[:2*P], seg[2*P:], vv, dt, x)
		nu := make([]float64, H)
		m.mixScalar(ly, x, u, nu)
		u = nu
	}
	affine(m.wout.Value, m.bout.Value, u, out, m.k)
	for k, z := range out {
		beta := math.Exp(m.logBeta.Value[k])
		out[k] = engine.Softplus(beta*z) / beta
	}
}

// TestIntensitiesMatchScalar: NextAfter's evaluation (precomputed rates,
// BLAS products, tabulated GELU) gives the scalar layer maps' intensities
// to rounding, at many offsets, for every prefix of random sequences and
// for a wide parameter scale (pre-activations beyond the GELU table).
func TestIntensitiesMatchScalar(t *testing.T) {
	for _, a := range []float64{0.7, 3} {
		m := newTest(t, Config{HiddenSize: 7, StateSize: 3, Layers: 3}, 4)
		randomise(m, 21, a)
		seqs := randomSeqs(22, 3, 10, 4)
		got, want := make([]float64, 4), make([]float64, 4)
		for si := range seqs {
			seq := &seqs[si]
			for i := 0; i <= len(seq.Times); i++ {
				nx := m.NextAfter(seq, i)
				st := nx.(*next).s
				for _, dt := range []float64{0, 1e-9, 0.013, 0.3, 0.31, 1.7, 4, 25} {
					nx.Intensities(dt, got)
					scalarIntensities(m, st, dt, want)
					for k := range got {
						if !relClose(got[k], want[k], 1e-12) {
							t.Fatalf("scale %v, seq %d, event %d, dt=%v: %v, scalar %v", a, si, i, dt, got, want)
						}
					}
				}
			}
		}
	}
}

// TestGeluSlice: geluSlice, the loop IntensitiesAt runs over whole blocks,
// gives geluFast's values bit for bit: across and beyond the table, at the
// piece boundaries, at random points and at the special values.
func TestGeluSlice(t *testing.T) {
	var xs []float64
	for x := -12.0; x <= 12; x += 1.0 / 1024 {
		xs = append(xs, x)
	}
	for i := 0; i <= geluPieces; i++ {
		b := geluLo + float64(i)/geluScale
		xs = append(xs, b, math.Nextafter(b, math.Inf(-1)), math.Nextafter(b, math.Inf(1)))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		xs = append(xs, rng.NormFloat64()*5)
	}
	xs = append(xs, 0, -30, -40, -1e300, 30, 1e300, math.Inf(1), math.Inf(-1), math.NaN())
	got := append([]float64(nil), xs...)
	geluSlice(got)
	for i, x := range xs {
		want := geluFast(x)
		if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
			t.Fatalf("geluSlice at %v: %v, geluFast %v", x, got[i], want)
		}
	}
}
