package compose

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/model/compose/composetest"
	"github.com/gotpp/gotpp/params"
)

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// TestLogNormCDF compares log Φ(x) with an independent evaluation: for
// x < 0, Φ(x)/φ(x) = ∫_0^∞ exp(x·s − s²/2) ds, integrated with a fine
// Simpson rule (the integrand decays like e^{−|x|s}); for x ≥ 0 with
// gonum's CDF. It also checks the hazard against a finite difference of
// −log(1 − Φ).
func TestLogNormCDF(t *testing.T) {
	for _, x := range []float64{-200, -60, -30.5, -30, -29.5, -12, -5, -1.3, -0.01} {
		upper := math.Min(40/math.Abs(x), 40)
		ratio := composetest.Simpson(func(s float64) float64 { return math.Exp(x*s - s*s/2) }, upper, 200000)
		want := LogNormPDF(x) + math.Log(ratio)
		if got := LogNormCDF(x); !relClose(got, want, 1e-10) {
			t.Errorf("log Φ(%v) = %.15g, quadrature %.15g", x, got, want)
		}
	}
	n := distuv.UnitNormal
	for _, x := range []float64{0, 0.3, 2, 5, 8} {
		want := math.Log(n.CDF(x))
		if got := LogNormCDF(x); math.Abs(got-want) > 1e-15+1e-12*math.Abs(want) {
			t.Errorf("log Φ(%v) = %.15g, gonum %.15g", x, got, want)
		}
	}
	// far right: log Φ(x) ≈ −(1 − Φ(x)), which log(CDF) would round to 0
	if got := LogNormCDF(10); !(got < 0 && relClose(-got, n.Survival(10), 1e-10)) {
		t.Errorf("log Φ(10) = %g, want −%g", got, n.Survival(10))
	}
	for _, x := range []float64{-3, 0, 1.5, 7, 35, 80} {
		h := 1e-6 * math.Max(1, math.Abs(x))
		fd := -(LogNormSF(x+h) - LogNormSF(x-h)) / (2 * h)
		if got := NormHazard(x); !relClose(got, fd, 1e-6) {
			t.Errorf("hazard(%v) = %.12g, finite difference %.12g", x, got, fd)
		}
	}
	if !math.IsInf(LogNormCDF(math.Inf(-1)), -1) || LogNormCDF(math.Inf(1)) != 0 {
		t.Error("infinite arguments")
	}
}

func TestFitLogGaps(t *testing.T) {
	seqs := composetest.RandomSeqs(1, 30, 12, 3)
	ds := &data.Dataset{Name: "r", NumTypes: 3, Seqs: seqs}
	st, err := FitLogGaps(ds)
	if err != nil {
		t.Fatal(err)
	}
	var logs []float64
	zeros := 0
	for _, s := range seqs {
		for i := 1; i < len(s.Times); i++ {
			if d := s.Times[i] - s.Times[i-1]; d > 0 {
				logs = append(logs, math.Log(d))
			} else {
				zeros++
			}
		}
	}
	mean, sd := stat.MeanStdDev(logs, nil)
	if !relClose(st.Mean, mean, 1e-12) || !relClose(st.Std, sd, 1e-12) || st.Gaps != len(logs) || st.ZeroGaps != zeros || !st.Fitted {
		t.Fatalf("stats %+v, want mean %v std %v gaps %d zeros %d", st, mean, sd, len(logs), zeros)
	}
	if zeros == 0 {
		t.Fatal("test data has no ties")
	}
	if got := st.Standardize(0); got != (math.Log(st.Floor())-st.Mean)/st.Std {
		t.Fatalf("standardised tie %v", got)
	}
	if _, err := FitLogGaps(&data.Dataset{Name: "e", NumTypes: 1, Seqs: []data.Sequence{{Times: []float64{1}, Types: []int{0}}}}); err == nil || !strings.Contains(err.Error(), "no positive") {
		t.Fatalf("no gaps: %v", err)
	}
}

