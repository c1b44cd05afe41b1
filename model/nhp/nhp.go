// Package nhp is the neural Hawkes process of Mei & Eisner (NeurIPS 2017),
// a continuous-time LSTM whose hidden state drives the event intensities,
// written on gotpp's engine.
//
// # Model
//
// At each event the cell reads the type embedding e_k and the decayed state
// just before the event, h(t⁻) and c(t⁻), and sets (paper eqs. 5–6)
//
//	c  = f ⊙ c(t⁻) + i ⊙ z,   c̄ = f̄ ⊙ c̄_prev + ī ⊙ z,   δ = softplus(·),   o = σ(·)
//
// with the seven gates i, f, z, o, ī, f̄, δ computed from one affine map of
// [e_k, h(t⁻)]. Until the next event each cell decays towards its target,
//
//	c(t) = c̄ + (c − c̄)·exp(−δ·(t − t_j)),   h(t) = o ⊙ tanh(c(t)),
//
// and the type intensities are λ_k(t) = softplus_β_k(w_k·h(t) + b_k), with
// softplus_β(x) = log(1 + exp(βx))/β and a learned β_k = exp(s_k) per type
// (smooth everywhere, no clamping; EasyTPP's ScaledSoftplus freezes for
// βx in (11.5, 20]). As in the paper, a beginning-of-stream event (an extra
// embedding row) updates the all-zero state at the window start, so the
// interval from the window start to the first event has a learned intensity
// (the Full convention scores it, together with the survival term to the
// window end).
//
// # Likelihood
//
// The event term uses h(t_i⁻), computed from the history up to and
// including event i−1 only. The compensator has no closed form; it is
// integrated on every interval with Gauss–Legendre quadrature of QuadNodes
// nodes (default 10; EasyTPP uses 20 equispaced points with equal weights,
// an O(1/G) rule). Under the Full convention every event is scored and the
// compensator runs from the window start to the window end; under the
// EasyTPP convention the first event is history only and the compensator
// runs from the first to the last event (likelihood.Scope).
//
// The batched path runs on engine tapes: one fused op per cell update
// (ctCell, written here because the engine's LSTMCell has four gates), the
// engine's CTDecay/CTHidden for the decays (all integration nodes of all
// intervals in one call) and SoftplusIntensityLL for the intensity head;
// padded positions are masked out inside the fused kernels. A batch is
// split over worker goroutines, one tape each, and their gradients are
// summed in a fixed order; each worker runs its part in column chunks of at
// most ChunkTokens padded positions, accumulating gradients, which bounds
// memory whatever the batch size (a B=64, L=64 training step peaks at about
// 190 MB resident instead of 650 MB in one pass, and runs faster). Prediction (NextAfter) evaluates the same model
// with plain scalar code from a cached encoding of the history.
package nhp

