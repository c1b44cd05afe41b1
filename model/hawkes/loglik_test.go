package hawkes

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
)

// bruteIntensity evaluates λ_i(t) by summing over every earlier event, directly
// from the model definition (no recursion, no shared code with the package).
func bruteIntensity(p Params, s *data.Sequence, i int, t float64) float64 {
	v := p.Mu[i]
	for l, tl := range s.Times {
		if tl < t {
			j := s.Types[l]
			v += p.Alpha[i][j] * p.Beta[i][j] * math.Exp(-p.Beta[i][j]*(t-tl))
		}
	}
	return v
}

// bruteLogLik is the O(N²) log-likelihood with the compensator obtained by
// Gauss–Legendre quadrature of the brute-force intensity on every smooth
// piece between consecutive event times.
func bruteLogLik(p Params, s *data.Sequence, c likelihood.Convention) likelihood.Parts {
	first, from, to := likelihood.Scope(s, c)
	k := p.K()
	var out likelihood.Parts
	out.NumSeqs = 1
	for n := first; n < len(s.Times); n++ {
		tot := 0.0
		for i := 0; i < k; i++ {
			tot += bruteIntensity(p, s, i, s.Times[n])
		}
		lk := bruteIntensity(p, s, s.Types[n], s.Times[n])
		out.TimeLL += math.Log(tot)
		out.MarkLL += math.Log(lk / tot)
		out.NumEvents++
	}
	// Breakpoints: from, every event time inside (from, to), to.
	pts := []float64{from}
	for _, t := range s.Times {
		if t > from && t < to {
			pts = append(pts, t)
		}
	}
	pts = append(pts, to)
	sort.Float64s(pts)
	comp := 0.0
	for q := 1; q < len(pts); q++ {
		a, b := pts[q-1], pts[q]
		if b <= a {
			continue
		}
		f := func(t float64) float64 {
			v := 0.0
			for i := 0; i < k; i++ {
				v += bruteIntensity(p, s, i, t)
			}
			return v
		}
		comp += quad.Fixed(f, a, b, 40, quad.Legendre{}, 0)
	}
	out.TimeLL -= comp
	out.LogLik = out.TimeLL + out.MarkLL
	return out
}

func randParams(rng *rand.Rand, k int, scalar bool) Params {
	mu := make([]float64, k)
	alpha := make([][]float64, k)
	beta := make([][]float64, k)
	for i := 0; i < k; i++ {
		mu[i] = 0.1 + rng.Float64()
		alpha[i] = make([]float64, k)
		beta[i] = make([]float64, k)
		for j := 0; j < k; j++ {
			alpha[i][j] = 0.5 * rng.Float64() / float64(k)
			beta[i][j] = 0.5 + 2*rng.Float64()
		}
	}
	if scalar {
		return NewScalarParams(mu, alpha, 0.5+2*rng.Float64())
	}
	return NewMatrixParams(mu, alpha, beta)
}

// randSeq draws arbitrary (not Hawkes-distributed) event times; with ties
// set, some events share a time stamp.
func randSeq(rng *rand.Rand, k, n int, ties bool) data.Sequence {
	s := data.Sequence{Start: 0.5, End: 0}
	t := s.Start
	for i := 0; i < n; i++ {
		if !(ties && i > 0 && rng.Float64() < 0.25) {
			t += rng.ExpFloat64() * 0.7
		}
		s.Times = append(s.Times, t)
		s.Types = append(s.Types, rng.IntN(k))
	}
	s.End = t + 1.3
	return s
}

func TestLogLikMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scalar := range []bool{true, false} {
		for _, ties := range []bool{false, true} {
			for trial := 0; trial < 4; trial++ {
				k := 1 + trial
				p := randParams(rng, k, scalar)
				m := MustNew(p)
				s := randSeq(rng, k, 30, ties)
				if err := s.Validate(k); err != nil {
					t.Fatal(err)
				}
				for _, c := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
					got := m.SequenceLogLik(&s, c)
					want := bruteLogLik(p, &s, c)
					if got.NumEvents != want.NumEvents {
						t.Fatalf("scalar=%v ties=%v %v: NumEvents %d want %d", scalar, ties, c, got.NumEvents, want.NumEvents)
					}
					for _, q := range [][3]any{{"LogLik", got.LogLik, want.LogLik}, {"TimeLL", got.TimeLL, want.TimeLL}, {"MarkLL", got.MarkLL, want.MarkLL}} {
						g, w := q[1].(float64), q[2].(float64)
						if math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
							t.Errorf("scalar=%v ties=%v k=%d %v: %s = %.12g, brute force %.12g", scalar, ties, k, c, q[0], g, w)
						}
					}
					// The gradient recursion computes the same value.
					ll, n := m.LogLikGrad(&s, c, m.NewGrad())
					if math.Abs(ll-got.LogLik) > 1e-10*math.Max(1, math.Abs(ll)) || n != got.NumEvents {
						t.Errorf("LogLikGrad = (%v, %d), SequenceLogLik = (%v, %d)", ll, n, got.LogLik, got.NumEvents)
					}
				}
			}
		}
	}
}