// TestEncoderPaths checks the tape encoder (fused cells, batched, padded)
// against the plain-Go step function, state by state, for every cell, two
// layers and both feature sets.
func TestEncoderPaths(t *testing.T) {
	seqs := composetest.RandomSeqs(2, 6, 9, 4)
	b := batch.PackSeqs(seqs, 4)
	st := LogGapStats{Mean: -0.3, Std: 1.2}
	for _, cell := range []string{CellRNN, CellGRU, CellLSTM} {
		for _, feat := range []string{FeatureLog, FeatureLogLinear} {
			e, err := NewEncoder(EncoderConfig{Cell: cell, Hidden: 5, Layers: 2, EmbedSize: 3, TimeFeatures: feat}, 4)
			if err != nil {
				t.Fatal(err)
			}
			e.Init(engine.NewRand(3))
			randomise(e.Params(), 4, 0.4) // non-zero biases and initial states
			tp := engine.NewTape()
			S := e.Encode(tp, b, &st)
			for col, s := range seqs {
				state := e.NewState()
				prev := s.Start
				for p := 0; p <= len(s.Times); p++ {
					row := S.Data[(p*b.B+col)*5 : (p*b.B+col+1)*5]
					for j, v := range state.Top() {
						if !relClose(row[j], v, 1e-12) {
							t.Fatalf("%s/%s: column %d state %d: tape %v, step %v", cell, feat, col, p, row, state.Top())
						}
					}
					if p < len(s.Times) {
						e.Step(state, s.Times[p]-prev, s.Types[p], &st)
						prev = s.Times[p]
					}
				}
			}
		}
	}
}

// randomise perturbs every value by N(0, sd²) so that zero-initialised
// biases and states take part in the tests.
func randomise(ps []*params.Param, seed uint64, sd float64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, p := range ps {
		for i := range p.Value {
			p.Value[i] += sd * rng.NormFloat64()
		}
	}
}

// TestEncoderGradients checks the encoder's gradient (all its parameters)
// with finite differences through a random linear read-out of its states.
func TestEncoderGradients(t *testing.T) {
	seqs := composetest.RandomSeqs(5, 4, 5, 3)
	b := batch.PackSeqs(seqs, 3)
	st := LogGapStats{Mean: 0.2, Std: 0.8}
	for _, cell := range []string{CellRNN, CellGRU, CellLSTM} {
		e, _ := NewEncoder(EncoderConfig{Cell: cell, Hidden: 3, Layers: 2, TimeFeatures: FeatureLogLinear}, 3)
		e.Init(engine.NewRand(6))
		randomise(e.Params(), 7, 0.3)
		w := make([]float64, (b.L+1)*b.B*3)
		rng := rand.New(rand.NewPCG(8, 8))
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		tp := engine.NewTape()
		loss := func() float64 {
			tp.Reset()
			tp.SetNoGrad(true)
			return tp.WeightedSum(e.Encode(tp, b, &st), w).Item()
		}
		grad := func() {
			tp.Reset()
			tp.SetNoGrad(false)
			tp.Backward(tp.WeightedSum(e.Encode(tp, b, &st), w))
		}
		if err := engine.CheckGradients(e.Params(), loss, grad, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
			t.Errorf("%s: %v", cell, err)
		}
	}
}

// chnSetup returns a random network and first-layer projections.
func chnSetup(seed uint64, in, hidden, layers, k, rows int) (*CumHazardNet, []float64) {
	n := NewCumHazardNet("t.", in, hidden, layers, k)
	n.Init(engine.NewRand(seed))
	randomise(n.Params(), seed+1, 0.3)
	rng := rand.New(rand.NewPCG(seed, 9))
	pre := make([]float64, rows*hidden)
	for i := range pre {
		pre[i] = 1.5 * rng.NormFloat64()
	}
	return n, pre
}

