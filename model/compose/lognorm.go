package compose

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// Row modes of LogNormMix.
const (
	MixDensity  = 1 // log g(y): the mixture density of the standardised log-gap
	MixSurvival = 2 // log(1 − G(y)): the mixture survival function
)

type lnmixOp struct{}

// LogNormMix is the engine op of the log-normal mixture block. Row r of
// mu, rho and logit ([R, C] each) describes a C-component Gaussian mixture
// for the standardised log-gap y = (log τ − mean)/std:
//
//	g(y) = Σ_c w_c N(y; μ_c, σ_c²),  w = softmax(logit),  σ_c = exp(ρ'_c),
//
// with ρ' = lo + softplus(ρ − lo) when floor is true (a smooth lower bound
// e^lo on the scales, which keeps a component from collapsing onto tied
// gaps) and ρ' = ρ otherwise. The op returns Σ_r ℓ_r with
// ℓ_r = log g(y_r) for mode[r] == MixDensity and log(1 − G(y_r)) (G the
// mixture CDF, through LogNormSF) for MixSurvival; rows with another mode
// are skipped. The log-normal density of τ itself is
// log g(y) − log τ − log std, whose last two terms do not depend on the
// inputs and are left to the caller. Gradients are analytic: with q_c the
// posterior weight of component c in ℓ_r, z_c = (y − μ_c)/σ_c and
// h(z) = φ(z)/(1 − Φ(z)),
//
//	density:  ∂ℓ/∂μ_c = q_c z_c/σ_c,  ∂ℓ/∂ρ'_c = q_c (z_c² − 1),
//	survival: ∂ℓ/∂μ_c = q_c h(z_c)/σ_c, ∂ℓ/∂ρ'_c = q_c h(z_c) z_c,
//	both:     ∂ℓ/∂logit_c = q_c − w_c.
func LogNormMix(t *engine.Tape, mu, rho, logit *engine.Tensor, y []float64, mode []int, floor bool, lo float64) *engine.Tensor {
	R, C := mu.Rows(), mu.Cols()
	if rho.Rows() != R || rho.Cols() != C || logit.Rows() != R || logit.Cols() != C || len(y) != R || len(mode) != R {
		panic(fmt.Sprintf("compose: LogNormMix with mu %v, rho %v, logit %v, %d points, %d modes", mu.Shape(), rho.Shape(), logit.Shape(), len(y), len(mode)))
	}
	out := t.New()
	cache := t.Floats(3 * R * C) // ∂ℓ/∂μ, ∂ℓ/∂ρ, ∂ℓ/∂logit
	gMu, gRho, gLg := cache[:R*C], cache[R*C:2*R*C], cache[2*R*C:]
	// Density rows (all but a few) are computed for all rows at once, the
	// exponentials through internal/vecmath: per row only the two
	// log-sum-exps' logarithms are scalar calls. Survival rows (one per
	// sequence) are recomputed below by the scalar loop.
	n := R * C
	work := t.Floats(5*n + 2*R)
	rp, drp, isig, e, a := work[:n], work[n:2*n], work[2*n:3*n], work[3*n:4*n], work[4*n:5*n]
	lgMax, aMax := work[5*n:5*n+R], work[5*n+R:] // per row, the largest logit and a
	if floor {
		for i, v := range rho.Data[:n] {
			e[i] = v - lo
		}
		vecmath.SoftplusSigmoid(rp, drp, e)
		for i := range rp {
			rp[i] += lo
		}
	} else {
		copy(rp, rho.Data[:n])
		for i := range drp {
			drp[i] = 1
		}
	}
	for i, v := range rp {
		isig[i] = -v
	}
	vecmath.Exp(isig, isig) // 1/σ
	// softmax weights: e = exp(logit − row max)
	rowMax := func(x []float64, r int) float64 {
		m := x[r*C]
		for _, v := range x[r*C+1 : (r+1)*C] {
			if v > m {
				m = v
			}
		}
		return m
	}
	lg := logit.Data[:n]
	for r := 0; r < R; r++ {
		m := rowMax(lg, r)
		lgMax[r] = m
		for c := r * C; c < (r+1)*C; c++ {
			e[c] = lg[c] - m
		}
	}
	vecmath.Exp(e, e)
	sum := 0.0
	for r := 0; r < R; r++ {
		if mode[r] != MixDensity {
			continue
		}
		base := r * C
		s := 0.0
		for _, v := range e[base : base+C] {
			s += v
		}
		lse := lgMax[r] + math.Log(s)
		inv := 1 / s
		for c := base; c < base+C; c++ {
			z := (y[r] - mu.Data[c]) * isig[c]
			a[c] = lg[c] - lse + LogNormPDF(z) - rp[c]
			gMu[c] = z * isig[c]
			gRho[c] = (z*z - 1) * drp[c]
			e[c] *= inv // w_c
		}
	}
	// posterior weights q = exp(a − row max)/Σ, in one exp over the
	// density rows' block (other rows hold zeros)
	for r := 0; r < R; r++ {
		if mode[r] != MixDensity {
			continue
		}
		m := rowMax(a, r)
		for c := r * C; c < (r+1)*C; c++ {
			a[c] -= m
		}
		aMax[r] = m
	}
	q := rp // rp is no longer needed
	vecmath.Exp(q, a)
	for r := 0; r < R; r++ {
		if mode[r] != MixDensity {
			continue
		}
		base := r * C
		m := aMax[r]
		s := 0.0
		for _, v := range q[base : base+C] {
			s += v
		}
		sum += m + math.Log(s)
		inv := 1 / s
		for c := base; c < base+C; c++ {
			qc := q[c] * inv
			gMu[c] *= qc
			gRho[c] *= qc
			gLg[c] = qc - e[c]
		}
	}
	// survival rows, scalar
	as := make([]float64, C) // log w_c + log term_c
	lw := make([]float64, C) // log w_c
	for r := 0; r < R; r++ {
		if mode[r] != MixSurvival {
			continue
		}
		base := r * C
		copy(lw, logit.Data[base:base+C])
		lse := logSumExp(lw)
		for c := range lw {
			lw[c] -= lse
		}
		for c := 0; c < C; c++ {
			rp, drp := rho.Data[base+c], 1.0
			if floor {
				rp, drp = lo+engine.Softplus(rho.Data[base+c]-lo), engine.Sigmoid(rho.Data[base+c]-lo)
			}
			sig := math.Exp(rp)
			z := (y[r] - mu.Data[base+c]) / sig
			as[c] = lw[c] + LogNormSF(z)
			h := NormHazard(z)
			gMu[base+c] = h / sig
			gRho[base+c] = h * z * drp
		}
		l := logSumExp(as)
		sum += l
		for c := 0; c < C; c++ {
			q := math.Exp(as[c] - l)
			gMu[base+c] *= q
			gRho[base+c] *= q
			gLg[base+c] = q - math.Exp(lw[c])
		}
	}
	out.Data[0] = sum
	t.Record(lnmixOp{}, engine.Node{Out: [4]*engine.Tensor{out}, In: [6]*engine.Tensor{mu, rho, logit}, Cache: cache})
	return out
}

