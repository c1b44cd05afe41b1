package hawkes_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/sampler"
)

func simulate(t testing.TB, p hawkes.Params, n int, end float64, seed uint64) *data.Dataset {
	t.Helper()
	seqs, err := sampler.HawkesSequences(hawkes.MustNew(p), n, 0, end, seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &data.Dataset{Name: "sim", NumTypes: p.K(), Seqs: seqs}
}

var matrixTruth = hawkes.NewMatrixParams(
	[]float64{0.3, 0.2},
	[][]float64{{0.4, 0.2}, {0.3, 0.1}},
	[][]float64{{2, 0.7}, {1.2, 4}})

func TestFitDeterministicAcrossWorkers(t *testing.T) {
	ds := simulate(t, matrixTruth, 100, 50, 5)
	var ref hawkes.Params
	for i, w := range []int{1, 2, 5} {
		m, res, err := hawkes.Fit(ds, hawkes.FitOptions{Workers: w, MaxIter: 50})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			ref = m.Params()
			continue
		}
		if !reflect.DeepEqual(m.Params(), ref) {
			t.Errorf("workers=%d gave different parameters (%v)", w, res.Status)
		}
	}
}

func TestFitMatrixBetaRecovers(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 150
	}
	ds := simulate(t, matrixTruth, n, 100, 11)
	m, res, err := hawkes.Fit(ds, hawkes.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("matrix-β fit on %d events: %s after %d iterations, %.2fs", res.NumEvents, res.Status, res.Iterations, res.Seconds)
	if !res.Converged {
		t.Errorf("no convergence: %v", res.Warnings)
	}
	fp := m.Params()
	if fp.ScalarBeta {
		t.Fatal("matrix fit returned a scalar β")
	}
	t.Logf("mu %.3f alpha %.3f beta %.3f", fp.Mu, fp.Alpha, fp.Beta)
	truth, _ := likelihood.Evaluate(hawkes.MustNew(matrixTruth), ds, likelihood.Full)
	if res.LogLik < truth.LogLik {
		t.Errorf("fitted LL %.3f below the true parameters' %.3f", res.LogLik, truth.LogLik)
	}
	// Likelihood-ratio sanity: 2·(LL_fit − LL_true) ~ χ²(10) asymptotically;
	// 40 is beyond its 99.99% quantile.
	if lr := 2 * (res.LogLik - truth.LogLik); lr > 40 {
		t.Errorf("likelihood ratio statistic %.2f implausibly large", lr)
	}
	// α and μ are well identified with this much data; β entries with a small
	// α are not, so only β with α ≥ 0.2 is checked, loosely.
	tol := 0.12
	if testing.Short() {
		tol = 0.2
	}
	for i := range fp.Mu {
		if math.Abs(fp.Mu[i]-matrixTruth.Mu[i]) > tol {
			t.Errorf("mu[%d] %.3f truth %.3f", i, fp.Mu[i], matrixTruth.Mu[i])
		}
		for j := range fp.Mu {
			if math.Abs(fp.Alpha[i][j]-matrixTruth.Alpha[i][j]) > tol {
				t.Errorf("alpha[%d][%d] %.3f truth %.3f", i, j, fp.Alpha[i][j], matrixTruth.Alpha[i][j])
			}
			if matrixTruth.Alpha[i][j] >= 0.2 && !testing.Short() && math.Abs(math.Log(fp.Beta[i][j]/matrixTruth.Beta[i][j])) > 0.5 {
				t.Errorf("beta[%d][%d] %.3f truth %.3f", i, j, fp.Beta[i][j], matrixTruth.Beta[i][j])
			}
		}
	}
}

