// Package sahp is the Self-Attentive Hawkes Process of Zhang et al. (ICML
// 2020), written on gotpp's engine.
//
// Event j (type k_j at time t_j, u_j = (t_j − Start)/τ in units of the time
// scale τ) enters as its type embedding plus the time-shifted positional
// encoding of the paper, whose phases are shifted by a learned multiple of
// the time, so that the encodings of two events differ by their time
// interval as well as by their positions:
//
//	x_j = E·e_{k_j} + PE_j,  PE_{j,2i} = sin(ω_i·j + w_i·u_j),  PE_{j,2i+1} = cos(ω_i·j + w_i·u_j),
//
// with ω_i = 10000^(−2i/D) and w learned. A stack of NumLayers encoder
// layers (causal multi-head self-attention over the events up to and
// including j, then a position-wise feed-forward block; by default with
// residual connections and post-layer-norm, or plain with NoResidual) gives
// h_j. Between event j and the next the type intensities are
//
//	λ_k(t) = softplus_β(μ_k + (η_k − μ_k)·exp(−γ_k·(t − t_j)/τ)),
//	μ = W_μ·h_j + b_μ,  η = W_η·h_j + b_η,  γ = softplus(W_γ·h_j + b_γ),
//
// with a learned β_k > 0 per type: the intensity starts at softplus_β(η)
// after the event and relaxes to softplus_β(μ) at rate γ. (The paper puts a
// GELU on μ and η; under the softplus link it adds nothing to what the
// affine maps can express and is omitted.) A learned initial state h_{−1}
// drives the interval from the window start to the first event, scored
// under the Full likelihood convention.
//
// The compensator has no closed form. Per gap and type it is the exact
// integral of the asymptote, softplus_β(μ)·Δ, plus the transient integrated
// by Gauss–Legendre quadrature with QuadNodes nodes (default 8) after the
// substitution u = exp(−γs) (attention.DecayIntegral), which resolves the
// transient equally well whatever γΔ; a rule applied in s directly loses
// digits when the decay is fast compared with the gap. With 8 nodes the
// compensator is accurate to about 1e-13 nats per event on a trained model
// (6 nodes: 1e-10; see the package tests). The log-intensities
// at the events and the compensator are one fused op
// (attention.IntervalIntensityLL, DecayShape).
package sahp

import (
	"fmt"
	"iter"
	"math"
	"sync"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/internal/vecmath"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/attention"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
	"github.com/gotpp/gotpp/train"
)

// Name is the model's name in run directories and the model registry.
const Name = "sahp"

// ModelFile holds the configuration and parameters inside a run directory.
const ModelFile = "sahp.json"

// Config holds the model's settings.
type Config struct {
	// HiddenSize is the model width D, even (default 32, EasyTPP's
	// SAHP_train).
	HiddenSize int `json:"hidden_size"`
	// NumLayers is the number of encoder layers (default 2).
	NumLayers int `json:"num_layers"`
	// NumHeads is the number of attention heads; it must divide HiddenSize
	// (default 2).
	NumHeads int `json:"num_heads"`
	// FFNSize is the inner size of the feed-forward blocks (default
	// 2·HiddenSize).
	FFNSize int `json:"ffn_size"`
	// NoResidual drops the residual connections and layer norms of the
	// encoder layers (default false: they are on).
	NoResidual bool `json:"no_residual,omitempty"`
	// QuadNodes is the number of Gauss–Legendre nodes per gap for the
	// compensator (default 8).
	QuadNodes int `json:"quad_nodes"`
	// TimeScale τ is the unit of time of the encoding and of the decay
	// (default 1).
	TimeScale float64 `json:"time_scale"`
	// Dropout is the dropout rate on every encoder layer's attention and
	// feed-forward outputs during training (EasyTPP's dropout_rate;
	// default 0). Evaluation and prediction never drop.
	Dropout float64 `json:"dropout_rate,omitempty"`
	// Threads is the number of worker goroutines a batch is split over
	// (0: GOMAXPROCS). Results are deterministic for a fixed value.
	Threads int `json:"threads,omitempty"`
	// ChunkTokens bounds the padded positions (sequences × length) of one
	// forward and backward pass within a worker's part of a batch: the part
	// runs in column chunks of at most that many positions (at least one
	// sequence each) whose gradients are summed, so that a pass's
	// activations stay in the core's cache (default 256, also for 0).
	// Results depend on it only through rounding.
	ChunkTokens int `json:"chunk_tokens,omitempty"`
}

