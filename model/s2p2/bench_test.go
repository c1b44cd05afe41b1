package s2p2

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
// default S2P2 (hidden 128, P 16, 4 layers, 10 nodes per interval) on
// B=64, L=64, K=22.
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