func TestFitPenaltiesShrinkAlpha(t *testing.T) {
	ds := simulate(t, matrixTruth, 60, 50, 3)
	sum := func(p hawkes.Params) float64 {
		s := 0.0
		for _, r := range p.Alpha {
			for _, v := range r {
				s += v
			}
		}
		return s
	}
	m0, _, err := hawkes.Fit(ds, hawkes.FitOptions{ScalarBeta: true})
	if err != nil {
		t.Fatal(err)
	}
	m1, _, err := hawkes.Fit(ds, hawkes.FitOptions{ScalarBeta: true, L1: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := hawkes.Fit(ds, hawkes.FitOptions{ScalarBeta: true, L2: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	s0, s1, s2 := sum(m0.Params()), sum(m1.Params()), sum(m2.Params())
	t.Logf("Σα: unpenalised %.4f, L1 %.4f, L2 %.4f", s0, s1, s2)
	if !(s1 < s0-0.05) || !(s2 < s0-0.05) {
		t.Errorf("penalties did not shrink α: %.4f (none) %.4f (L1) %.4f (L2)", s0, s1, s2)
	}
	// The penalised optimum satisfies its own first-order condition: for α
	// not at the boundary, ∂LL/∂α_ij / n = L1 (checked via the gradient).
	p1 := m1.Params()
	g := m1.NewGrad()
	n := 0
	for i := range ds.Seqs {
		_, c := m1.LogLikGrad(&ds.Seqs[i], likelihood.Full, g)
		n += c
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			if p1.Alpha[i][j] > 0.02 {
				if d := g.Alpha[i*2+j]/float64(n) - 0.05; math.Abs(d) > 1e-4 {
					t.Errorf("L1 optimum: ∂LL/∂α[%d][%d]/n − L1 = %.2g, want 0", i, j, d)
				}
			}
		}
	}
}

func TestFitEasyTPPConventionAndPoissonInit(t *testing.T) {
	ds := simulate(t, hawkes.NewScalarParams([]float64{0.5}, [][]float64{{0.5}}, 2), 80, 60, 9)
	m, res, err := hawkes.Fit(ds, hawkes.FitOptions{ScalarBeta: true, Convention: likelihood.EasyTPP})
	if err != nil {
		t.Fatal(err)
	}
	// Under EasyTPP the first event of each sequence is not scored.
	if want := ds.NumEvents() - len(ds.Seqs); res.NumEvents != want {
		t.Errorf("scored events %d, want %d", res.NumEvents, want)
	}
	// A Hawkes fit nests Poisson (α → 0), so it can never do worse than the
	// Poisson MLE on its training data.
	pm, err := poisson.Fit(ds, likelihood.EasyTPP)
	if err != nil {
		t.Fatal(err)
	}
	pp, _ := likelihood.Evaluate(pm, ds, likelihood.EasyTPP)
	if res.LogLik < pp.LogLik {
		t.Errorf("Hawkes fit LL %.3f below the Poisson MLE's %.3f", res.LogLik, pp.LogLik)
	}
	if fp := m.Params(); math.Abs(fp.Alpha[0][0]-0.5) > 0.15 {
		t.Errorf("alpha %.3f, truth 0.5", fp.Alpha[0][0])
	}
}

func TestFitWarnsWhenExplosive(t *testing.T) {
	// An explosive process (α = 1.3) observed on a short window: the fit
	// must report a spectral radius ≥ 1 with a warning; a stationary one
	// must not warn.
	for _, c := range []struct {
		alpha, end float64
		n          int
	}{{1.3, 15, 40}, {0.5, 100, 40}} {
		ds := simulate(t, hawkes.NewScalarParams([]float64{0.5}, [][]float64{{c.alpha}}, 1), c.n, c.end, 2)
		_, res, err := hawkes.Fit(ds, hawkes.FitOptions{ScalarBeta: true})
		if err != nil {
			t.Fatal(err)
		}
		warned := false
		for _, w := range res.Warnings {
			warned = warned || strings.Contains(w, "not stationary")
		}
		t.Logf("true α %.2f: fitted spectral radius %.4f, warnings %q", c.alpha, res.SpectralRadius, res.Warnings)
		if math.Abs(res.SpectralRadius-c.alpha) > 0.15 {
			t.Errorf("true α %.2f: spectral radius %.4f", c.alpha, res.SpectralRadius)
		}
		if warned != (res.SpectralRadius >= 1) || warned != (c.alpha > 1) {
			t.Errorf("true α %.2f: spectral radius %.4f, warnings %q", c.alpha, res.SpectralRadius, res.Warnings)
		}
	}
}

// BenchmarkHawkesLogLikGrad measures one log-likelihood + gradient pass of
// the 3-type scalar-β and 2-type matrix-β models over simulated data.
func BenchmarkHawkesLogLikGrad(b *testing.B) {
	for _, c := range []struct {
		name string
		p    hawkes.Params
	}{
		{"K3-scalar", hawkes.NewScalarParams([]float64{0.2, 0.1, 0.15}, [][]float64{{0.3, 0.1, 0}, {0.2, 0.2, 0.1}, {0, 0.2, 0.3}}, 1.5)},
		{"K2-matrix", matrixTruth},
	} {
		b.Run(c.name, func(b *testing.B) {
			ds := simulate(b, c.p, 200, 100, 1)
			m := hawkes.MustNew(c.p)
			g := m.NewGrad()
			events := 0
			b.ReportAllocs()
			for b.Loop() {
				for i := range ds.Seqs {
					_, n := m.LogLikGrad(&ds.Seqs[i], likelihood.Full, g)
					events += n
				}
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