// DefaultConfig is hidden 32, 2 layers, 2 heads (EasyTPP's SAHP_train
// sizes), feed-forward 64, residual connections and layer norm, 8
// quadrature nodes, τ = 1, chunks of 256 padded positions.
func DefaultConfig() Config {
	return Config{HiddenSize: 32, NumLayers: 2, NumHeads: 2, QuadNodes: 8, TimeScale: 1, ChunkTokens: 256}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.HiddenSize == 0 {
		c.HiddenSize = d.HiddenSize
	}
	if c.NumLayers == 0 {
		c.NumLayers = d.NumLayers
	}
	if c.NumHeads == 0 {
		c.NumHeads = d.NumHeads
	}
	if c.FFNSize == 0 {
		c.FFNSize = 2 * c.HiddenSize
	}
	if c.QuadNodes == 0 {
		c.QuadNodes = d.QuadNodes
	}
	if c.TimeScale == 0 {
		c.TimeScale = d.TimeScale
	}
	if c.ChunkTokens == 0 {
		c.ChunkTokens = d.ChunkTokens
	}
	switch {
	case c.HiddenSize < 2 || c.HiddenSize%2 != 0:
		return c, fmt.Errorf("sahp: field hidden_size: %d, want an even number >= 2", c.HiddenSize)
	case c.NumLayers < 1:
		return c, fmt.Errorf("sahp: field num_layers: %d, want >= 1", c.NumLayers)
	case c.NumHeads < 1 || c.HiddenSize%c.NumHeads != 0:
		return c, fmt.Errorf("sahp: field num_heads: %d, want >= 1 and dividing hidden_size %d", c.NumHeads, c.HiddenSize)
	case c.FFNSize < 1:
		return c, fmt.Errorf("sahp: field ffn_size: %d, want >= 1", c.FFNSize)
	case c.QuadNodes < 1 || c.QuadNodes > 200:
		return c, fmt.Errorf("sahp: field quad_nodes: %d, want 1..200", c.QuadNodes)
	case !(c.TimeScale > 0) || math.IsInf(c.TimeScale, 0):
		return c, fmt.Errorf("sahp: field time_scale: %v, want a finite value > 0", c.TimeScale)
	case c.Threads < 0:
		return c, fmt.Errorf("sahp: field threads: %d, want >= 0", c.Threads)
	case c.ChunkTokens < 0:
		return c, fmt.Errorf("sahp: field chunk_tokens: %d, want >= 1", c.ChunkTokens)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return c, fmt.Errorf("sahp: field dropout_rate: %v, want in [0, 1)", c.Dropout)
	}
	return c, nil
}

// Model is a SAHP with its parameters. Its batch-scoring methods are not
// safe for concurrent use (they share the workers' tapes); NextAfter is.
type Model struct {
	cfg Config
	k   int

	emb     *params.Param // [K, D] type embedding
	phase   *params.Param // [1, D/2] time shift of the positional phases
	blocks  []*attention.Block
	h0      *params.Param // [D] state before the first event
	mu, eta *attention.Linear
	gamma   *attention.Linear
	logBeta *params.Param // [K]
	ps      []*params.Param

	nodes, weights []float64
	plainRule      bool // tests: apply the rule in s, as EasyTPP does
	run            *attention.Runner
	predStates     attention.StateCache // prediction: per-sequence encodings
}

