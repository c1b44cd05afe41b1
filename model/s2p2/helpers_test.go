package s2p2

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/predict"
)

// randomSeqs draws n sequences with lengths 0..maxLen (sequence 1 empty,
// sequence 0 of length maxLen), some tied times, windows that start before
// the first event and end after the last.
func randomSeqs(seed uint64, n, maxLen, k int) []data.Sequence {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]data.Sequence, n)
	for i := range out {
		m := rng.IntN(maxLen + 1)
		if i == 1 {
			m = 0
		}
		if i == 0 {
			m = maxLen
		}
		start := rng.Float64() * 2
		s := data.Sequence{ID: fmt.Sprintf("s%d", i), Start: start}
		t := start
		for j := 0; j < m; j++ {
			if j == 0 || rng.IntN(6) > 0 {
				t += rng.ExpFloat64() * 0.8
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, rng.IntN(k))
		}
		s.End = t + rng.Float64()*1.5
		out[i] = s
	}
	return out
}

// randomise sets every parameter to a U(−a, a) draw.
func randomise(m *Model, seed uint64, a float64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, p := range m.ps {
		for i := range p.Value {
			p.Value[i] = (rng.Float64()*2 - 1) * a
		}
	}
}

func newTest(t testing.TB, cfg Config, k int) *Model {
	t.Helper()
	m, err := New(cfg, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// simpson integrates f over [a, b] with the composite Simpson rule on n
// (even) panels.
func simpson(f func(float64) float64, a, b float64, n int) float64 {
	if b <= a {
		return 0
	}
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}

// refLogLik is the independent evaluation of a sequence's log-likelihood:
// intensities from NextAfter (scalar code, not the batched tape path) and
// compensators by 2000-panel composite Simpson quadrature per interval.
func refLogLik(m predict.Model, s *data.Sequence, c likelihood.Convention) likelihood.Parts {
	K := m.NumTypes()
	lam := make([]float64, K)
	total := func(nx predict.Next) func(float64) float64 {
		return func(dt float64) float64 {
			nx.Intensities(dt, lam)
			v := 0.0
			for _, x := range lam {
				v += x
			}
			return v
		}
	}
	first, _, _ := likelihood.Scope(s, c)
	p := likelihood.Parts{NumSeqs: 1}
	n := len(s.Times)
	for i := first; i < n; i++ {
		prev := s.Start
		if i > 0 {
			prev = s.Times[i-1]
		}
		nx := m.NextAfter(s, i)
		dt := s.Times[i] - prev
		comp := simpson(total(nx), 0, dt, 2000)
		nx.Intensities(dt, lam)
		tot := 0.0
		for _, x := range lam {
			tot += x
		}
		p.TimeLL += math.Log(tot) - comp
		p.MarkLL += math.Log(lam[s.Types[i]] / tot)
		p.NumEvents++
	}
	if c == likelihood.Full {
		last := s.Start
		if n > 0 {
			last = s.Times[n-1]
		}
		p.TimeLL -= simpson(total(m.NextAfter(s, n)), 0, s.End-last, 2000)
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// seqLogLik scores one sequence through the batched path.
func seqLogLik(m *Model, s data.Sequence, c likelihood.Convention) likelihood.Parts {
	return m.BatchLogLik(batch.PackSeqs([]data.Sequence{s}, m.k), c)
}

// repoRoot walks up from the package directory to the one holding go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}
