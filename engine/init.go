package engine

import (
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/params"
)

// NewParam returns a zeroed parameter with a gradient buffer.
func NewParam(name string, dims ...int) *params.Param {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return &params.Param{Name: name, Shape: append([]int(nil), dims...), Value: make([]float64, n), Grad: make([]float64, n)}
}

// NewRand returns a PCG generator seeded with seed: the source every random
// initialisation in gotpp takes, so the same seed gives the same numbers.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// InitUniform fills p with independent U(lo, hi) values.
func InitUniform(p *params.Param, lo, hi float64, rng *rand.Rand) {
	for i := range p.Value {
		p.Value[i] = lo + (hi-lo)*rng.Float64()
	}
}

// InitNormal fills p with independent N(0, std²) values.
func InitNormal(p *params.Param, std float64, rng *rand.Rand) {
	for i := range p.Value {
		p.Value[i] = std * rng.NormFloat64()
	}
}

// InitXavier fills a weight matrix with Glorot & Bengio's (2010) uniform
// initialisation U(−a, a), a = √(6/(fanIn+fanOut)). For a 2-axis parameter
// [in, out] pass fanIn = in, fanOut = out.
func InitXavier(p *params.Param, fanIn, fanOut int, rng *rand.Rand) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	InitUniform(p, -a, a, rng)
}

// InitConst sets every value of p to v.
func InitConst(p *params.Param, v float64) {
	for i := range p.Value {
		p.Value[i] = v
	}
}
