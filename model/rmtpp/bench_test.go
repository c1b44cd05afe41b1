package rmtpp

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
)

// benchBatch is B random sequences of exactly L events over K types.
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

// BenchmarkRMTPPStep is one training step (forward, backward, Adam) on a
// B=64, L=64 batch with K=22 types and hidden size 32, with 1 and 2 worker
// goroutines. Reference (shared/notes/engine-choice.md): PyTorch RMTPP B64
// L64 ≈ 8 ms/step on one thread.
func BenchmarkRMTPPStep(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			bt := benchBatch(64, 64, 22)
			m, err := New(Config{HiddenSize: 32, Threads: threads}, 22, 1)
			if err != nil {
				b.Fatal(err)
			}
			opt := engine.NewAdam(m.Params(), engine.AdamConfig{LR: 1e-3})
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				params.ZeroGrad(m.Params())
				m.LossAndGrad(bt)
				opt.Step()
			}
			cpu := cpuSeconds() - cpu0
			b.ReportMetric(float64(b.N*bt.NumEvents())/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
			if cpu > 0 {
				// process CPU time: with -cpu 1 the single-thread cost of a
				// step, which load from other processes does not inflate
				b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/step")
			}
		})
	}
}

// BenchmarkRMTPPEval is the log-likelihood of the same batch without
// gradients.
func BenchmarkRMTPPEval(b *testing.B) {
	bt := benchBatch(64, 64, 22)
	m, err := New(Config{HiddenSize: 32, Threads: 1}, 22, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.BatchLogLik(bt, likelihood.Full)
	}
	b.ReportMetric(float64(b.N*bt.NumEvents())/b.Elapsed().Seconds(), "events/s")
}
