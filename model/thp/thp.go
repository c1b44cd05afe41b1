// Package thp is the Transformer Hawkes Process of Zuo et al. (ICML 2020),
// written on gotpp's engine.
//
// Events are embedded as the sum of a type embedding and the sinusoidal
// temporal encoding of their time (measured from the window start, in units
// of TimeScale τ):
//
//	x_j = E·e_{k_j} + z((t_j − Start)/τ),   z_{2i} = sin(ω_i·u), z_{2i+1} = cos(ω_i·u),
//
// with ω_i = 10000^(−2i/D). A stack of NumLayers Transformer encoder
// layers with causal multi-head self-attention (each position attends to
// itself and the events before it), each with its own position-wise
// feed-forward block, residual connections and post-layer-norm, as in the
// paper and the original Transformer, turns them into hidden states h_j.
// (EasyTPP's THP shares one feed-forward block across layers and has no
// residual connections or layer norm; this package does not copy that.)
//
// Between event j and the next, the type intensities are
//
//	λ_k(t) = softplus_β(α_k·(t − t_j)/τ + w_k·h_j + b_k),  softplus_β(x) = log(1 + exp(β_k x))/β_k,
//
// with a learned β_k > 0 per type (stored as log β). The paper writes the
// time term as α_k·(t − t_j)/t_j; dividing by the absolute time t_j blows
// up for events near the origin and makes the model depend on where the
// clock starts, so the gap is divided by the fixed time scale τ instead
// (set τ to the data's typical gap; the default is 1). The interval from
// the window start to the first event (scored under the Full likelihood
// convention) is driven by a learned initial state h_{−1} with t_{−1} =
// Start.
//
// Because the argument of the softplus is linear in time, the compensator
// has a closed form, ∫_0^Δ softplus(x0 + c·s) ds = (F(x0 + cΔ) − F(x0))/c
// with F(x) = −Li2(−eˣ) (attention.SoftplusIntegral); the model uses it for
// training, evaluation and prediction (NextAfter's Next implements
// predict.Compensated), so no quadrature error enters the likelihood. The
// log-intensity at the events and the compensator are one fused op
// (attention.IntervalIntensityLL).
package thp

import (
	"fmt"
	"iter"
	"math"

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
const Name = "thp"

// ModelFile holds the configuration and parameters inside a run directory.
const ModelFile = "thp.json"

// Config holds the model's settings.
type Config struct {
	// HiddenSize is the model width D (default 32, EasyTPP's THP_train).
	HiddenSize int `json:"hidden_size"`
	// NumLayers is the number of encoder layers (default 2).
	NumLayers int `json:"num_layers"`
	// NumHeads is the number of attention heads; it must divide HiddenSize
	// (default 2).
	NumHeads int `json:"num_heads"`
	// FFNSize is the inner size of the feed-forward blocks (default
	// 2·HiddenSize).
	FFNSize int `json:"ffn_size"`
	// TimeScale τ is the unit of time of the temporal encoding and of the
	// time term of the intensity (default 1).
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
	// activations stay in the core's cache (default 128, also for 0).
	// Results depend on it only through rounding.
	ChunkTokens int `json:"chunk_tokens,omitempty"`
}

// DefaultConfig is hidden 32, 2 layers, 2 heads, feed-forward 64, τ = 1
// (EasyTPP's THP_train sizes), chunks of 128 padded positions.
func DefaultConfig() Config {
	return Config{HiddenSize: 32, NumLayers: 2, NumHeads: 2, TimeScale: 1, ChunkTokens: 128}
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
	if c.TimeScale == 0 {
		c.TimeScale = d.TimeScale
	}
	if c.ChunkTokens == 0 {
		c.ChunkTokens = d.ChunkTokens
	}
	switch {
	case c.HiddenSize < 1:
		return c, fmt.Errorf("thp: field hidden_size: %d, want >= 1", c.HiddenSize)
	case c.NumLayers < 1:
		return c, fmt.Errorf("thp: field num_layers: %d, want >= 1", c.NumLayers)
	case c.NumHeads < 1 || c.HiddenSize%c.NumHeads != 0:
		return c, fmt.Errorf("thp: field num_heads: %d, want >= 1 and dividing hidden_size %d", c.NumHeads, c.HiddenSize)
	case c.FFNSize < 1:
		return c, fmt.Errorf("thp: field ffn_size: %d, want >= 1", c.FFNSize)
	case !(c.TimeScale > 0) || math.IsInf(c.TimeScale, 0):
		return c, fmt.Errorf("thp: field time_scale: %v, want a finite value > 0", c.TimeScale)
	case c.Threads < 0:
		return c, fmt.Errorf("thp: field threads: %d, want >= 0", c.Threads)
	case c.ChunkTokens < 0:
		return c, fmt.Errorf("thp: field chunk_tokens: %d, want >= 1", c.ChunkTokens)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return c, fmt.Errorf("thp: field dropout_rate: %v, want in [0, 1)", c.Dropout)
	}
	return c, nil
}

// Model is a THP with its parameters. Its batch-scoring methods are not
// safe for concurrent use (they share the workers' tapes); NextAfter is.
type Model struct {
	cfg Config
	k   int

	emb     *params.Param // [K, D] type embedding
	blocks  []*attention.Block
	h0      *params.Param // [D] state before the first event
	head    *attention.Linear
	alpha   *params.Param // [K] time coefficients
	logBeta *params.Param // [K] softplus sharpness
	ps      []*params.Param

	// nodes and weights, when not nil, replace the closed-form compensator
	// by that quadrature rule on [0, 1] (tests compare rules with it).
	nodes, weights []float64
	run            *attention.Runner
	predStates     attention.StateCache // prediction: per-sequence encodings
}

// New returns a THP for numTypes event types with parameters drawn from
// seed: Xavier-uniform matrices and embedding, unit layer-norm gains, zero
// biases and initial state, α ~ U(−0.1, 0.1), β = 1.
func New(cfg Config, numTypes int, seed uint64) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if numTypes < 1 {
		return nil, fmt.Errorf("thp: %d event types, want >= 1", numTypes)
	}
	m := newShell(cfg, numTypes)
	rng := engine.NewRand(seed)
	engine.InitXavier(m.emb, numTypes, cfg.HiddenSize, rng)
	for _, b := range m.blocks {
		b.Init(rng)
	}
	m.head.Init(rng)
	engine.InitUniform(m.alpha, -0.1, 0.1, rng)
	return m, nil
}