// TestCumHazardDerivative checks the forward-mode derivative D = ∂Φ/∂x of
// the op against central differences of Φ in x, that Φ is increasing in x
// (the monotone parametrisation, whatever the sign of the free weights),
// and that the plain-Go evaluation matches the op.
func TestCumHazardDerivative(t *testing.T) {
	const R, M, H, K = 3, 4, 6, 2
	for _, layers := range []int{1, 3} {
		n, pre := chnSetup(10, 5, H, layers, K, R)
		x := []float64{0, 0.3, 1.7, 6, 0.01, 2, 3, 40, 0.5, 0.5, 9, 1e-3}
		eval := func(x []float64) (phi, d []float64) {
			tp := engine.NewTape()
			p, dd := n.Apply(tp, tp.Const(pre, R, H), x, M)
			return p.Data, dd.Data
		}
		phi, d := eval(x)
		for i := range x {
			h := 1e-6 * math.Max(1, x[i])
			xp := append([]float64(nil), x...)
			xm := append([]float64(nil), x...)
			xp[i] += h
			xm[i] -= h
			pp, _ := eval(xp)
			pm, _ := eval(xm)
			for k := 0; k < K; k++ {
				fd := (pp[i*K+k] - pm[i*K+k]) / (2 * h)
				if !(math.Abs(fd-d[i*K+k]) <= 1e-7+1e-6*math.Abs(fd)) {
					t.Errorf("layers %d point %d type %d: D %.10g, finite difference %.10g", layers, i, k, d[i*K+k], fd)
				}
				if d[i*K+k] <= 0 {
					t.Errorf("layers %d: derivative %g not positive", layers, d[i*K+k])
				}
			}
		}
		// monotone along a fine grid for one state
		var prev []float64
		for _, xv := range []float64{0, 0.1, 0.5, 1, 2, 5, 10, 50} {
			p, _ := eval([]float64{xv, xv, xv, xv, xv, xv, xv, xv, xv, xv, xv, xv})
			if prev != nil {
				for i := range p {
					if p[i] < prev[i] {
						t.Fatalf("layers %d: Φ decreases at x=%v", layers, xv)
					}
				}
			}
			prev = p
		}
		// plain-Go path
		for r := 0; r < R; r++ {
			sn := &scalarNet{n: n}
			// build the scalar net from the projection directly
			s := n.scalar(make([]float64, n.In))
			copy(s.pre, pre[r*H:(r+1)*H])
			sn = s
			pv, dv := make([]float64, K), make([]float64, K)
			for m := 0; m < M; m++ {
				sn.eval(x[r*M+m], pv, dv)
				for k := 0; k < K; k++ {
					i := (r*M+m)*K + k
					if !relClose(pv[k], phi[i], 1e-12) || !relClose(dv[k], d[i], 1e-12) {
						t.Fatalf("scalar path: Φ %v D %v, op %v %v", pv[k], dv[k], phi[i], d[i])
					}
				}
			}
		}
	}
}