func (lnmixOp) Backward(t *engine.Tape, n *engine.Node) {
	g := n.Out[0].Grad[0]
	k := len(n.Cache) / 3
	for i, x := range n.In[:3] {
		if x.Grad == nil {
			continue
		}
		for j, v := range n.Cache[i*k : (i+1)*k] {
			x.Grad[j] += g * v
		}
	}
}

// DefaultMinLogScale is the default smooth lower bound on the log-scales
// of the mixture components (in standardised log-gap units).
const DefaultMinLogScale = -5.0

// LogNormMixDecoder is the intensity-free decoder of Shchur et al. (2020):
// a mark head p(k | h) and a log-normal mixture density of the gap τ whose
// parameters are an affine function of the history state,
//
//	[μ, ρ, logit] = h·W + b,  y = (log τ − mean)/std,  f(τ) = g(y)/(τ·std),
//
// with mean and std the log-gap statistics stored with the model. The
// likelihood is exact: log f(τ) + log p(k) at events and log S(Δ) = log(1 −
// G(y)) for the survival term. Gaps below the tie floor are raised to it
// (LogGapStats.Floor).
//
// Without mark conditioning (the paper's model) time and mark are
// independent given the history. With MarkConditioned the mixture
// parameters depend on the mark as well ([μ, ρ, logit]_k = h·W_k + b_k, one
// affine map per type): f(τ | k, h), whose survival term is
// log Σ_k p(k | h) S_k(Δ) and whose marked intensity is
// λ_k(τ) = p(k) f_k(τ)/S(τ). In both cases the reported time part is the
// marginal log f(τ) = log Σ_k p(k) f_k(τ) and the mark part log p(k | τ).
type LogNormMixDecoder struct {
	k, m        int
	conditioned bool
	floor       bool
	lo          float64
	mark        *MarkHead
	w, b        *params.Param // [H, Cw·3M], [Cw·3M]
	ps          []*params.Param
}