// New returns a SAHP for numTypes event types with parameters drawn from
// seed: Xavier-uniform matrices, embedding and phase shifts, unit
// layer-norm gains, zero biases and initial state, β = 1.
func New(cfg Config, numTypes int, seed uint64) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if numTypes < 1 {
		return nil, fmt.Errorf("sahp: %d event types, want >= 1", numTypes)
	}
	m := newShell(cfg, numTypes)
	rng := engine.NewRand(seed)
	D := cfg.HiddenSize
	engine.InitXavier(m.emb, numTypes, D, rng)
	engine.InitXavier(m.phase, 1, D/2, rng)
	for _, b := range m.blocks {
		b.Init(rng)
	}
	m.mu.Init(rng)
	m.eta.Init(rng)
	m.gamma.Init(rng)
	return m, nil
}

func newShell(cfg Config, k int) *Model {
	D := cfg.HiddenSize
	m := &Model{cfg: cfg, k: k}
	m.emb = engine.NewParam("emb", k, D)
	m.phase = engine.NewParam("phase_shift", 1, D/2)
	m.ps = []*params.Param{m.emb, m.phase}
	for l := 0; l < cfg.NumLayers; l++ {
		b := attention.NewBlock(fmt.Sprintf("layer%d", l), D, cfg.NumHeads, cfg.FFNSize, !cfg.NoResidual)
		b.Dropout = cfg.Dropout
		m.blocks = append(m.blocks, b)
		m.ps = append(m.ps, b.Params()...)
	}
	m.h0 = engine.NewParam("h0", D)
	m.mu = attention.NewLinear("mu", D, k, true)
	m.eta = attention.NewLinear("eta", D, k, true)
	m.gamma = attention.NewLinear("gamma", D, k, true)
	m.logBeta = engine.NewParam("log_beta", k)
	m.ps = append(m.ps, m.h0)
	m.ps = append(m.ps, m.mu.Params()...)
	m.ps = append(m.ps, m.eta.Params()...)
	m.ps = append(m.ps, m.gamma.Params()...)
	m.ps = append(m.ps, m.logBeta)
	m.nodes, m.weights = attention.Rule(cfg.QuadNodes)
	m.run = attention.NewRunner(Name, k, m.ps, cfg.Threads, m.forward)
	m.run.ChunkTokens = cfg.ChunkTokens
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

// LossAndGrad returns minus the Full log-likelihood of b (summed over its
// sequences) and the number of events scored, and adds its gradient into
// the parameters' Grad.
func (m *Model) LossAndGrad(b *batch.Batch) (float64, int) { return m.run.LossAndGrad(b) }

// BatchLogLik scores b under convention c without gradients.
func (m *Model) BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts {
	return m.run.BatchLogLik(b, c)
}

// DatasetLogLik scores every sequence of ds under convention c.
func (m *Model) DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error) {
	return m.run.DatasetLogLik(ds, c)
}

// encode returns the hidden states h_j of the events of b, time-major
// [L·B, D].
func (m *Model) encode(t *engine.Tape, b *batch.Batch) *engine.Tensor {
	B, L, D := b.B, b.L, m.cfg.HiddenSize
	P := D / 2
	typeIdx := t.Ints(L * B)
	u := t.Floats(L * B)        // scaled times
	base := t.Floats(L * B * P) // ω_i·j
	mask := t.Floats(L * B)
	// The layers run batch-major (row col·L + i), where each sequence's rows
	// are contiguous for attention; the result goes back to time-major.
	for col := 0; col < B; col++ {
		for i := 0; i < L; i++ {
			r, rb := i*B+col, col*L+i
			if b.Mask[r] == 0 {
				typeIdx[rb] = -1
				continue
			}
			typeIdx[rb] = b.Types[r]
			mask[rb] = 1
			u[rb] = (b.Times[r] - b.Start[col]) / m.cfg.TimeScale
			for p := 0; p < P; p++ {
				base[rb*P+p] = attention.Frequency(p, D) * float64(i)
			}
		}
	}
	// phases ω_i·j + w_i·u_j ([L·B, P]); padded rows are masked out below
	ph := t.Add(t.Const(base, L*B, P), t.MatMul(t.Const(u, L*B, 1), t.Param(m.phase), false, false))
	pe := attention.SinCos(t, ph)
	x := t.Add(t.Gather(t.Param(m.emb), typeIdx), t.Mul(pe, t.Const(mask, L*B, 1)))
	sp := attention.CausalSpansBatchMajor(t, L, B, b.Lens)
	for _, blk := range m.blocks {
		x = blk.Apply(t, x, sp)
	}
	if B == 1 {
		return x
	}
	return attention.TimeMajor(t, x, L, B)
}

