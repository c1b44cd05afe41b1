package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kernelPair is one AVX2 kernel and its AVX-512 counterpart, both with the
// one-output signature (SoftplusSigmoid is split into its two outputs).
type kernelPair struct {
	name         string
	avx2, avx512 func(dst, x []float64)
}

func spsgOut(k func(sp, sg, x []float64), second bool) func(dst, x []float64) {
	return func(dst, x []float64) {
		// Only dst is watched for writes past len(x); the other output
		// is watched by the twin entry and TestSoftplusSigmoidPastEnd.
		other := make([]float64, len(dst))
		if second {
			k(other[:len(x)], dst, x)
		} else {
			k(dst, other[:len(x)], x)
		}
	}
}

var kernelPairs = []kernelPair{
	{"Exp", expAVX2, expAVX512},
	{"Softplus", softplusAVX2, softplusAVX512},
	{"Sigmoid", sigmoidAVX2, sigmoidAVX512},
	{"Tanh", tanhAVX2, tanhAVX512},
	{"SoftplusSigmoid.sp", spsgOut(softplusSigmoidAVX2, false), spsgOut(softplusSigmoidAVX512, false)},
	{"SoftplusSigmoid.sg", spsgOut(softplusSigmoidAVX2, true), spsgOut(softplusSigmoidAVX512, true)},
}

// bitSpecials are inputs whose exact result bits are easy to get wrong:
// signed zeros, infinities, NaNs with either sign and several payloads,
// subnormals and the normal/subnormal boundary, and the neighbours of
// every threshold in the kernels (clamps, overflow, underflow, the
// z > 1/2 switch in softplus, tanh saturation).
func bitSpecials() []float64 {
	xs := append([]float64(nil), specials...)
	nan := func(b uint64) float64 { return math.Float64frombits(b) }
	xs = append(xs,
		nan(0x7ff8000000000000), nan(0xfff8000000000000), nan(0x7ff0000000000001),
		nan(0xfff0000000000001), nan(0x7ff8dead0000beef), nan(0xfffc000000000123),
		nan(0x7fffffffffffffff), nan(0xffffffffffffffff),
		math.Float64frombits(1), math.Float64frombits(0x800fffffffffffff),
		math.Float64frombits(0x000fffffffffffff), 0x1p-1022, -0x1p-1022, 0x1p-1074, -0x1p-1074,
		0x1p-53, -0x1p-53, 0x1p-27, -0x1p-27, 0.5, -0.5, 2, -2,
	)
	for _, c := range []float64{
		expLo, expHi, tanhLo / 2, -tanhLo / 2, 709.782712893384, -745.1332191019411,
		-708.3964185322641, 1024 * math.Ln2, -1022 * math.Ln2, -1074 * math.Ln2,
		math.Ln2, -math.Ln2, math.Ln2 / 2, -math.Ln2 / 2, 19.06, -19.06, 36.7368005696771,
	} {
		v := c
		for i := 0; i < 4; i++ { // a few ulps either side
			xs = append(xs, v)
			v = math.Nextafter(v, math.Inf(1))
		}
		v = c
		for i := 0; i < 4; i++ {
			v = math.Nextafter(v, math.Inf(-1))
			xs = append(xs, v)
		}
	}
	return xs
}

// bitInputs returns bitSpecials, the accuracy-test points (uniform on
// [-800, 800], log-uniform near 0, dense around transitions) and random
// bit patterns (every exponent, sign and NaN payload with equal weight).
func bitInputs() []float64 {
	rng := rand.New(rand.NewPCG(11, 12))
	xs := append(bitSpecials(), inputs()...)
	for i := 0; i < 200000; i++ {
		xs = append(xs, math.Float64frombits(rng.Uint64()))
	}
	for i := 0; i < 50000; i++ { // random magnitudes from subnormal to 1e3
		v := math.Pow(2, -1074+1084*rng.Float64())
		if i%2 == 1 {
			v = -v
		}
		xs = append(xs, v)
	}
	return xs
}

