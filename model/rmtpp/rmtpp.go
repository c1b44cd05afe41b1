// Package rmtpp is the Recurrent Marked Temporal Point Process of Du et al.
// (KDD 2016), written on gotpp's engine.
//
// After each event j an Elman RNN updates its hidden state,
//
//	h_j = tanh(W_y·e_{k_j} + W_t·φ(Δt_j) + W_h·h_{j−1} + b_h),
//
// from the type embedding e_k (size = hidden size) and features φ of the
// inter-event gap Δt_j = t_j − t_{j−1} (Δt_0 = t_0 − window start; gaps,
// not absolute times, so the input does not grow with the clock as in
// EasyTPP's RMTPP). Until the next event the total intensity and the mark
// distribution are
//
//	λ*(t) = exp(v·h_j + b_v + w·(t − t_j)),   p(k) = softmax(V·h_j + b_m)_k,
//
// and the type intensities are λ_k = λ*·p(k). The compensator over a gap of
// length Δ has the closed form exp(v·h_j + b_v)·(exp(w·Δ) − 1)/w, evaluated
// with a series when w·Δ is near 0. A learned initial state h_0 takes the
// place of h_{−1}: it drives the interval from the window start to the first
// event, which the Full likelihood convention scores together with the
// survival term from the last event to the window end. Under the EasyTPP
// convention the first event is history only and the compensator runs from
// the first to the last event.
//
// The model scores padded time-major batches (package batch), splits each
// batch over worker goroutines with one engine tape each (Config.Threads),
// and sums their gradients in a fixed order; Clone gives the shared
// trainer's data-parallel workers a copy with shared values and private
// gradients instead. LossAndGrad trains under Config.Convention (Full by
// default); BatchLogLik and DatasetLogLik score under either convention. It
// registers itself as "rmtpp" with package model (and so with runs.Load).
package rmtpp

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/train"
)

// Name is the model's name in run directories.
const Name = "rmtpp"

// Time features of the inter-event gap fed to the RNN.
const (
	FeatureLog1p  = "log1p"  // log(1 + Δt/τ)
	FeatureLinear = "linear" // Δt/τ
	FeatureBoth   = "both"   // both of the above
)

// Config holds the model's settings.
type Config struct {
	// HiddenSize is the size of the RNN state and of the type embedding
	// (default 32).
	HiddenSize int `json:"hidden_size"`
	// TimeScale τ divides the gaps before the time features (default 1);
	// set it to the typical gap of the data (e.g. the mean Δt).
	TimeScale float64 `json:"time_scale"`
	// TimeFeature is log1p (default), linear or both.
	TimeFeature string `json:"time_feature"`
	// Convention is the likelihood convention LossAndGrad trains with:
	// "full" (default) or "easytpp".
	Convention string `json:"convention,omitempty"`
	// Threads is the number of worker goroutines a batch is split over
	// (0: GOMAXPROCS). Results are deterministic for a fixed value.
	Threads int `json:"threads,omitempty"`
	// ChunkTokens bounds the padded positions (sequences × length) of one
	// forward and backward pass within a worker's part of a batch: the part
	// runs in column chunks of at most that many positions (at least one
	// sequence each) whose gradients are summed, so that a pass's
	// activations stay in the core's cache (default 512, also for 0).
	// Results depend on it only through rounding.
	ChunkTokens int `json:"chunk_tokens,omitempty"`
}

// DefaultConfig is hidden size 32 (EasyTPP's RMTPP_train), τ = 1, log1p
// time feature, Full convention, chunks of 512 positions.
func DefaultConfig() Config {
	return Config{HiddenSize: 32, TimeScale: 1, TimeFeature: FeatureLog1p, Convention: "full", ChunkTokens: 512}
}

