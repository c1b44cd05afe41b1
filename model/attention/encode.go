package attention

import (
	"math"

	"github.com/gotpp/gotpp/engine"
)

// Frequency is ω_j = 10000^(−2j/M), the angular frequency of the j-th
// sin/cos pair of an M-column sinusoidal encoding (Vaswani et al. 2017;
// THP's temporal encoding uses the same frequencies).
func Frequency(j, m int) float64 {
	if m < len(freqTables) {
		return freqTables[m][j]
	}
	return frequency(j, m)
}

func frequency(j, m int) float64 {
	return math.Pow(10000, -2*float64(j)/float64(m))
}

// freqTables[m] holds Frequency(j, m) for j < (m+1)/2 and the encoding
// widths models use (m < 129), computed once: Sinusoid runs for every
// event and every quadrature node.
var freqTables = func() [][]float64 {
	t := make([][]float64, 129)
	for m := 1; m < len(t); m++ {
		t[m] = make([]float64, (m+1)/2)
		for j := range t[m] {
			t[m][j] = frequency(j, m)
		}
	}
	return t
}()

// Sinusoid writes the M = len(out) column sinusoidal encoding of x:
// out[2j] = sin(ω_j·x), out[2j+1] = cos(ω_j·x) (for odd M the last column
// is a sine).
func Sinusoid(x float64, out []float64) {
	m := len(out)
	for j := 0; 2*j < m; j++ {
		s, c := math.Sincos(Frequency(j, m) * x)
		out[2*j] = s
		if 2*j+1 < m {
			out[2*j+1] = c
		}
	}
}

// SinCos returns, for a phase tensor [N, P], the [N, 2P] tensor with
// columns 2j = sin(phase_j) and 2j+1 = cos(phase_j), differentiable in the
// phase.
func SinCos(t *engine.Tape, phase *engine.Tensor) *engine.Tensor {
	n, p := phase.Rows(), phase.Cols()
	out := t.New(n, 2*p)
	for i, x := range phase.Data {
		s, c := math.Sincos(x)
		out.Data[2*i], out.Data[2*i+1] = s, c
	}
	t.Record(sinCosOp{}, engine.Node{Out: [4]*engine.Tensor{out}, In: [6]*engine.Tensor{phase}})
	return out
}

type sinCosOp struct{}

func (sinCosOp) Backward(_ *engine.Tape, n *engine.Node) {
	ph, out := n.In[0], n.Out[0]
	if ph.Grad == nil {
		return
	}
	g := out.Grad
	for i := range ph.Data {
		s, c := out.Data[2*i], out.Data[2*i+1]
		ph.Grad[i] += g[2*i]*c - g[2*i+1]*s
	}
}