func newShell(cfg Config, k int) *Model {
	D := cfg.HiddenSize
	m := &Model{cfg: cfg, k: k}
	m.emb = engine.NewParam("emb", k, D)
	m.ps = []*params.Param{m.emb}
	for l := 0; l < cfg.NumLayers; l++ {
		b := attention.NewBlock(fmt.Sprintf("layer%d", l), D, cfg.NumHeads, cfg.FFNSize, true)
		b.Dropout = cfg.Dropout
		m.blocks = append(m.blocks, b)
		m.ps = append(m.ps, b.Params()...)
	}
	m.h0 = engine.NewParam("h0", D)
	m.head = attention.NewLinear("head", D, k, true)
	m.alpha = engine.NewParam("alpha", k)
	m.logBeta = engine.NewParam("log_beta", k)
	m.ps = append(m.ps, m.h0)
	m.ps = append(m.ps, m.head.Params()...)
	m.ps = append(m.ps, m.alpha, m.logBeta)
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
// [L·B, D] (padded rows hold values that never reach a real one).
func (m *Model) encode(t *engine.Tape, b *batch.Batch) *engine.Tensor {
	B, L, D := b.B, b.L, m.cfg.HiddenSize
	// The layers run batch-major (row col·L + i), where each sequence's rows
	// are contiguous for attention; the result goes back to time-major.
	typeIdx := t.Ints(L * B)
	te := t.Floats(L * B * D)
	for col := 0; col < B; col++ {
		for i := 0; i < L; i++ {
			r, rb := i*B+col, col*L+i
			if b.Mask[r] == 0 {
				typeIdx[rb] = -1
				continue
			}
			typeIdx[rb] = b.Types[r]
			attention.Sinusoid((b.Times[r]-b.Start[col])/m.cfg.TimeScale, te[rb*D:(rb+1)*D])
		}
	}
	x := t.Add(t.Gather(t.Param(m.emb), typeIdx), t.Const(te, L*B, D))
	sp := attention.CausalSpansBatchMajor(t, L, B, b.Lens)
	for _, blk := range m.blocks {
		x = blk.Apply(t, x, sp)
	}
	if B == 1 {
		return x
	}
	return attention.TimeMajor(t, x, L, B)
}

// states returns the state driving each gap, [(L+1)·B, D]: h_{−1} for gap
// 0, then h_j for the gap after event j (attention.Intervals layout).
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
	a := m.head.Apply(t, m.states(t, b))
	var st engine.IntensityStats
	ll := attention.IntervalIntensityLL(t, attention.IntervalLL{
		Shape:   attention.LinearShape,
		A:       a,
		B:       t.Scale(t.Param(m.alpha), 1/m.cfg.TimeScale),
		LogBeta: t.Param(m.logBeta),
		Delta:   iv.Delta, Types: iv.Types, IntMask: iv.IntMask,
		Nodes: m.nodes, Weights: m.weights, Exact: m.nodes == nil,
		Stats: &st,
	})
	return ll, attention.PartsOf(st, b.B)
}

// NextAfter returns the law of event i of seq given events 0..i−1 (for
// i = 0 the empty history from seq.Start): the hidden state of event i−1 is
// computed once, Intensities(dt) evaluates the intensity at t_{i−1} + dt and
// Compensator(dt) its exact integral. It is safe for concurrent use.
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	if i < 0 || i > seq.Len() {
		panic(fmt.Sprintf("thp: NextAfter(%d) of a sequence of %d events", i, seq.Len()))
	}
	alpha, beta := m.rates()
	return m.lawAfter(m.predStates.State(seq, i, m.k, m.cfg.HiddenSize, m.h0.Value, m.ps, m.encode), alpha, beta)
}