// withDefaults fills zero fields and validates.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.HiddenSize == 0 {
		c.HiddenSize = d.HiddenSize
	}
	if c.TimeScale == 0 {
		c.TimeScale = d.TimeScale
	}
	if c.ChunkTokens == 0 {
		c.ChunkTokens = d.ChunkTokens
	}
	if c.TimeFeature == "" {
		c.TimeFeature = d.TimeFeature
	}
	if c.Convention == "" {
		c.Convention = d.Convention
	}
	if c.HiddenSize < 1 {
		return c, fmt.Errorf("rmtpp: field hidden_size: %d, want >= 1", c.HiddenSize)
	}
	if !(c.TimeScale > 0) || math.IsInf(c.TimeScale, 0) {
		return c, fmt.Errorf("rmtpp: field time_scale: %v, want a finite value > 0", c.TimeScale)
	}
	switch c.TimeFeature {
	case FeatureLog1p, FeatureLinear, FeatureBoth:
	default:
		return c, fmt.Errorf("rmtpp: field time_feature: %q, want %s, %s or %s", c.TimeFeature, FeatureLog1p, FeatureLinear, FeatureBoth)
	}
	if _, err := likelihood.ParseConvention(c.Convention); err != nil {
		return c, fmt.Errorf("rmtpp: field convention: %w", err)
	}
	if c.Threads < 0 {
		return c, fmt.Errorf("rmtpp: field threads: %d, want >= 0", c.Threads)
	}
	if c.ChunkTokens < 0 {
		return c, fmt.Errorf("rmtpp: field chunk_tokens: %d, want >= 1", c.ChunkTokens)
	}
	return c, nil
}

func (c Config) numFeatures() int {
	if c.TimeFeature == FeatureBoth {
		return 2
	}
	return 1
}

var (
	_ train.Model  = (*Model)(nil)
	_ train.Cloner = (*Model)(nil)
)

// Model is an RMTPP with its parameters. Its methods that score batches
// are not safe for concurrent use (they share the workers' tapes).
type Model struct {
	cfg Config
	k   int

	emb, wy, bh, wt, wh, h0 *params.Param
	v, bv, w, wm, bm        *params.Param
	ps                      []*params.Param

	run    *runner.Runner                 // workers over sub-batches
	prefix predict.PrefixCache[[]float64] // NextAfter's encoded prefixes
}

// New returns an RMTPP for numTypes event types with parameters drawn from
// seed: Xavier-uniform matrices and embedding, zero biases and initial
// state, w = 0, and b_v = −log τ (so that the initial intensity is about one
// event per τ).
func New(cfg Config, numTypes int, seed uint64) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if numTypes < 1 {
		return nil, fmt.Errorf("rmtpp: %d event types, want >= 1", numTypes)
	}
	m := newShell(cfg, numTypes)
	H, K, F := cfg.HiddenSize, numTypes, cfg.numFeatures()
	rng := engine.NewRand(seed)
	engine.InitXavier(m.emb, K, H, rng)
	engine.InitXavier(m.wy, H, H, rng)
	engine.InitXavier(m.wt, F, H, rng)
	engine.InitXavier(m.wh, H, H, rng)
	engine.InitXavier(m.v, H, 1, rng)
	engine.InitXavier(m.wm, H, K, rng)
	m.bv.Value[0] = -math.Log(cfg.TimeScale)
	return m, nil
}

// newShell allocates the parameters (zero) and the batch runner.
func newShell(cfg Config, k int) *Model {
	H, F := cfg.HiddenSize, cfg.numFeatures()
	conv, _ := likelihood.ParseConvention(cfg.Convention)
	m := &Model{cfg: cfg, k: k}
	m.emb = engine.NewParam("emb", k, H)
	m.wy = engine.NewParam("w_y", H, H)
	m.bh = engine.NewParam("b_h", H)
	m.wt = engine.NewParam("w_t", F, H)
	m.wh = engine.NewParam("w_h", H, H)
	m.h0 = engine.NewParam("h0", H)
	m.v = engine.NewParam("v", H, 1)
	m.bv = engine.NewParam("b_v", 1)
	m.w = engine.NewParam("w", 1)
	m.wm = engine.NewParam("w_mark", H, k)
	m.bm = engine.NewParam("b_mark", k)
	m.ps = []*params.Param{m.emb, m.wy, m.bh, m.wt, m.wh, m.h0, m.v, m.bv, m.w, m.wm, m.bm}
	m.run = runner.New(Name, k, m.ps, cfg.Threads, m.forward)
	m.run.ChunkTokens = cfg.ChunkTokens
	m.run.Train = conv
	return m
}

// Config returns the model's configuration (defaults filled in).
func (m *Model) Config() Config { return m.cfg }

// NumTypes is the number of event types K.
func (m *Model) NumTypes() int { return m.k }

// Params returns the trainable parameters in a fixed order.
func (m *Model) Params() []*params.Param { return m.ps }