// states returns the state driving each gap, [(L+1)·B, D] (see
// attention.Intervals).
func (m *Model) states(t *engine.Tape, b *batch.Batch) *engine.Tensor {
	D := m.cfg.HiddenSize
	h0 := t.Gather(t.Reshape(t.Param(m.h0), 1, D), t.Ints(b.B))
	if b.L == 0 {
		return h0
	}
	return t.ConcatRows(h0, m.encode(t, b))
}

func (m *Model) forward(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts) {
	iv := attention.NewIntervals(t, b, c)
	s := m.states(t, b)
	mu := m.mu.Apply(t, s)
	gamma := t.Scale(t.Softplus(m.gamma.Apply(t, s)), 1/m.cfg.TimeScale)
	var st engine.IntensityStats
	ll := attention.IntervalIntensityLL(t, attention.IntervalLL{
		Shape:   attention.DecayShape,
		A:       mu,
		B:       t.Sub(m.eta.Apply(t, s), mu),
		C:       gamma,
		LogBeta: t.Param(m.logBeta),
		Delta:   iv.Delta, Types: iv.Types, IntMask: iv.IntMask,
		Nodes: m.nodes, Weights: m.weights, PlainRule: m.plainRule,
		Stats: &st,
	})
	return ll, attention.PartsOf(st, b.B)
}

// NextAfter returns the law of event i of seq given events 0..i−1 (for
// i = 0 the empty history from seq.Start): μ, η and γ of event i−1 are
// computed once and Intensities(dt) evaluates the closed-form intensity at
// t_{i−1} + dt. It is safe for concurrent use.
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	if i < 0 || i > seq.Len() {
		panic(fmt.Sprintf("sahp: NextAfter(%d) of a sequence of %d events", i, seq.Len()))
	}
	return m.lawAfter(m.predStates.State(seq, i, m.k, m.cfg.HiddenSize, m.h0.Value, m.ps, m.encode))
}

// Laws implements predict.SequenceModel: one encoding of the whole
// sequence, no cache.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	return predict.StateLaws(m.predStates.All(seq, m.k, m.cfg.HiddenSize, m.h0.Value, m.encode),
		func(h []float64) predict.Next { return m.lawAfter(h) })
}

// lawAfter is the next-event law driven by the state h.
func (m *Model) lawAfter(h []float64) *next {
	K := m.k
	buf := make([]float64, 9*K)
	vec := func(i int) []float64 { return buf[i*K : (i+1)*K : (i+1)*K] }
	n := &next{mu: vec(0), eta: vec(1), gamma: vec(2), beta: vec(3), bm: vec(4), bd: vec(5), inv: vec(6),
		settle: vec(7), lamInf: vec(8)}
	m.mu.ApplyVec(h, n.mu)
	m.eta.ApplyVec(h, n.eta)
	m.gamma.ApplyVec(h, n.gamma)
	for k := range n.gamma {
		n.gamma[k] = engine.Softplus(n.gamma[k]) / m.cfg.TimeScale
		b := math.Exp(m.logBeta.Value[k])
		n.beta[k] = b
		n.bm[k], n.bd[k], n.inv[k] = b*n.mu[k], b*(n.eta[k]-n.mu[k]), 1/b
		n.settle[k] = settleTime(n.bm[k], n.bd[k], n.gamma[k])
	}
	vecmath.Softplus(n.lamInf, n.bm)
	for k, v := range n.inv {
		n.lamInf[k] *= v
	}
	return n
}

