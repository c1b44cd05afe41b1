// Package reftest holds test helpers shared by the neural model packages:
// random sequences with ties and windows, an independent per-sequence
// log-likelihood (intensities from NextAfter, compensators by composite
// Simpson quadrature, not the batched training path) and small utilities.
// It is imported by tests only.
package reftest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/predict"
)

// RandomSeqs draws n sequences with lengths 0..maxLen (sequence 1 empty,
// sequence 0 of length maxLen), some tied times, windows that start before
// the first event and end after the last.
func RandomSeqs(seed uint64, n, maxLen, k int) []data.Sequence {
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

// RelClose reports |a − b| ≤ tol·max(1, |b|).
func RelClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// Simpson integrates f over [a, b] with the composite Simpson rule on n
// (even) panels.
func Simpson(f func(float64) float64, a, b float64, n int) float64 {
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

// RefLogLik is the independent evaluation of a sequence's log-likelihood:
// intensities from NextAfter (scalar code, not the batched tape path) and
// compensators by 2000-panel composite Simpson quadrature per interval.
func RefLogLik(m predict.Model, s *data.Sequence, c likelihood.Convention) likelihood.Parts {
	return RefLogLikN(m, s, c, 2000)
}

// RefLogLikN is RefLogLik with the given number of Simpson panels.
func RefLogLikN(m predict.Model, s *data.Sequence, c likelihood.Convention, panels int) likelihood.Parts {
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
		comp := Simpson(total(nx), 0, dt, panels)
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
		p.TimeLL -= Simpson(total(m.NextAfter(s, n)), 0, s.End-last, panels)
	}
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// RepoRoot walks up from the package directory to the one holding go.mod.
func RepoRoot(t testing.TB) string {
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