// NewLogNormMixDecoder returns the decoder for states of size in, k types
// and m components; lo is the smooth lower bound on the log-scales (floor
// false: none).
func NewLogNormMixDecoder(in, k, m int, conditioned, floor bool, lo float64) *LogNormMixDecoder {
	cw := 1
	if conditioned {
		cw = k
	}
	d := &LogNormMixDecoder{k: k, m: m, conditioned: conditioned, floor: floor, lo: lo,
		mark: NewMarkHead("dec.mark_", in, k),
		w:    engine.NewParam("dec.time_w", in, cw*3*m),
		b:    engine.NewParam("dec.time_b", cw*3*m)}
	d.ps = []*params.Param{d.mark.W, d.mark.B, d.w, d.b}
	return d
}

// Kind is KindLogNormMix.
func (d *LogNormMixDecoder) Kind() string { return KindLogNormMix }

// Params returns the mark head's and the mixture map's parameters.
func (d *LogNormMixDecoder) Params() []*params.Param { return d.ps }

// Init draws Xavier-uniform weights; the bias of the component means is
// spread over [−1, 1] (standardised units), scales and weights start at 1
// and uniform.
func (d *LogNormMixDecoder) Init(rng *rand.Rand) {
	d.mark.Init(rng)
	engine.InitXavier(d.w, d.w.Shape[0], 3*d.m, rng)
	clear(d.b.Value)
	for blk := 0; blk < len(d.b.Value)/(3*d.m); blk++ {
		for c := 0; c < d.m; c++ {
			v := 0.0
			if d.m > 1 {
				v = -1 + 2*float64(c)/float64(d.m-1)
			}
			d.b.Value[blk*3*d.m+c] = v
		}
	}
}

func (d *LogNormMixDecoder) slices(t *engine.Tape, th *engine.Tensor) (mu, rho, lg *engine.Tensor) {
	M := d.m
	return t.SliceLast(th, 0, M), t.SliceLast(th, M, 2*M), t.SliceLast(th, 2*M, 3*M)
}

