package odetpp

import (
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
)

// benchBatch is B sequences of exactly L events with K types and Exp(1)
// gaps.
func benchBatch(B, L, K int) *batch.Batch {
	rng := rand.New(rand.NewPCG(1, 1))
	seqs := make([]data.Sequence, B)
	for i := range seqs {
		t := 0.0
		for j := 0; j < L; j++ {
			t += rng.ExpFloat64()
			seqs[i].Times = append(seqs[i].Times, t)
			seqs[i].Types = append(seqs[i].Types, rng.IntN(K))
		}
		seqs[i].End = t + 1
	}
	return batch.PackSeqs(seqs, K)
}

// BenchmarkTrainStep is one training step (forward, backward, Adam) of the
// default ODETPP (hidden 32, 2 RK4 steps per interval) on B=64, L=64, K=22.
func BenchmarkTrainStep(b *testing.B) {
	const B, L, K = 64, 64, 22
	bt := benchBatch(B, L, K)
	m, err := New(Config{}, K, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt := engine.NewAdam(m.Params(), engine.AdamConfig{LR: 1e-3})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		params.ZeroGrad(m.Params())
		m.LossAndGrad(bt)
		opt.Step()
	}
	b.ReportMetric(float64(B*L)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIntensities is one evaluation of NextAfter's intensity at
// offsets spread over [0, 1.5] (mostly the Steps-step rule, some on the
// MaxStep grid) for the default ODETPP (hidden 32) with K=10.
func BenchmarkIntensities(b *testing.B) {
	const K = 10
	m, err := New(Config{}, K, 1)
	if err != nil {
		b.Fatal(err)
	}
	randomise(m, 5, 0.5)
	sq := data.Sequence{Times: []float64{0.3, 0.5, 1.1}, Types: []int{1, 4, 2}, End: 2}
	out := make([]float64, K)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nx := m.NextAfter(&sq, 3)
		for j := 0; j < 64; j++ {
			nx.Intensities(1.5*float64(j)/64, out)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(64*b.N), "ns/eval")
}
