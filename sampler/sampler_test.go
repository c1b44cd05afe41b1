package sampler

import (
	"errors"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model/hawkes"
)

// ksExp1 is the one-sample Kolmogorov–Smirnov statistic of x against Exp(1)
// and its asymptotic p-value (Kolmogorov distribution with Stephens'
// small-sample correction).
func ksExp1(x []float64) (d, p float64) {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := float64(len(s))
	for i, v := range s {
		f := 1 - math.Exp(-v)
		d = math.Max(d, math.Max(f-float64(i)/n, float64(i+1)/n-f))
	}
	sn := math.Sqrt(n)
	return d, kolmogorovQ((sn + 0.12 + 0.11/sn) * d)
}

// kolmogorovQ is P(K > x) for the Kolmogorov distribution, by the series
// that converges fast on each side of x = 1.
func kolmogorovQ(x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x < 1 {
		// P(K ≤ x) = √(2π)/x Σ_{j≥1} exp(−(2j−1)²π²/(8x²)).
		c := 0.0
		for j := 1; j <= 50; j++ {
			q := float64(2*j - 1)
			c += math.Exp(-q * q * math.Pi * math.Pi / (8 * x * x))
		}
		return math.Min(math.Max(1-math.Sqrt(2*math.Pi)/x*c, 0), 1)
	}
	p := 0.0
	for j := 1; j <= 100; j++ {
		term := 2 * math.Exp(-2*float64(j*j)*x*x)
		if j%2 == 0 {
			term = -term
		}
		p += term
	}
	return math.Min(math.Max(p, 0), 1)
}

func TestKSHelperDetectsWrongDistribution(t *testing.T) {
	// Exact Exp(1) quantiles pass; Exp(1.1) quantiles (a 10% scale error) fail.
	n := 20000
	ok, bad := make([]float64, n), make([]float64, n)
	for i := range ok {
		u := (float64(i) + 0.5) / float64(n)
		ok[i] = -math.Log(1 - u)
		bad[i] = ok[i] / 1.1
	}
	if _, p := ksExp1(ok); p < 0.99 {
		t.Errorf("KS p-value of exact Exp(1) quantiles = %v", p)
	}
	if _, p := ksExp1(bad); p > 1e-6 {
		t.Errorf("KS p-value of Exp(1.1) quantiles = %v, want rejection", p)
	}
}

var truthParams = hawkes.NewScalarParams(
	[]float64{0.2, 0.1, 0.15},
	[][]float64{{0.3, 0.1, 0}, {0.2, 0.2, 0.1}, {0, 0.2, 0.3}},
	1.5)

var matrixParams = hawkes.NewMatrixParams(
	[]float64{0.3, 0.2},
	[][]float64{{0.4, 0.2}, {0.3, 0.1}},
	[][]float64{{2, 0.7}, {1.2, 4}})

// rescaled returns the time-rescaling transforms of seqs under m. By the
// time-rescaling theorem, u = Λ(t) maps each sequence onto a unit-rate
// Poisson process on [0, Λ(End)]; laying these end to end gives one
// unit-rate Poisson process, whose gaps are i.i.d. Exp(1). (Pooling only
// the within-sequence gaps would not be: short gaps are over-represented by
// O(1/events per sequence).) The same holds per type with Λ_k.
func rescaled(m *hawkes.Model, seqs []data.Sequence) (total []float64, perType [][]float64) {
	k := m.NumTypes()
	perType = make([][]float64, k)
	buf := make([]float64, k)
	var off float64             // total compensator of earlier sequences
	offK := make([]float64, k)  // per-type compensators of earlier sequences
	lastU := 0.0                // rescaled time of the previous event (total)
	lastK := make([]float64, k) // rescaled time of the previous type-k event
	for _, s := range seqs {
		cum := 0.0
		cumK := make([]float64, k)
		prev := s.Start
		for n, t := range s.Times {
			m.Compensator(s.Times[:n], s.Types[:n], prev, t, buf)
			for i, v := range buf {
				cum += v
				cumK[i] += v
			}
			u := off + cum
			total = append(total, u-lastU)
			lastU = u
			j := s.Types[n]
			uk := offK[j] + cumK[j]
			perType[j] = append(perType[j], uk-lastK[j])
			lastK[j] = uk
			prev = t
		}
		m.Compensator(s.Times, s.Types, prev, s.End, buf)
		for i, v := range buf {
			cum += v
			cumK[i] += v
			offK[i] += cumK[i]
		}
		off += cum
	}
	return total, perType
}