// LogLik is Σ_events [log f(Δ_i | k_i) + log p(k_i)] + Σ_tails log S(Δ).
func (d *LogNormMixDecoder) LogLik(t *engine.Tape, s *engine.Tensor, iv *Intervals, st *LogGapStats) (*engine.Tensor, Split) {
	N, K, M := iv.Len(), d.k, d.m
	if N == 0 {
		return t.Scalar(0), Split{}
	}
	nev, nt := len(iv.Events), len(iv.Tails)
	logStd := math.Log(st.Std)
	z := st.scaler()
	lgs := t.FloatsNoZero(N) // log max(Δ, floor) of every interval
	for i, dl := range iv.Delta {
		lgs[i] = z.logGap(dl)
	}
	evIdx, tIdx := t.Ints(nev), t.Ints(nt)
	types := t.Ints(nev)
	constTerm := 0.0
	for j, i := range iv.Events {
		evIdx[j], types[j] = i, iv.Type[i]
		constTerm -= lgs[i] + logStd
	}
	copy(tIdx, iv.Tails)

	var ll *engine.Tensor
	var lpEv *engine.Tensor // [nev, K]
	markSum := 0.0
	if nev > 0 {
		lpEv = d.mark.LogProbs(t, t.Gather(s, evIdx))
		ll = t.Sum(t.Pick(lpEv, types))
		markSum = ll.Item()
	}
	add := func(x *engine.Tensor) {
		if ll == nil {
			ll = x
		} else {
			ll = t.Add(ll, x)
		}
	}
	th := t.Linear(s, t.Param(d.w), t.Param(d.b)) // [N, Cw·3M]
	var sp Split
	if !d.conditioned {
		y := t.Floats(N)
		mode := t.Ints(N)
		for i := range iv.Delta {
			y[i] = (lgs[i] - z.mean) / z.std
			mode[i] = MixDensity
			if iv.Type[i] < 0 {
				mode[i] = MixSurvival
			}
		}
		mu, rho, lg := d.slices(t, th)
		tl := LogNormMix(t, mu, rho, lg, y, mode, d.floor, d.lo)
		add(tl)
		sp.TimeLL = tl.Item() + constTerm
		sp.MarkLL = markSum // time and mark independent given the history
	} else {
		all := t.Reshape(th, N*K, 3*M)
		if nev > 0 {
			rows := t.Ints(nev)
			y := t.Floats(nev)
			mode := t.Ints(nev)
			for j, i := range iv.Events {
				rows[j] = i*K + iv.Type[i]
				y[j] = (lgs[i] - z.mean) / z.std
				mode[j] = MixDensity
			}
			mu, rho, lg := d.slices(t, t.Gather(all, rows))
			add(LogNormMix(t, mu, rho, lg, y, mode, d.floor, d.lo))
			// parts: the marginal time density log Σ_k p_k f_k(τ) and
			// log p(k | τ), from the values (no gradient needed)
			a, scratch := make([]float64, K), make([]float64, M)
			for j, i := range iv.Events {
				yy := y[j]
				for k := 0; k < K; k++ {
					a[k] = lpEv.Data[j*K+k] + d.logMix(all.Data[(i*K+k)*3*M:(i*K+k+1)*3*M], yy, scratch)
				}
				tot := logSumExp(a)
				sp.TimeLL += tot
				sp.MarkLL += a[types[j]] - tot
			}
			sp.TimeLL += constTerm
		}
		if nt > 0 {
			rows := t.Ints(nt * K)
			y := t.Floats(nt)
			mode := t.Ints(nt)
			for j, i := range iv.Tails {
				for k := 0; k < K; k++ {
					rows[j*K+k] = i*K + k
				}
				y[j] = (lgs[i] - z.mean) / z.std
				mode[j] = MixSurvival
			}
			lpT := d.mark.LogProbs(t, t.Gather(s, tIdx)) // [nt, K]
			mu, rho, lg := d.slices(t, t.Gather(all, rows))
			lg = t.Add(t.LogSoftmax(lg), t.Reshape(lpT, nt*K, 1))
			tl := LogNormMix(t, t.Reshape(mu, nt, K*M), t.Reshape(rho, nt, K*M), t.Reshape(lg, nt, K*M), y, mode, d.floor, d.lo)
			add(tl)
			sp.TimeLL += tl.Item()
		}
	}
	ll = t.AddScalar(ll, constTerm)
	return ll, sp
}

// logMix evaluates the mixture's log-density log g(y) for one block of
// raw parameters [μ (M) | ρ (M) | logit (M)]; a is scratch of length M.
func (d *LogNormMixDecoder) logMix(p []float64, y float64, a []float64) float64 {
	M := d.m
	lse := logSumExp(p[2*M : 3*M])
	for c := 0; c < M; c++ {
		rp := d.logScale(p[M+c])
		a[c] = p[2*M+c] - lse + LogNormPDF((y-p[c])/math.Exp(rp)) - rp
	}
	return logSumExp(a)
}

func (d *LogNormMixDecoder) logScale(rho float64) float64 {
	if d.floor {
		return d.lo + engine.Softplus(rho-d.lo)
	}
	return rho
}

// mixture is one log-normal mixture in standardised log-gap units.
type mixture struct {
	lw, mu, ls, sig []float64 // log weights, means, log scales, scales
	mean, std       float64   // log-gap statistics
	a               []float64 // scratch
}

func (d *LogNormMixDecoder) mixtureOf(p []float64, st *LogGapStats) *mixture {
	M := d.m
	mx := &mixture{lw: make([]float64, M), mu: make([]float64, M), ls: make([]float64, M), sig: make([]float64, M),
		mean: st.Mean, std: st.Std, a: make([]float64, M)}
	lse := logSumExp(p[2*M : 3*M])
	for c := 0; c < M; c++ {
		mx.mu[c] = p[c]
		mx.ls[c] = d.logScale(p[M+c])
		mx.sig[c] = math.Exp(mx.ls[c])
		mx.lw[c] = p[2*M+c] - lse
	}
	return mx
}

// logDensity is log f(τ) for τ > 0 (−Inf for τ ≤ 0).
func (mx *mixture) logDensity(tau float64) float64 {
	if !(tau > 0) {
		return math.Inf(-1)
	}
	lt := math.Log(tau)
	y := (lt - mx.mean) / mx.std
	for c := range mx.a {
		mx.a[c] = mx.lw[c] + LogNormPDF((y-mx.mu[c])/mx.sig[c]) - mx.ls[c]
	}
	return logSumExp(mx.a) - lt - math.Log(mx.std)
}

