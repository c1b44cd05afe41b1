package attnhp

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/attention/modeltest"
)

// TestIntensitiesAtMatchesIntensities: the batched path (merged Q/K/V·O
// products, O folded into the values, layer 0's scores from per-sequence
// coefficients, unnormalised softmax, β folded into the head) gives, at
// every offset, the intensities of the per-query path intensitiesScalar
// (attendVec's plain loops, the layers' own Linear maps) to rounding, and
// exactly those of Intensities (a batch of one offset): for
// several shapes (one to three layers and heads, odd sizes), parameters
// with non-zero biases at two scales, every prefix of random sequences
// (the empty history included), through NextAfter and Laws, and batches
// of several sizes (the pooled work matrices are resized and reused);
// with the history's score operands packed once per sequence and viewed
// per law, and, for histories past a lowered maxPackedHistory, packed by
// each law.
func TestIntensitiesAtMatchesIntensities(t *testing.T) {
	saved := maxPackedHistory
	defer func() { maxPackedHistory = saved }()
	for _, mh := range []int{saved, 5} {
		maxPackedHistory = mh
		checkIntensitiesAt(t)
	}
}

func checkIntensitiesAt(t *testing.T) {
	offsets := []float64{0, 1e-9, 0.013, 0.3, 0.31, 1.7, 4, 25, 0.002, 0.7, 3.3, 9, 0.05, 0.5, 1, 60, 2e-4}
	const K = 4
	for ci, c := range []struct {
		cfg Config
		a   float64
	}{
		{Config{}, 0.3},
		{Config{HiddenSize: 5, TimeEmbSize: 3, NumLayers: 3, NumHeads: 3, TimeScale: 0.7}, 0.5},
		{Config{HiddenSize: 3, TimeEmbSize: 1, NumLayers: 1, NumHeads: 1}, 1},
		{Config{HiddenSize: 7, TimeEmbSize: 2, NumLayers: 2, NumHeads: 1}, 1.5},
	} {
		m := newTest(t, c.cfg, K, uint64(40+ci))
		modeltest.Randomise(m.Params(), uint64(50+ci), c.a)
		seqs := modeltest.RandomSeqs(uint64(60+ci), 3, 19, K)
		one, single := make([]float64, K), make([]float64, K)
		got := make([]float64, len(offsets)*K)
		worst := 0.0
		for si := range seqs {
			seq := &seqs[si]
			check := func(nx *next, i int) {
				for _, J := range []int{15, 1, 4, len(offsets), 15} {
					dts := offsets[:J]
					if J == 15 && i%2 == 1 {
						dts = offsets[len(offsets)-J:]
					}
					nx.IntensitiesAt(dts, got)
					for j, dt := range dts {
						nx.intensitiesScalar(dt, one)
						nx.Intensities(dt, single)
						for k := 0; k < K; k++ {
							g, w := got[j*K+k], one[k]
							d := math.Abs(g-w) / math.Abs(w)
							worst = max(worst, d)
							if !(d <= 1e-12) {
								t.Fatalf("config %d, seq %d, event %d, J=%d, dt=%v: type %d: IntensitiesAt %v, scalar %v", ci, si, i, J, dt, k, g, w)
							}
							if single[k] != g {
								t.Fatalf("config %d, seq %d, event %d, J=%d, dt=%v: type %d: IntensitiesAt %v, Intensities (a batch of one) %v", ci, si, i, J, dt, k, g, single[k])
							}
						}
					}
				}
			}
			for i := 0; i <= seq.Len(); i++ {
				check(m.NextAfter(seq, i).(*next), i)
			}
			for i, nx := range m.Laws(seq) {
				check(nx.(*next), i)
			}
		}
		t.Logf("config %d: largest relative difference %.2g", ci, worst)
	}
}

// TestIntensitiesAtConcurrent: laws of one sequence evaluated from several
// goroutines at once (they share the sequence's batched matrices, made on
// first use) give the sequential values exactly (run with -race).
func TestIntensitiesAtConcurrent(t *testing.T) {
	m := newTest(t, Config{HiddenSize: 6, NumLayers: 2, NumHeads: 2}, 3, 71)
	modeltest.Randomise(m.Params(), 72, 0.4)
	seq := modeltest.RandomSeqs(73, 1, 12, 3)[0]
	dts := []float64{0.01, 0.2, 0.5, 1, 3}
	eval := func(s *data.Sequence, i int) []float64 {
		out := make([]float64, len(dts)*3)
		m.NextAfter(s, i).(*next).IntensitiesAt(dts, out)
		return out
	}
	var want [][]float64
	for i := 0; i <= seq.Len(); i++ {
		want = append(want, eval(&seq, i))
	}
	// a fresh copy of the sequence: its keys, values and batched
	// matrices are made again, now concurrently
	seq2 := seq
	seq2.Times = append([]float64(nil), seq.Times...)
	seq2.Types = append([]int(nil), seq.Types...)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i <= seq2.Len(); i++ {
				for x, v := range eval(&seq2, i) {
					if v != want[i][x] {
						errs <- "concurrent IntensitiesAt differs"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestRowKernels checks the hand-written loops of the batched path
// (rowMax, rowSum, dot4, quadForm) against plain sequential loops, for
// every length up to 13 (all remainders of the four-way unrolling).
func TestRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	for n := 1; n <= 13; n++ {
		for rep := 0; rep < 20; rep++ {
			x, y := make([]float64, n), make([]float64, n)
			for j := range x {
				x[j], y[j] = rng.NormFloat64()*3, rng.NormFloat64()
			}
			wantMax, wantSum, wantDot := math.Inf(-1), 0.0, 0.0
			for j := range x {
				wantMax = math.Max(wantMax, x[j])
				wantSum += x[j]
				wantDot += x[j] * y[j]
			}
			if got := rowMax(x); got != wantMax {
				t.Fatalf("rowMax(%v) = %v, want %v", x, got, wantMax)
			}
			if got := rowSum(x); math.Abs(got-wantSum) > 1e-13*float64(n)*3 {
				t.Fatalf("rowSum(%v) = %v, want %v", x, got, wantSum)
			}
			if got := dot4(x, y); math.Abs(got-wantDot) > 1e-13*float64(n)*3 {
				t.Fatalf("dot4 = %v, want %v", got, wantDot)
			}
			mat := make([]float64, n*n)
			for j := range mat {
				mat[j] = rng.NormFloat64()
			}
			wantQ := 0.0
			for a := 0; a < n; a++ {
				for b := 0; b < n; b++ {
					wantQ += x[a] * mat[a*n+b] * x[b]
				}
			}
			if got := quadForm(mat, x); math.Abs(got-wantQ) > 1e-12*float64(n*n)*10 {
				t.Fatalf("quadForm = %v, want %v", got, wantQ)
			}
		}
		// a NaN anywhere makes the row's exponentials and sum NaN: the
		// maximum is either NaN or a number, never an infinity
		x := make([]float64, n)
		x[n/2] = math.NaN()
		if v := rowMax(x); math.IsInf(v, 0) {
			t.Fatalf("rowMax with a NaN = %v", v)
		}
	}
}