// settleTime is a time after which bm + bd·e^{−γt}, computed in floating
// point as IntensitiesAt does, equals bm exactly: |fl(bd·e)| stays below a
// quarter of bm's ulp (less than half the spacing of the floating-point
// numbers next to bm, so the sum rounds to bm), with one nat of margin for
// the rounding of the exponential and the logarithm. It is +Inf when
// there is no such time (bm = 0, γ = 0, or NaNs), 0 when bd = 0.
func settleTime(bm, bd, gamma float64) float64 {
	switch {
	case bd == 0 && !math.IsNaN(bm) && !math.IsInf(bm, 0):
		return 0
	case bm == 0 || math.IsNaN(bm) || math.IsInf(bm, 0) || !(gamma > 0) || math.IsInf(bd, 0) || math.IsNaN(bd):
		return math.Inf(1)
	}
	a := math.Abs(bm)
	ulp := math.Nextafter(a, math.Inf(1)) - a
	t := (math.Log(4*math.Abs(bd)/ulp) + 1) / gamma
	if !(t >= 0) {
		return 0 // |bd| below a quarter ulp already
	}
	return t
}

// next is the law λ_k(t) = softplus(β_k·(μ_k + (η_k − μ_k)e^{−γ_k t}))/β_k,
// evaluated as softplus(bm_k + bd_k·e^{−γ_k t})·inv_k with bm = β·μ,
// bd = β·(η − μ) and inv = 1/β computed once. After settle_k
// (settleTime) the sum bm_k + bd_k·e^{−γ_k t} rounds to bm_k, so the
// intensity is exactly its asymptote lamInf_k = softplus(bm_k)·inv_k.
type next struct {
	mu, eta, gamma, beta, bm, bd, inv []float64
	settle, lamInf                    []float64
}

func (n *next) NumTypes() int { return len(n.mu) }

func (n *next) Intensities(dt float64, out []float64) {
	for k, g := range n.gamma {
		out[k] = -g * dt
	}
	vecmath.Exp(out, out)
	for k, bm := range n.bm {
		out[k] = bm + n.bd[k]*out[k]
	}
	vecmath.Softplus(out, out)
	for k, v := range n.inv {
		out[k] *= v
	}
}

// IntensitiesAt implements predict.BatchIntensities: every offset and type
// in one vectorised exp and one softplus, except the types that have
// settled at every offset (all offsets past settle_k: far into the tail of
// the quadrature, a third of the evaluations on Taobao), which get
// lamInf_k without evaluation, the same value bit for bit.
func (n *next) IntensitiesAt(dts []float64, out []float64) {
	K, J := len(n.mu), len(dts)
	if J == 0 {
		return
	}
	dmin := dts[0]
	for _, dt := range dts[1:] {
		dmin = min(dmin, dt)
	}
	var idx [64]int // the unsettled types (small K; larger K use the heap)
	active := idx[:0]
	if K > len(idx) {
		active = make([]int, 0, K)
	}
	for k, s := range n.settle {
		if !(dmin > s) {
			active = append(active, k)
		}
	}
	if len(active) == K {
		intensities(dts, n.gamma, n.bm, n.bd, n.inv, out[:J*K])
		return
	}
	for j := 0; j < J; j++ {
		copy(out[j*K:(j+1)*K], n.lamInf)
	}
	A := len(active)
	if A == 0 {
		return
	}
	// the unsettled types' parameters, gathered, computed compactly, then
	// scattered into their columns
	w := workPool.Get().(*work)
	defer workPool.Put(w)
	if cap(w.buf) < 4*A+J*A {
		w.buf = make([]float64, 4*A+J*A)
	}
	g, bm, bd, inv, res := w.buf[:A], w.buf[A:2*A], w.buf[2*A:3*A], w.buf[3*A:4*A], w.buf[4*A:4*A+J*A]
	for a, k := range active {
		g[a], bm[a], bd[a], inv[a] = n.gamma[k], n.bm[k], n.bd[k], n.inv[k]
	}
	intensities(dts, g, bm, bd, inv, res)
	for j := 0; j < J; j++ {
		o, r := out[j*K:(j+1)*K], res[j*A:(j+1)*A]
		for a, k := range active {
			o[k] = r[a]
		}
	}
}

type work struct{ buf []float64 }

var workPool = sync.Pool{New: func() any { return new(work) }}