// logSurvival is log P(gap > τ) (0 for τ ≤ 0).
func (mx *mixture) logSurvival(tau float64) float64 {
	if !(tau > 0) {
		return 0
	}
	y := (math.Log(tau) - mx.mean) / mx.std
	for c := range mx.a {
		mx.a[c] = mx.lw[c] + LogNormSF((y-mx.mu[c])/mx.sig[c])
	}
	return min(logSumExp(mx.a), 0)
}

// Next returns the law of the next event: for the independent model a
// predict.Density (mixture density and survival, mark probabilities)
// through predict.FromDensity; for the mark-conditioned model the marked
// intensities p(k) f_k(τ)/S(τ) with the exact compensator −log S(τ).
func (d *LogNormMixDecoder) Next(h []float64, st *LogGapStats) predict.Next {
	if dens, ok := d.Density(h, st); ok {
		return predict.FromDensity(dens)
	}
	K, M := d.k, d.m
	lp := make([]float64, K)
	d.mark.LogProbsOf(h, lp)
	th := make([]float64, len(d.b.Value))
	affine(h, d.w.Value, d.b.Value, th)
	jn := &lnJoint{lp: lp, mx: make([]*mixture, K), a: make([]float64, K)}
	for k := 0; k < K; k++ {
		jn.mx[k] = d.mixtureOf(th[k*3*M:(k+1)*3*M], st)
	}
	return jn
}

// Density returns the law of the next event after history state h as a
// predict.Density (mixture density and survival of the gap, mark
// probabilities); ok is false for the mark-conditioned model, whose mark
// distribution depends on the time.
func (d *LogNormMixDecoder) Density(h []float64, st *LogGapStats) (dens predict.Density, ok bool) {
	if d.conditioned {
		return nil, false
	}
	lp := make([]float64, d.k)
	d.mark.LogProbsOf(h, lp)
	th := make([]float64, len(d.b.Value))
	affine(h, d.w.Value, d.b.Value, th)
	ld := &lnDensity{mx: d.mixtureOf(th, st), p: make([]float64, d.k)}
	for k, v := range lp {
		ld.p[k] = math.Exp(v)
	}
	return ld, true
}

// lnDensity is the independent model's law as a predict.Density.
type lnDensity struct {
	mx *mixture
	p  []float64
}

func (l *lnDensity) NumTypes() int                  { return len(l.p) }
func (l *lnDensity) TimeDensity(dt float64) float64 { return math.Exp(l.mx.logDensity(dt)) }
func (l *lnDensity) Survival(dt float64) float64    { return math.Exp(l.mx.logSurvival(dt)) }
func (l *lnDensity) MarkProbs(out []float64)        { copy(out, l.p) }

// Mean is E[τ] in closed form: log τ = mean + std·y with y a normal mixture,
// so E[τ] = Σ_c w_c exp(mean + std·μ_c + (std·σ_c)²/2) (summed in log space;
// +Inf on overflow, which makes predict fall back to quadrature).
func (l *lnDensity) Mean() float64 {
	mx := l.mx
	for c := range mx.a {
		s := mx.std * mx.sig[c]
		mx.a[c] = mx.lw[c] + mx.mean + mx.std*mx.mu[c] + s*s/2
	}
	return math.Exp(logSumExp(mx.a))
}

var _ predict.MeanDensity = (*lnDensity)(nil)

// lnJoint is the mark-conditioned model's law: λ_k(τ) = p_k f_k(τ)/S(τ),
// S(τ) = Σ_k p_k S_k(τ).
type lnJoint struct {
	lp []float64
	mx []*mixture
	a  []float64
}

func (j *lnJoint) NumTypes() int { return len(j.lp) }

func (j *lnJoint) logS(dt float64) float64 {
	for k, mx := range j.mx {
		j.a[k] = j.lp[k] + mx.logSurvival(dt)
	}
	return min(logSumExp(j.a), 0)
}

func (j *lnJoint) Intensities(dt float64, out []float64) {
	if !(dt > 0) {
		clear(out)
		return
	}
	ls := j.logS(dt)
	for k, mx := range j.mx {
		out[k] = math.Exp(j.lp[k] + mx.logDensity(dt) - ls)
	}
}

func (j *lnJoint) Compensator(dt float64) float64 { return -j.logS(dt) }