// sameBits reports whether a and b are the same float64 bit pattern (NaN
// payloads and signs included).
func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// TestAVX512BitIdentical checks that every AVX-512 kernel returns exactly
// the bits of its AVX2 counterpart, over all of bitInputs in one call
// (main loop) and each element of bitSpecials alone (masked tail).
func TestAVX512BitIdentical(t *testing.T) {
	if !has512 {
		t.Skip("AVX-512 kernels not available on this CPU/arch")
	}
	xs := bitInputs()
	for _, k := range kernelPairs {
		t.Run(k.name, func(t *testing.T) {
			want, got := make([]float64, len(xs)), make([]float64, len(xs))
			k.avx2(want, xs)
			k.avx512(got, xs)
			fails := 0
			for i, x := range xs {
				if !sameBits(got[i], want[i]) {
					if fails++; fails <= 10 {
						t.Errorf("%s(%v = %#016x): AVX-512 %v (%#016x), AVX2 %v (%#016x)", k.name,
							x, math.Float64bits(x), got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
					}
				}
			}
			if fails > 0 {
				t.Errorf("%d of %d results differ", fails, len(xs))
			}
			for _, x := range bitSpecials() {
				g, w := []float64{0}, []float64{0}
				k.avx2(w, []float64{x})
				k.avx512(g, []float64{x})
				if !sameBits(g[0], w[0]) {
					t.Errorf("%s(%#016x) alone: AVX-512 %#016x, AVX2 %#016x", k.name,
						math.Float64bits(x), math.Float64bits(g[0]), math.Float64bits(w[0]))
				}
			}
		})
	}
}

// TestAVX512Lengths runs both assembly kernels on every length 0..40 and a
// few large ones (all residues mod 16), at every start offset mod 8, with
// inputs mixing special values and random ones: the results must be
// bit-identical and nothing past len(x) may be written.
func TestAVX512Lengths(t *testing.T) {
	if !has512 {
		t.Skip("AVX-512 kernels not available on this CPU/arch")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	sp := bitSpecials()
	var lengths []int
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 63, 64, 65, 1000, 4096, 4097, 4103, 4111)
	const pad, sentinel = 20, -12345.5
	for _, k := range kernelPairs {
		for _, n := range lengths {
			for off := 0; off < 8; off++ {
				if n > 100 && off%3 != 0 {
					continue
				}
				buf := make([]float64, off+n)
				x := buf[off:]
				for i := range x {
					switch rng.IntN(3) {
					case 0:
						x[i] = sp[rng.IntN(len(sp))]
					case 1:
						x[i] = 1600 * (rng.Float64() - 0.5)
					default:
						x[i] = math.Float64frombits(rng.Uint64())
					}
				}
				var dst [2][]float64
				for j := range dst {
					dst[j] = make([]float64, off+n+pad)[off:]
					for i := range dst[j] {
						dst[j][i] = sentinel
					}
				}
				k.avx2(dst[0], x)
				k.avx512(dst[1], x)
				for i := 0; i < n; i++ {
					if !sameBits(dst[1][i], dst[0][i]) {
						t.Fatalf("%s n=%d off=%d: element %d (x=%#016x): AVX-512 %#016x, AVX2 %#016x", k.name, n, off, i,
							math.Float64bits(x[i]), math.Float64bits(dst[1][i]), math.Float64bits(dst[0][i]))
					}
				}
				for j, name := range []string{"AVX2", "AVX-512"} {
					for i := n; i < len(dst[j]); i++ {
						if dst[j][i] != sentinel {
							t.Fatalf("%s n=%d off=%d: %s kernel wrote past len(x) at %d", k.name, n, off, name, i)
						}
					}
				}
				// In place (dst is x): same bits as out of place.
				y := append([]float64(nil), x...)
				k.avx512(y, y)
				for i := range y {
					if !sameBits(y[i], dst[1][i]) {
						t.Fatalf("%s n=%d off=%d: in-place AVX-512 result differs at %d", k.name, n, off, i)
					}
				}
			}
		}
	}
}

// TestSoftplusSigmoidPastEnd checks that the fused kernel writes neither
// output past len(x) on any path (kernelPairs only watches one output at
// a time).
func TestSoftplusSigmoidPastEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const pad, sentinel = 20, -6789.25
	modes(t, func(t *testing.T) {
		for n := 0; n <= 40; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = 40 * (rng.Float64() - 0.5)
			}
			sp, sg := make([]float64, n+pad), make([]float64, n+pad)
			for i := range sp {
				sp[i], sg[i] = sentinel, sentinel
			}
			SoftplusSigmoid(sp, sg, x)
			for i := n; i < n+pad; i++ {
				if sp[i] != sentinel || sg[i] != sentinel {
					t.Fatalf("n=%d: wrote past len(x) at %d (sp %v, sg %v)", n, i, sp[i], sg[i])
				}
			}
		}
	})
}

// TestPathsAgree runs the public functions on every path the CPU has and
// checks that both assembly paths give the same bits (the pure-Go path is
// only held to the accuracy bounds, since it has no FMA).
func TestPathsAgree(t *testing.T) {
	if !has512 {
		t.Skip("AVX-512 kernels not available on this CPU/arch")
	}
	xs := bitInputs()[:100000]
	for _, f := range fns {
		var res [2][]float64
		for j, p := range paths()[1:] {
			restore := setPath(p)
			res[j] = make([]float64, len(xs))
			f.vec(res[j], xs)
			restore()
		}
		for i := range xs {
			if !sameBits(res[0][i], res[1][i]) {
				t.Fatalf("%s(%v): avx2 %v, avx512 %v", f.name, xs[i], res[0][i], res[1][i])
			}
		}
	}
}