// intensities sets out[j·K + k] = softplus(bm_k + bd_k·e^{−γ_k·dts[j]})·inv_k
// for the K = len(gamma) types.
func intensities(dts, gamma, bm, bd, inv, out []float64) {
	K := len(gamma)
	bm, bd, inv = bm[:K], bd[:K], inv[:K]
	all := out[:len(dts)*K]
	for j, dt := range dts {
		o := all[j*K : (j+1)*K]
		for k, g := range gamma {
			o[k] = -g * dt
		}
	}
	vecmath.Exp(all, all)
	for j := range dts {
		o := all[j*K : (j+1)*K]
		for k, v := range bm {
			o[k] = v + bd[k]*o[k]
		}
	}
	vecmath.Softplus(all, all)
	for j := range dts {
		o := all[j*K : (j+1)*K]
		for k, v := range inv {
			o[k] *= v
		}
	}
}

var (
	_ train.Model   = (*Model)(nil)
	_ predict.Model = (*Model)(nil)
)

// Save writes the configuration and parameters to dir/sahp.json atomically
// (and a minimal run.json when dir has none).
func (m *Model) Save(dir string) error {
	return attention.SaveModel(dir, ModelFile, Name, m.cfg, m.k, m.ps)
}

// Load reads a model saved with Save.
func Load(dir string) (*Model, error) {
	var cfg Config
	s, err := attention.LoadModel(dir, ModelFile, Name, &cfg)
	if err != nil {
		return nil, err
	}
	if cfg, err = cfg.withDefaults(); err != nil {
		return nil, fmt.Errorf("%s: field config: %w", s.Path, err)
	}
	m := newShell(cfg, s.NumTypes)
	if err := s.Apply(m.ps); err != nil {
		return nil, err
	}
	return m, nil
}

// ConfigFromHyper maps the registry's shared hyperparameters onto a Config:
// hidden_size, num_layers, num_heads and quad_nodes directly, and
// model_specs keys time_scale, ffn_size, no_residual, threads and
// chunk_tokens. time_emb_size is not used (the positional encoding has
// the model width); dropout_rate sets Dropout.
func ConfigFromHyper(h model.Hyper) (Config, error) {
	c := Config{HiddenSize: h.Hidden, NumLayers: h.Layers, NumHeads: h.Heads, Dropout: h.Dropout, QuadNodes: h.QuadNodes}
	var err error
	if c.TimeScale, _, err = attention.SpecFloat(h.Specs, "time_scale"); err != nil {
		return c, fmt.Errorf("sahp: %w", err)
	}
	if c.FFNSize, _, err = attention.SpecInt(h.Specs, "ffn_size"); err != nil {
		return c, fmt.Errorf("sahp: %w", err)
	}
	if c.NoResidual, _, err = attention.SpecBool(h.Specs, "no_residual"); err != nil {
		return c, fmt.Errorf("sahp: %w", err)
	}
	if c.Threads, _, err = attention.SpecInt(h.Specs, "threads"); err != nil {
		return c, fmt.Errorf("sahp: %w", err)
	}
	if c.ChunkTokens, _, err = attention.SpecInt(h.Specs, "chunk_tokens"); err != nil {
		return c, fmt.Errorf("sahp: %w", err)
	}
	return c.withDefaults()
}

func init() {
	d := DefaultConfig()
	model.Register(model.Spec{
		Name:     Name,
		Dropout:  true,
		Doc:      "Self-Attentive Hawkes Process (Zhang et al. 2020): attention encoder with time-shifted positional encoding, intensity relaxing exponentially from η to μ",
		Defaults: model.Hyper{Hidden: d.HiddenSize, Layers: d.NumLayers, Heads: d.NumHeads, QuadNodes: d.QuadNodes},
		New: func(numTypes int, h model.Hyper, seed uint64) (train.Model, error) {
			cfg, err := ConfigFromHyper(h)
			if err != nil {
				return nil, err
			}
			return New(cfg, numTypes, seed)
		},
		Load: func(dir string) (train.Model, error) { return Load(dir) },
	})
}
