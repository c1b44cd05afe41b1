package predict

import "testing"

func benchAnalyze(b *testing.B, n Next) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(n, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "preds/s")
}

func BenchmarkAnalyzePoisson(b *testing.B) {
	benchAnalyze(b, &poisson{[]float64{0.5, 1.5, 2}})
}

func BenchmarkAnalyzePoissonExact(b *testing.B) {
	benchAnalyze(b, &poissonExact{poisson{[]float64{0.5, 1.5, 2}}})
}

func BenchmarkAnalyzeExpDecay(b *testing.B) {
	benchAnalyze(b, &expDecay{mu: []float64{0.2, 0.1, 0.05}, a: []float64{3, 0.5, 1}, beta: 2.5})
}

func BenchmarkAnalyzeExpDecayExact(b *testing.B) {
	benchAnalyze(b, &expDecayExact{expDecay{mu: []float64{0.2, 0.1, 0.05}, a: []float64{3, 0.5, 1}, beta: 2.5}})
}