func checkRescaling(t *testing.T, name string, m *hawkes.Model, seqs []data.Sequence, wantReject bool) {
	t.Helper()
	total, perType := rescaled(m, seqs)
	d, p := ksExp1(total)
	t.Logf("%s: %d increments, KS D=%.4f p=%.3g", name, len(total), d, p)
	minP := p
	for k, x := range perType {
		dk, pk := ksExp1(x)
		t.Logf("%s: type %d: %d increments, KS D=%.4f p=%.3g", name, k, len(x), dk, pk)
		minP = math.Min(minP, pk)
	}
	if wantReject {
		if minP > 1e-6 {
			t.Errorf("%s: KS tests failed to reject a wrong simulator (min p=%.3g)", name, minP)
		}
		return
	}
	// Fixed seeds make these deterministic; 1e-3 over K+1 tests is a generous
	// threshold for a correct simulator and far above what a wrong one gives.
	if minP < 1e-3 {
		t.Errorf("%s: time-rescaling KS test rejects the simulator (min p=%.3g)", name, minP)
	}
}

func TestHawkesTimeRescaling(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 100
	}
	for _, c := range []struct {
		name string
		p    hawkes.Params
	}{{"scalar beta", truthParams}, {"matrix beta", matrixParams}} {
		m := hawkes.MustNew(c.p)
		seqs, err := HawkesSequences(m, n, 0, 100, 42, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkRescaling(t, c.name, m, seqs, false)
	}
}