import (
	"fmt"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// Name is the model's name in run directories and the model registry.
const Name = "nhp"

// Config holds the model's settings.
type Config struct {
	// HiddenSize is the size of the LSTM state and of the type embedding
	// (default 64, EasyTPP's NHP_train).
	HiddenSize int `json:"hidden_size"`
	// QuadNodes is the number of Gauss–Legendre nodes per interval for the
	// compensator (default 10).
	QuadNodes int `json:"quad_nodes"`
	// ChunkTokens bounds the padded positions (columns × length) one tape
	// pass handles (default 512); larger batches are processed in column
	// chunks with the gradients accumulated, which bounds memory.
	ChunkTokens int `json:"chunk_tokens"`
	// Convention is the likelihood convention LossAndGrad trains with:
	// "full" (default) or "easytpp".
	Convention string `json:"convention,omitempty"`
	// Threads is the number of worker goroutines a batch is split over
	// (0: GOMAXPROCS). Results are deterministic for a fixed value.
	Threads int `json:"threads,omitempty"`
}

// DefaultConfig is hidden size 64 and 10 quadrature nodes per interval.
func DefaultConfig() Config {
	return Config{HiddenSize: 64, QuadNodes: 10, ChunkTokens: 512, Convention: "full"}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.HiddenSize == 0 {
		c.HiddenSize = d.HiddenSize
	}
	if c.QuadNodes == 0 {
		c.QuadNodes = d.QuadNodes
	}
	if c.ChunkTokens == 0 {
		c.ChunkTokens = d.ChunkTokens
	}
	if c.Convention == "" {
		c.Convention = d.Convention
	}
	if c.ChunkTokens < 1 {
		return c, fmt.Errorf("nhp: field chunk_tokens: %d, want >= 1", c.ChunkTokens)
	}
	if c.HiddenSize < 1 {
		return c, fmt.Errorf("nhp: field hidden_size: %d, want >= 1", c.HiddenSize)
	}
	if c.QuadNodes < 1 || c.QuadNodes > 256 {
		return c, fmt.Errorf("nhp: field quad_nodes: %d, want 1..256", c.QuadNodes)
	}
	if _, err := likelihood.ParseConvention(c.Convention); err != nil {
		return c, fmt.Errorf("nhp: field convention: %w", err)
	}
	if c.Threads < 0 {
		return c, fmt.Errorf("nhp: field threads: %d, want >= 0", c.Threads)
	}
	return c, nil
}

// Model is a neural Hawkes process with its parameters. Its batch methods
// are not safe for concurrent use (they share the workers' tapes);
// NextAfter is.
type Model struct {
	cfg Config
	k   int

	emb     *params.Param // [K+1, H]; row K is the beginning-of-stream event
	wx, bx  *params.Param // [H, 7H], [7H]
	wh      *params.Param // [H, 7H]
	wout    *params.Param // [H, K]
	bout    *params.Param // [K]
	logBeta *params.Param // [K]
	ps      []*params.Param

	nodes, weights []float64 // Gauss–Legendre on [0, 1]
	run            *runner.Runner
	cache          predict.PrefixCache[state]
}

// New returns an NHP for numTypes event types with parameters drawn from
// seed: Xavier-uniform matrices and embedding, zero biases except the
// forget gates (+1, the usual LSTM choice), β = 1.
func New(cfg Config, numTypes int, seed uint64) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if numTypes < 1 {
		return nil, fmt.Errorf("nhp: %d event types, want >= 1", numTypes)
	}
	m := newShell(cfg, numTypes)
	H, K := cfg.HiddenSize, numTypes
	rng := engine.NewRand(seed)
	engine.InitXavier(m.emb, K+1, H, rng)
	engine.InitXavier(m.wx, H, H, rng)
	engine.InitXavier(m.wh, H, H, rng)
	engine.InitXavier(m.wout, H, K, rng)
	for j := 0; j < H; j++ {
		m.bx.Value[gateF*H+j] = 1
		m.bx.Value[gateFBar*H+j] = 1
	}
	return m, nil
}

func newShell(cfg Config, k int) *Model {
	H := cfg.HiddenSize
	conv, _ := likelihood.ParseConvention(cfg.Convention)
	m := &Model{cfg: cfg, k: k}
	m.emb = engine.NewParam("emb", k+1, H)
	m.wx = engine.NewParam("w_x", H, numGates*H)
	m.bx = engine.NewParam("b_x", numGates*H)
	m.wh = engine.NewParam("w_h", H, numGates*H)
	m.wout = engine.NewParam("w_out", H, k)
	m.bout = engine.NewParam("b_out", k)
	m.logBeta = engine.NewParam("log_beta", k)
	m.ps = []*params.Param{m.emb, m.wx, m.bx, m.wh, m.wout, m.bout, m.logBeta}
	m.nodes, m.weights = engine.GaussLegendre(cfg.QuadNodes)
	m.run = runner.New(Name, k, m.ps, cfg.Threads, m.forward)
	m.run.Train = conv
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

// SetQuadNodes changes the number of Gauss–Legendre nodes per interval.
func (m *Model) SetQuadNodes(n int) error {
	if n < 1 || n > 256 {
		return fmt.Errorf("nhp: %d quadrature nodes, want 1..256", n)
	}
	m.cfg.QuadNodes = n
	m.nodes, m.weights = engine.GaussLegendre(n)
	return nil
}

// LossAndGrad computes the negative log-likelihood of batch b under the
// configured convention (summed over the batch) and adds its gradient into
// the parameters' Grad. It returns the loss and the number of scored events.
func (m *Model) LossAndGrad(b *batch.Batch) (negLogLik float64, numEvents int) {
	return m.run.LossAndGrad(b)
}

// BatchLogLik scores batch b under convention c without gradients.
func (m *Model) BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts {
	return m.run.BatchLogLik(b, c)
}

// DatasetLogLik scores every sequence of ds under convention c, in
// length-sorted batches.
func (m *Model) DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error) {
	return m.run.DatasetLogLik(ds, c)
}

// intervals describes, in time-major order, the P = L+1 intervals of each
// column: interval p ends at event p (p < n) or at the window end (p = n)
// and starts at event p−1 (the window start for p = 0).
type intervals struct {
	delta   []float64 // P·B interval lengths (0 past the end of a column)
	intMask []float64 // P·B: 1 where the compensator counts
	evType  []int     // L·B: the scored type at event p, −1 where not scored
	scored  int
}