// SetThreads changes the number of worker goroutines (0: GOMAXPROCS).
func (m *Model) SetThreads(n int) {
	m.cfg.Threads = max(n, 0)
	m.run.SetThreads(m.ps, n)
}

// LossAndGrad computes the negative log-likelihood of batch b under the
// configured convention (Full by default; summed over the batch, not
// averaged) and adds its gradient into the parameters' Grad. It returns the
// loss and the number of events scored.
func (m *Model) LossAndGrad(b *batch.Batch) (negLogLik float64, numEvents int) {
	return m.run.LossAndGrad(b)
}

// Clone returns a model that shares the parameter values with m but has its
// own gradient buffers and scratch space, running one worker goroutine (the
// trainer's data-parallel workers; see train.Cloner).
func (m *Model) Clone() train.Model {
	cfg := m.cfg
	cfg.Threads = 1
	c := newShell(cfg, m.k)
	for i, p := range c.ps {
		p.Value = m.ps[i].Value
	}
	return c
}

// BatchLogLik scores batch b under convention c without gradients.
func (m *Model) BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts {
	return m.run.BatchLogLik(b, c)
}

// DatasetLogLik scores every sequence of ds under convention c, in
// length-sorted batches (so that likelihood.Evaluate works on the model).
func (m *Model) DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error) {
	return m.run.DatasetLogLik(ds, c)
}

// forward builds the log-likelihood of batch b under convention c on tape
// t and returns it (a scalar tensor) with its parts.
//
// Time-major layout: for column col with n events there are n+1 intervals
// p = 0..n; interval p ends at event p (p < n) or at the window end (p = n,
// the survival term) and starts at event p−1 (at the window start for
// p = 0), where the state is h_{p−1} (h0 for p = 0). Row p·B+col of the
// state stack S holds that state.
func (m *Model) forward(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts) {
	B, L, H := b.B, b.L, m.cfg.HiddenSize
	P := L + 1
	F := m.cfg.numFeatures()

	// RNN inputs: type index (−1 at padding: zero embedding) and features.
	typeIdx := t.Ints(L * B)
	phi := t.Floats(L * B * F)
	tau := m.cfg.TimeScale
	for i := 0; i < L*B; i++ {
		if b.Mask[i] == 0 {
			typeIdx[i] = -1
			continue
		}
		typeIdx[i] = b.Types[i]
		x := b.Dt[i] / tau
		switch m.cfg.TimeFeature {
		case FeatureLog1p:
			phi[i] = math.Log1p(x)
		case FeatureLinear:
			phi[i] = x
		default:
			phi[2*i], phi[2*i+1] = math.Log1p(x), x
		}
	}

	// Per interval: its length, the scored event type (−1: none), whether
	// the event term and the compensator count.
	delta := t.Floats(P * B)
	evType := t.Ints(P * B)
	evMask := t.Floats(P * B)
	intMask := t.Floats(P * B)
	for i := range evType {
		evType[i] = -1
	}
	scored := 0
	for col := 0; col < B; col++ {
		n := b.Lens[col]
		for p := 0; p <= n; p++ {
			r := p*B + col
			if p < n {
				delta[r] = b.Dt[r]
			} else {
				delta[r] = b.Tail[col]
			}
			var ev, in bool
			if c == likelihood.EasyTPP {
				ev = p >= 1 && p < n
				in = p >= 1 && p < n
			} else {
				ev = p < n
				in = true
			}
			if ev {
				evType[r] = b.Types[r]
				evMask[r] = 1
				scored++
			}
			if in {
				intMask[r] = 1
			}
		}
	}

	emb, wy, bh, wt, wh := t.Param(m.emb), t.Param(m.wy), t.Param(m.bh), t.Param(m.wt), t.Param(m.wh)
	h0, v, bv, w, wm, bm := t.Param(m.h0), t.Param(m.v), t.Param(m.bv), t.Param(m.w), t.Param(m.wm), t.Param(m.bm)

	// W_y·e_k + b_h is computed once per type ([K, H]) and then looked up:
	// the same as projecting every gathered embedding, at a fraction of the
	// cost. Padded positions get a zero row; they never reach a scored term.
	typeProj := t.Linear(emb, wy, bh)
	x := t.Add(t.Gather(typeProj, typeIdx), t.Linear(t.Const(phi, L*B, F), wt, nil)) // [L·B, H]
	states := t.TensorList(P)
	h := t.Gather(t.Reshape(h0, 1, H), t.Ints(B)) // h0 in every column
	states[0] = h
	for j := 0; j < L; j++ {
		h = t.RNNCell(t.Rows(x, j*B, (j+1)*B), h, wh)
		states[j+1] = h
	}
	s := t.ConcatRows(states...) // [P·B, H]

	markLL := t.WeightedSum(t.PickLogSoftmax(t.Linear(s, wm, bm), evType), evMask)
	timeLL := expIntervalLL(t, t.Linear(s, v, bv), w, delta, evMask, intMask)
	ll := t.Add(timeLL, markLL)
	parts := likelihood.Parts{
		TimeLL:    timeLL.Item(),
		MarkLL:    markLL.Item(),
		LogLik:    ll.Item(),
		NumEvents: scored,
		NumSeqs:   B,
	}
	return ll, parts
}