// TestCumHazardGradients checks the op's backward pass (first and second
// derivatives: the loss weighs both Φ and ∂Φ/∂x) against finite
// differences over every parameter, through the softplus reparametrisation
// and the first-layer projection of random states.
func TestCumHazardGradients(t *testing.T) {
	const R, M, H, K, In = 3, 2, 4, 3, 5
	for _, layers := range []int{1, 2, 3} {
		n, _ := chnSetup(20+uint64(layers), In, H, layers, K, R)
		rng := rand.New(rand.NewPCG(21, 1))
		states := make([]float64, R*In)
		for i := range states {
			states[i] = rng.NormFloat64()
		}
		x := []float64{0, 0.7, 0.2, 3, 1.1, 0}
		a := make([]float64, R*M*K)
		c := make([]float64, R*M*K)
		for i := range a {
			a[i], c[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		sp := engine.NewParam("states", R, In)
		copy(sp.Value, states)
		ps := append([]*params.Param{sp}, n.Params()...)
		tp := engine.NewTape()
		f := func() *engine.Tensor {
			pre := tp.Linear(tp.Param(sp), tp.Param(n.WIn), tp.Param(n.BIn))
			phi, d := n.Apply(tp, pre, x, M)
			return tp.Add(tp.WeightedSum(phi, a), tp.WeightedSum(tp.Log(d), c))
		}
		loss := func() float64 { tp.Reset(); tp.SetNoGrad(true); return f().Item() }
		grad := func() { tp.Reset(); tp.SetNoGrad(false); tp.Backward(f()) }
		if err := engine.CheckGradients(ps, loss, grad, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
			t.Errorf("layers %d: %v", layers, err)
		}
	}
}

// mixParams returns random raw mixture parameters for R rows of C
// components.
func mixParams(seed uint64, R, C int) (mu, rho, lg []float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	mu, rho, lg = make([]float64, R*C), make([]float64, R*C), make([]float64, R*C)
	for i := range mu {
		mu[i] = rng.NormFloat64()
		rho[i] = 0.5 * rng.NormFloat64()
		lg[i] = rng.NormFloat64()
	}
	return
}

// TestLogNormMixValues compares the op with gonum's log-normal
// distribution (an independent implementation): density and survival of
// a mixture of distuv.LogNormal components at the gap τ.
func TestLogNormMixValues(t *testing.T) {
	const R, C = 6, 3
	mean, std := -0.4, 1.3
	mu, rho, lg := mixParams(1, R, C)
	taus := []float64{0.01, 0.3, 1, 2.5, 40, 1e-4}
	y := make([]float64, R)
	for r, tau := range taus {
		y[r] = (math.Log(tau) - mean) / std
	}
	for _, md := range []int{MixDensity, MixSurvival} {
		mode := make([]int, R)
		for r := range mode {
			mode[r] = md
		}
		want := 0.0
		for r, tau := range taus {
			wsum := 0.0
			for c := 0; c < C; c++ {
				wsum += math.Exp(lg[r*C+c])
			}
			v := 0.0
			for c := 0; c < C; c++ {
				ln := distuv.LogNormal{Mu: mean + std*mu[r*C+c], Sigma: std * math.Exp(rho[r*C+c])}
				w := math.Exp(lg[r*C+c]) / wsum
				if md == MixDensity {
					v += w * ln.Prob(tau)
				} else {
					v += w * ln.Survival(tau)
				}
			}
			want += math.Log(v)
			if md == MixDensity {
				want += math.Log(tau) + math.Log(std) // the op leaves these to the caller
			}
		}
		tp := engine.NewTape()
		got := LogNormMix(tp, tp.Const(mu, R, C), tp.Const(rho, R, C), tp.Const(lg, R, C), y, mode, false, 0).Item()
		if !relClose(got, want, 1e-11) {
			t.Errorf("mode %d: op %.15g, gonum %.15g", md, got, want)
		}
	}
}

// TestLogNormMixGradients checks the op's analytic gradients with finite
// differences, both modes mixed, with and without the scale floor, also
// far in the survival tail.
func TestLogNormMixGradients(t *testing.T) {
	const R, C = 5, 3
	y := []float64{-1, 0.2, 3, 9, -4}
	mode := []int{MixDensity, MixSurvival, MixDensity, MixSurvival, 0}
	for _, floor := range []bool{false, true} {
		mu, rho, lg := mixParams(4, R, C)
		pm, pr, pl := engine.NewParam("mu", R, C), engine.NewParam("rho", R, C), engine.NewParam("lg", R, C)
		copy(pm.Value, mu)
		copy(pr.Value, rho)
		copy(pl.Value, lg)
		ps := []*params.Param{pm, pr, pl}
		tp := engine.NewTape()
		f := func() *engine.Tensor {
			return LogNormMix(tp, tp.Param(pm), tp.Param(pr), tp.Param(pl), y, mode, floor, -0.3)
		}
		loss := func() float64 { tp.Reset(); tp.SetNoGrad(true); return f().Item() }
		grad := func() { tp.Reset(); tp.SetNoGrad(false); tp.Backward(f()) }
		if err := engine.CheckGradients(ps, loss, grad, engine.GradCheck{RelTol: 1e-6, AbsTol: 1e-8}); err != nil {
			t.Errorf("floor %v: %v", floor, err)
		}
		// skipped rows get no gradient
		for c := 0; c < C; c++ {
			if pm.Grad[4*C+c] != 0 || pr.Grad[4*C+c] != 0 || pl.Grad[4*C+c] != 0 {
				t.Fatal("skipped row has a gradient")
			}
		}
	}
}

// TestLogNormDensityMean: the closed-form mean of the independent decoder's
// law equals ∫_0^∞ S(τ) dτ computed from its own survival function by
// Simpson's rule in log-time (τ = e^u, dτ = e^u du).
func TestLogNormDensityMean(t *testing.T) {
	mx := &mixture{lw: []float64{math.Log(0.5), math.Log(0.3), math.Log(0.2)}, mu: []float64{-1, 0.2, 1.1},
		sig: []float64{0.4, 0.9, 0.3}, mean: -0.4, std: 1.3, a: make([]float64, 3)}
	mx.ls = make([]float64, 3)
	for c, s := range mx.sig {
		mx.ls[c] = math.Log(s)
	}
	d := &lnDensity{mx: mx, p: []float64{1}}
	const lo, hi, n = -30.0, 30.0, 200000
	h := (hi - lo) / n
	sum := 0.0
	for i := 0; i <= n; i++ {
		u := lo + float64(i)*h
		w := 2.0
		if i == 0 || i == n {
			w = 1
		} else if i%2 == 1 {
			w = 4
		}
		sum += w * d.Survival(math.Exp(u)) * math.Exp(u)
	}
	want := sum * h / 3
	if got := d.Mean(); !relClose(got, want, 1e-9) {
		t.Errorf("closed-form mean %.15g, ∫S %.15g", got, want)
	}
}