// Laws implements predict.SequenceModel: one encoding of the whole
// sequence, no cache.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	alpha, beta := m.rates()
	return predict.StateLaws(m.predStates.All(seq, m.k, m.cfg.HiddenSize, m.h0.Value, m.encode),
		func(h []float64) predict.Next { return m.lawAfter(h, alpha, beta) })
}

// rates returns α_k (per time unit) and β_k, which do not depend on the
// history.
func (m *Model) rates() (alpha, beta []float64) {
	alpha, beta = make([]float64, m.k), make([]float64, m.k)
	for k := range alpha {
		alpha[k] = m.alpha.Value[k] / m.cfg.TimeScale
		beta[k] = math.Exp(m.logBeta.Value[k])
	}
	return alpha, beta
}

// lawAfter is the next-event law driven by the state h, given rates'
// α and β (shared, not modified).
func (m *Model) lawAfter(h, alpha, beta []float64) *next {
	K := m.k
	buf := make([]float64, 6*K)
	n := &next{a: buf[:K:K], f0: buf[K : 2*K : 2*K], x0: buf[2*K : 3*K : 3*K], c: buf[3*K : 4*K : 4*K],
		scr: buf[4*K:], alpha: alpha, beta: beta}
	m.head.ApplyVec(h, n.a)
	for k, a := range n.a {
		n.x0[k], n.c[k] = beta[k]*a, beta[k]*alpha[k]
	}
	attention.SoftplusAntiderivatives(n.f0, n.x0)
	return n
}

// next is the law after one history: λ_k(t) = softplus(β_k(a_k + α_k·t))/β_k;
// f0[k] is the softplus antiderivative at t = 0, shared by every
// compensator evaluation.
type next struct {
	a, alpha, beta, f0 []float64
	x0, c              []float64 // β_k·a_k and β_k·α_k
	scr                []float64 // 2K floats of Compensator's work space
}

func (n *next) NumTypes() int { return len(n.a) }

func (n *next) Intensities(dt float64, out []float64) {
	for k, a := range n.a {
		out[k] = n.beta[k] * (a + n.alpha[k]*dt)
	}
	vecmath.Softplus(out, out)
	for k, b := range n.beta {
		out[k] /= b
	}
}

// IntensitiesAt implements predict.BatchIntensities: every offset and type
// in one vectorised softplus.
func (n *next) IntensitiesAt(dts []float64, out []float64) {
	K := len(n.a)
	for j, dt := range dts {
		o := out[j*K : (j+1)*K]
		for k, a := range n.a {
			o[k] = n.beta[k] * (a + n.alpha[k]*dt)
		}
	}
	all := out[:len(dts)*K]
	vecmath.Softplus(all, all)
	for j := range dts {
		o := out[j*K : (j+1)*K]
		for k, b := range n.beta {
			o[k] /= b
		}
	}
}

// Compensator is ∫_0^dt Σ_k λ_k, in closed form.
func (n *next) Compensator(dt float64) float64 {
	K := len(n.a)
	in := n.scr[:K]
	attention.SoftplusIntegralValues(in, n.x0, n.f0, n.c, dt, n.scr[K:2*K])
	s := 0.0
	for k, v := range in {
		s += v / n.beta[k]
	}
	return s
}

var (
	_ train.Model           = (*Model)(nil)
	_ predict.SequenceModel = (*Model)(nil)
	_ predict.Compensated   = (*next)(nil)
)

// Save writes the configuration and parameters to dir/thp.json atomically
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
// hidden_size, num_layers and num_heads directly, and model_specs keys
// time_scale, ffn_size, threads and chunk_tokens.
// time_emb_size is not used (THP adds a temporal encoding of the model
// width) and neither is quad_nodes (the compensator is exact);
// dropout_rate sets Dropout.
func ConfigFromHyper(h model.Hyper) (Config, error) {
	c := Config{HiddenSize: h.Hidden, NumLayers: h.Layers, NumHeads: h.Heads, Dropout: h.Dropout}
	var err error
	if c.TimeScale, _, err = attention.SpecFloat(h.Specs, "time_scale"); err != nil {
		return c, fmt.Errorf("thp: %w", err)
	}
	if c.FFNSize, _, err = attention.SpecInt(h.Specs, "ffn_size"); err != nil {
		return c, fmt.Errorf("thp: %w", err)
	}
	if c.Threads, _, err = attention.SpecInt(h.Specs, "threads"); err != nil {
		return c, fmt.Errorf("thp: %w", err)
	}
	if c.ChunkTokens, _, err = attention.SpecInt(h.Specs, "chunk_tokens"); err != nil {
		return c, fmt.Errorf("thp: %w", err)
	}
	return c.withDefaults()
}

func init() {
	d := DefaultConfig()
	model.Register(model.Spec{
		Name:     Name,
		Dropout:  true,
		Doc:      "Transformer Hawkes Process (Zuo et al. 2020): causal self-attention encoder, softplus intensity linear in the elapsed time",
		Defaults: model.Hyper{Hidden: d.HiddenSize, Layers: d.NumLayers, Heads: d.NumHeads},
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