// expIntervalLL is the time part of the log-likelihood for intensities
// exp(c_r + w·s) on intervals s ∈ [0, Δ_r]:
//
//	Σ_r evMask_r·(c_r + w·Δ_r) − Σ_r intMask_r·Λ_r,  Λ_r = ∫_0^Δ_r exp(c_r + w·s) ds.
//
// c is [R, 1], w a 1-element parameter. It is a custom engine op: the
// forward pass stores ∂/∂c_r and ∂/∂w of each row for the backward pass.
func expIntervalLL(t *engine.Tape, c, w *engine.Tensor, delta, evMask, intMask []float64) *engine.Tensor {
	R := len(delta)
	out := t.New()
	wv := w.Data[0]
	cache := t.Floats(2 * R) // ∂/∂c_r, then ∂/∂w per row
	dc, dw := cache[:R], cache[R:]
	sum := 0.0
	for r, d := range delta {
		if evMask[r] != 0 {
			sum += evMask[r] * (c.Data[r] + wv*d)
			dc[r] += evMask[r]
			dw[r] += evMask[r] * d
		}
		if intMask[r] != 0 {
			lam, dlam := expIntegral(c.Data[r], wv, d)
			sum -= intMask[r] * lam
			dc[r] -= intMask[r] * lam // ∂Λ/∂c = Λ
			dw[r] -= intMask[r] * dlam
		}
	}
	out.Data[0] = sum
	t.Record(expIntervalOp{}, engine.Node{Out: [4]*engine.Tensor{out}, In: [6]*engine.Tensor{c, w}, Cache: cache})
	return out
}

type expIntervalOp struct{}

func (expIntervalOp) Backward(t *engine.Tape, n *engine.Node) {
	c, w := n.In[0], n.In[1]
	g := n.Out[0].Grad[0]
	R := len(n.Cache) / 2
	if c.Grad != nil {
		for r, v := range n.Cache[:R] {
			c.Grad[r] += g * v
		}
	}
	if w.Grad != nil {
		s := 0.0
		for _, v := range n.Cache[R:] {
			s += v
		}
		w.Grad[0] += g * s
	}
}

// expIntegral returns Λ = ∫_0^Δ exp(c + w·s) ds = exp(c)·Δ·φ(wΔ) with
// φ(x) = (eˣ − 1)/x, and ∂Λ/∂w = exp(c)·Δ²·φ'(x), using Taylor series when
// |x| = |wΔ| < 1e-3 (error below 1e-17 relative) and otherwise
// formulas that do not overflow when exp(c) alone would not.
func expIntegral(c, w, d float64) (lam, dlamDw float64) {
	if d == 0 {
		return 0, 0
	}
	x := w * d
	if math.Abs(x) < 1e-3 {
		phi := 1 + x*(1.0/2+x*(1.0/6+x*(1.0/24+x*(1.0/120+x/720))))
		dphi := 1.0/2 + x*(1.0/3+x*(1.0/8+x*(1.0/30+x/144)))
		e := math.Exp(c)
		return e * d * phi, e * d * d * dphi
	}
	if x > 0 {
		// exp(c+x)·(1 − e^{−x})/w
		ex := math.Exp(c + x)
		lam = ex * (-math.Expm1(-x)) / w
		return lam, (d*ex - lam) / w
	}
	e := math.Exp(c)
	lam = e * math.Expm1(x) / w
	return lam, (d*e*math.Exp(x) - lam) / w
}