func makeIntervals(t *engine.Tape, b *batch.Batch, c likelihood.Convention) intervals {
	B, L := b.B, b.L
	P := L + 1
	iv := intervals{delta: t.Floats(P * B), intMask: t.Floats(P * B), evType: t.Ints(L * B)}
	for i := range iv.evType {
		iv.evType[i] = -1
	}
	for col := 0; col < B; col++ {
		n := b.Lens[col]
		for p := 0; p <= n; p++ {
			r := p*B + col
			if p < n {
				iv.delta[r] = b.Dt[r]
			} else {
				iv.delta[r] = b.Tail[col]
			}
			ev, in := p < n, true
			if c == likelihood.EasyTPP {
				ev = p >= 1 && p < n
				in = ev
			}
			if ev {
				iv.evType[r] = b.Types[r]
				iv.scored++
			}
			if in {
				iv.intMask[r] = 1
			}
		}
	}
	return iv
}

// forward builds the log-likelihood of batch b under convention c on tape
// t and returns it (a scalar) with its parts.
//
// Step s = 0 feeds the beginning-of-stream event at the window start and
// step s = j+1 feeds event j; the state after step s drives interval s.
// Event j's intensity uses h(t_j⁻), the decay of the state after step j
// (history up to event j−1).
func (m *Model) forward(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts) {
	B, L, H, K := b.B, b.L, m.cfg.HiddenSize, m.k
	P := L + 1
	G := len(m.nodes)
	iv := makeIntervals(t, b, c)

	idx := t.Ints(P * B)
	for col := 0; col < B; col++ {
		idx[col] = K
	}
	for i := 0; i < L*B; i++ {
		idx[B+i] = -1
		if b.Mask[i] != 0 {
			idx[B+i] = b.Types[i]
		}
	}

	emb, wx, bx, wh := t.Param(m.emb), t.Param(m.wx), t.Param(m.bx), t.Param(m.wh)
	wout, bout, logBeta := t.Param(m.wout), t.Param(m.bout), t.Param(m.logBeta)

	xp := t.Linear(t.Gather(emb, idx), wx, bx) // [P·B, 7H]
	cs, cbs, ds, os := t.TensorList(P), t.TensorList(P), t.TensorList(P), t.TensorList(P)
	hEv := t.TensorList(max(L, 1))
	zero := t.New(B, H)
	cs[0], cbs[0], ds[0], os[0] = ctCell(t, t.Rows(xp, 0, B), zero, zero, zero, wh)
	for j := 0; j < L; j++ {
		dt := t.Const(b.Dt[j*B:(j+1)*B], B, 1)
		mask := b.Mask[j*B : (j+1)*B]
		cDec := t.Reshape(t.CTDecay(cs[j], cbs[j], ds[j], dt, mask), B, H)
		hDec := t.Reshape(t.CTHidden(cs[j], cbs[j], ds[j], os[j], dt, mask), B, H)
		hEv[j] = hDec
		cs[j+1], cbs[j+1], ds[j+1], os[j+1] = ctCell(t, t.Rows(xp, (j+1)*B, (j+2)*B), hDec, cDec, cbs[j], wh)
	}
	if L == 0 {
		hEv[0] = t.New(0, H)
	}

	// integration nodes of every interval at once
	dtq := t.Floats(P * B * G)
	qw := t.Floats(P * B * G)
	for r := 0; r < P*B; r++ {
		if iv.intMask[r] == 0 {
			continue
		}
		d := iv.delta[r]
		for g := 0; g < G; g++ {
			dtq[r*G+g] = d * m.nodes[g]
			qw[r*G+g] = d * m.weights[g]
		}
	}
	hq := t.CTHidden(t.ConcatRows(cs...), t.ConcatRows(cbs...), t.ConcatRows(ds...), t.ConcatRows(os...),
		t.Const(dtq, P*B, G), iv.intMask)
	var st engine.IntensityStats
	ll := t.SoftplusIntensityLL(engine.IntensityLL{
		HEv: t.ConcatRows(hEv...), Types: iv.evType,
		HQ: t.Reshape(hq, P*B*G, H), QW: qw,
		W: wout, B: bout, LogBeta: logBeta, Stats: &st,
	})
	parts := likelihood.Parts{
		LogLik:    ll.Item(),
		TimeLL:    st.TotalLog - st.Integral,
		MarkLL:    st.EventLog - st.TotalLog,
		NumEvents: iv.scored,
		NumSeqs:   B,
	}
	return ll, parts
}