func TestTimeRescalingRejectsWrongSimulators(t *testing.T) {
	m := hawkes.MustNew(truthParams)
	n := 150
	// 1. A simulator run with the wrong decay (β = 3 instead of 1.5).
	wrong := truthParams.Clone()
	for i := range wrong.Beta {
		for j := range wrong.Beta[i] {
			wrong.Beta[i][j] = 3
		}
	}
	seqs, err := HawkesSequences(hawkes.MustNew(wrong), n, 0, 100, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkRescaling(t, "wrong beta", m, seqs, true)
	// 2. A broken thinning step that accepts every proposal from the
	// (correct) bound, i.e. simulates at the bound instead of the intensity.
	seqs = seqs[:0]
	for i := 0; i < n; i++ {
		s, err := Simulate(acceptAll{NewHawkesProcess(m, 0), new(float64)}, 0, 100, NewRand(8, uint64(i)), 0)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	checkRescaling(t, "accept-all thinning", m, seqs, true)
}

// acceptAll reports the current bound as the total intensity (split over
// the types as the true intensity is), so every proposal is accepted: a
// thinning step that forgot to thin.
type acceptAll struct {
	*HawkesProcess
	m *float64
}

func (a acceptAll) Bound(t float64) (float64, float64) {
	m, until := a.HawkesProcess.Bound(t)
	*a.m = m
	return m, until
}

func (a acceptAll) Intensity(t float64, out []float64) {
	a.HawkesProcess.Intensity(t, out)
	tot := 0.0
	for _, v := range out {
		tot += v
	}
	for i := range out {
		out[i] *= *a.m / tot
	}
}

func TestPoissonSimulation(t *testing.T) {
	rates := []float64{0.5, 2, 0, 1.5}
	total := 4.0
	seqs, err := PoissonSequences(rates, 200, 1, 51, 3)
	if err != nil {
		t.Fatal(err)
	}
	var gaps []float64
	counts := make([]float64, len(rates))
	nev := 0.0
	for _, s := range seqs {
		if err := s.Validate(len(rates)); err != nil {
			t.Fatal(err)
		}
		prev := s.Start
		for n, tt := range s.Times {
			gaps = append(gaps, (tt-prev)*total)
			prev = tt
			counts[s.Types[n]]++
			nev++
		}
	}
	if _, p := ksExp1(gaps); p < 1e-3 {
		t.Errorf("rescaled Poisson gaps fail the KS test: p=%.3g", p)
	}
	// Count: Poisson(200·50·4 = 40000): within 4 standard deviations.
	if want := 200 * 50 * total; math.Abs(nev-want) > 4*math.Sqrt(want) {
		t.Errorf("total events %v, expected %v", nev, want)
	}
	// Types: binomial proportions within 4 standard deviations.
	for k, r := range rates {
		pk := r / total
		sd := math.Sqrt(nev * pk * (1 - pk))
		if math.Abs(counts[k]-nev*pk) > 4*sd+1e-9 {
			t.Errorf("type %d: %v events, expected %.0f ± %.0f", k, counts[k], nev*pk, sd)
		}
	}
	if counts[2] != 0 {
		t.Errorf("zero-rate type drew %v events", counts[2])
	}
	// The generic thinning sampler with a constant bound agrees in law.
	var tgaps []float64
	for i := 0; i < 200; i++ {
		s, err := Thinning(len(rates),
			func(_ float64, _ []float64, _ []int, out []float64) { copy(out, rates) },
			func(float64, []float64, []int) (float64, float64) { return 2 * total, inf },
			1, 51, NewRand(4, uint64(i)), 0)
		if err != nil {
			t.Fatal(err)
		}
		prev := s.Start
		for _, tt := range s.Times {
			tgaps = append(tgaps, (tt-prev)*total)
			prev = tt
		}
	}
	if _, p := ksExp1(tgaps); p < 1e-3 {
		t.Errorf("thinning-simulated Poisson gaps fail the KS test: p=%.3g", p)
	}
}

func TestThinningInhomogeneous(t *testing.T) {
	// λ(t) = a + b sin(t), bound a + b with a piecewise horizon (exercises
	// the "until" path); compensator Λ(s,t) = a(t−s) + b(cos s − cos t).
	a, b := 1.0, 0.8
	lam := func(tt float64, _ []float64, _ []int, out []float64) { out[0] = a + b*math.Sin(tt) }
	bound := func(tt float64, _ []float64, _ []int) (float64, float64) {
		// Tighter bound on each unit interval: sin ≤ its max over [tt, ⌊tt⌋+1].
		hi := math.Floor(tt) + 1
		mx := math.Max(math.Sin(tt), math.Sin(hi))
		if math.Ceil((tt-math.Pi/2)/(2*math.Pi)) <= (hi-math.Pi/2)/(2*math.Pi) {
			mx = 1
		}
		return a + b*mx, hi
	}
	var inc []float64
	for i := 0; i < 300; i++ {
		s, err := Thinning(1, lam, bound, 0, 60, NewRand(11, uint64(i)), 0)
		if err != nil {
			t.Fatal(err)
		}
		prev := 0.0
		for _, tt := range s.Times {
			inc = append(inc, a*(tt-prev)+b*(math.Cos(prev)-math.Cos(tt)))
			prev = tt
		}
	}
	if _, p := ksExp1(inc); p < 1e-3 {
		t.Errorf("inhomogeneous Poisson by thinning fails the time-rescaling KS test: p=%.3g", p)
	}
}

func TestBoundViolationIsAnError(t *testing.T) {
	_, err := Thinning(1,
		func(_ float64, _ []float64, _ []int, out []float64) { out[0] = 2 },
		func(float64, []float64, []int) (float64, float64) { return 1, inf },
		0, 100, NewRand(1, 1), 0)
	if err == nil || !strings.Contains(err.Error(), "exceeds its bound") {
		t.Fatalf("bound violation: err = %v", err)
	}
}

func TestExplosiveHawkesHitsCap(t *testing.T) {
	m := hawkes.MustNew(hawkes.NewScalarParams([]float64{1}, [][]float64{{1.5}}, 1))
	_, err := Hawkes(m, 0, 1000, NewRand(1, 0), 5000)
	if !errors.Is(err, ErrTooManyEvents) {
		t.Fatalf("explosive process: err = %v, want ErrTooManyEvents", err)
	}
}

func TestSeededAndOrderIndependent(t *testing.T) {
	m := hawkes.MustNew(matrixParams)
	a, err := HawkesSequences(m, 20, 0, 50, 99, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HawkesSequences(m, 20, 0, 50, 99, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed gave different sequences")
	}
	// Sequence 7 drawn alone equals sequence 7 of the batch.
	s7, err := Hawkes(m, 0, 50, NewRand(99, 7), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s7.Times, a[7].Times) || !reflect.DeepEqual(s7.Types, a[7].Types) {
		t.Error("sequence 7 depends on the batch it was drawn in")
	}
	c, _ := HawkesSequences(m, 20, 0, 50, 100, 0)
	if reflect.DeepEqual(a[0].Times, c[0].Times) {
		t.Error("different seeds gave the same sequence")
	}
	for i := range a {
		if err := a[i].Validate(2); err != nil || a[i].Start != 0 || a[i].End != 50 {
			t.Errorf("sequence %d: %v window [%v,%v]", i, err, a[i].Start, a[i].End)
		}
	}
}