func TestTiesUseStrictlyEarlierEvents(t *testing.T) {
	// Two events at the same time: the second one's intensity is μ alone.
	p := NewScalarParams([]float64{0.5}, [][]float64{{0.8}}, 2)
	m := MustNew(p)
	s := data.Sequence{Times: []float64{1, 1}, Types: []int{0, 0}, Start: 0, End: 1}
	got := m.SequenceLogLik(&s, likelihood.Full)
	want := 2*math.Log(0.5) - 0.5*1 // both events see only μ; nothing decays inside [0,1]
	if math.Abs(got.LogLik-want) > 1e-14 {
		t.Fatalf("tie loglik %v want %v", got.LogLik, want)
	}
}

func TestGradientFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, scalar := range []bool{true, false} {
		for _, c := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
			k := 3
			p := randParams(rng, k, scalar)
			m := MustNew(p)
			s := randSeq(rng, k, 40, true)
			g := m.NewGrad()
			m.LogLikGrad(&s, c, g)
			ll := func(q Params) float64 { return MustNew(q).SequenceLogLik(&s, c).LogLik }
			fd := func(set func(q *Params, h float64)) float64 {
				const h = 1e-6
				qp, qm := p.Clone(), p.Clone()
				set(&qp, h)
				set(&qm, -h)
				return (ll(qp) - ll(qm)) / (2 * h)
			}
			check := func(name string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Errorf("scalar=%v %v: d/d%s analytic %.9g finite difference %.9g", scalar, c, name, got, want)
				}
			}
			for i := 0; i < k; i++ {
				check("mu", g.Mu[i], fd(func(q *Params, h float64) { q.Mu[i] += h }))
				for j := 0; j < k; j++ {
					check("alpha", g.Alpha[i*k+j], fd(func(q *Params, h float64) { q.Alpha[i][j] += h }))
					if !scalar {
						check("beta", g.Beta[i*k+j], fd(func(q *Params, h float64) { q.Beta[i][j] += h }))
					}
				}
			}
			if scalar {
				check("beta(scalar)", g.BetaScalar(), fd(func(q *Params, h float64) {
					for i := range q.Beta {
						for j := range q.Beta[i] {
							q.Beta[i][j] += h
						}
					}
				}))
			}
		}
	}
}

func TestIntensityAndCompensatorAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, scalar := range []bool{true, false} {
		k := 3
		p := randParams(rng, k, scalar)
		m := MustNew(p)
		s := randSeq(rng, k, 25, true)
		// Intensity at arbitrary times, including exactly at event times
		// (strictly-before rule).
		probe := []float64{s.Start, s.Times[0], s.Times[3], s.Times[10] + 0.01, s.End}
		for _, tt := range probe {
			got := m.Intensity(s.Times, s.Types, tt, nil)
			for i := 0; i < k; i++ {
				if w := bruteIntensity(p, &s, i, tt); math.Abs(got[i]-w) > 1e-12*w {
					t.Errorf("Intensity(%v)[%d] = %v want %v", tt, i, got[i], w)
				}
			}
		}
		// Compensator on intervals containing events, versus quadrature.
		for _, ab := range [][2]float64{{s.Start, s.End}, {s.Times[2], s.Times[7]}, {s.Times[5] + 0.1, s.Times[5] + 0.2}} {
			got := m.Compensator(s.Times, s.Types, ab[0], ab[1], nil)
			for i := 0; i < k; i++ {
				pts := []float64{ab[0]}
				for _, tl := range s.Times {
					if tl > ab[0] && tl < ab[1] {
						pts = append(pts, tl)
					}
				}
				pts = append(pts, ab[1])
				w := 0.0
				for q := 1; q < len(pts); q++ {
					if pts[q] > pts[q-1] {
						w += quad.Fixed(func(u float64) float64 { return bruteIntensity(p, &s, i, u) }, pts[q-1], pts[q], 40, quad.Legendre{}, 0)
					}
				}
				if math.Abs(got[i]-w) > 1e-10*math.Max(1, w) {
					t.Errorf("Compensator[%v,%v][%d] = %v quadrature %v", ab[0], ab[1], i, got[i], w)
				}
			}
		}
		// State: intensity and compensator after the last event.
		st := m.NewState(s.Times[0])
		for l := range s.Times {
			st.Advance(s.Times[l])
			st.Add(s.Types[l])
		}
		tl := s.Times[len(s.Times)-1]
		dt := 0.37
		lam := st.IntensityAfter(dt, nil)
		cmp := st.CompensatorAfter(dt, nil)
		want := m.Compensator(s.Times, s.Types, tl, tl+dt, nil)
		tot := 0.0
		for i := 0; i < k; i++ {
			if w := bruteIntensity(p, &s, i, tl+dt); math.Abs(lam[i]-w) > 1e-12*w {
				t.Errorf("State.IntensityAfter[%d] = %v want %v", i, lam[i], w)
			}
			if math.Abs(cmp[i]-want[i]) > 1e-12*want[i] {
				t.Errorf("State.CompensatorAfter[%d] = %v want %v", i, cmp[i], want[i])
			}
			tot += st.Intensity(nil)[i]
		}
		if math.Abs(tot-st.TotalIntensity()) > 1e-12*tot {
			t.Errorf("TotalIntensity %v, sum of Intensity %v", st.TotalIntensity(), tot)
		}
		// HistoryState(i): the law of event i given events before it.
		for _, i := range []int{0, 1, 7, len(s.Times) - 1} {
			hs := m.HistoryState(&s, i)
			last := s.Start
			if i > 0 {
				last = s.Times[i-1]
			}
			hist := data.Sequence{Times: s.Times[:i], Types: s.Types[:i]}
			for _, dt := range []float64{0.01, 0.4, 3} {
				lam := hs.IntensityAfter(dt, nil)
				for q := 0; q < k; q++ {
					if w := bruteIntensity(p, &hist, q, last+dt); math.Abs(lam[q]-w) > 1e-12*w {
						t.Errorf("HistoryState(%d).IntensityAfter(%v)[%d] = %v want %v", i, dt, q, lam[q], w)
					}
				}
				cw := m.Compensator(hist.Times, hist.Types, last, last+dt, nil)
				tot := 0.0
				for _, v := range cw {
					tot += v
				}
				if got := hs.TotalCompensatorAfter(dt); math.Abs(got-tot) > 1e-12*tot {
					t.Errorf("HistoryState(%d).TotalCompensatorAfter(%v) = %v want %v", i, dt, got, tot)
				}
			}
		}
		// IntensityOnGrid matches the direct evaluation.
		grid := []float64{s.Start, s.Times[0], s.Times[0] + 1e-9, s.Times[4], s.Times[12] + 0.3, s.End}
		rows := m.IntensityOnGrid(&s, grid)
		for g, tt := range grid {
			for i := 0; i < k; i++ {
				if w := bruteIntensity(p, &s, i, tt); math.Abs(rows[i][g]-w) > 1e-12*w {
					t.Errorf("IntensityOnGrid(%v)[%d] = %v want %v", tt, i, rows[i][g], w)
				}
			}
		}
	}
}

func TestSpectralRadius(t *testing.T) {
	// 2×2 closed form: eigenvalues (tr ± sqrt(tr² − 4 det)) / 2.
	a := [][]float64{{0.3, 0.4}, {0.2, 0.1}}
	tr, det := 0.4, 0.3*0.1-0.4*0.2
	want := (tr + math.Sqrt(tr*tr-4*det)) / 2
	if got := SpectralRadius(a); math.Abs(got-want) > 1e-12 {
		t.Errorf("SpectralRadius = %v want %v", got, want)
	}
	// Rotation-like matrix with complex eigenvalues a ± bi: modulus sqrt(a²+b²).
	r := [][]float64{{0.3, -0.4}, {0.4, 0.3}}
	if got := SpectralRadius(r); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("complex SpectralRadius = %v want 0.5", got)
	}
	m := MustNew(NewScalarParams([]float64{1, 2}, a, 1))
	rates, err := m.StationaryRates()
	if err != nil {
		t.Fatal(err)
	}
	// (I − α) x = μ must hold.
	for i := 0; i < 2; i++ {
		lhs := rates[i] - a[i][0]*rates[0] - a[i][1]*rates[1]
		if math.Abs(lhs-m.p.Mu[i]) > 1e-12 {
			t.Errorf("stationary rates do not solve (I-α)x=μ: row %d gives %v", i, lhs)
		}
	}
	if _, err := MustNew(NewScalarParams([]float64{1}, [][]float64{{1.2}}, 1)).StationaryRates(); err == nil {
		t.Error("StationaryRates accepted a non-stationary process")
	}
}
