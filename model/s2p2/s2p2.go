// Package s2p2 is the state-space point process S2P2 of Chang et al.
// ("Deep Continuous-Time State-Space Models for Marked Event Sequences",
// 2025): a stack of latent linear Hawkes (LLH) layers with exact
// exponential integration between events, written on gotpp's engine.
//
// # Model
//
// Layer l = 1..Layers keeps a complex state x_l ∈ C^P with diagonal
// dynamics Λ_l = −e^{a_l} + iω_l (S4D-Lin initialisation: −½ + iπp). Its
// input u_l(t) ∈ R^H is the previous layer's output (none for l = 1).
// Between events t_i < t ≤ t_{i+1}, with s = t − t_i,
//
//	x_l(t) = e^{Λ_l δ_{l,i} s} ⊙ (x_l(t_i⁺) + B_l u_l(t)) − B_l u_l(t)
//
// the exact solution of dx/dt = Λδ(x + Bu) with the input held at its value
// at t (the zero-order hold "backward variant" EasyTPP's example config
// selects), where the per-interval time scale δ_{l,i} = softplus(W_δ
// u_l(t_i⁺) + b_δ) ∈ R^P_{>0} is predicted from the input just after the
// interval's opening event (relative time; u = 0 for the first interval and
// the first layer). At an event of type k the state jumps,
// x_l(t_i⁺) = x_l(t_i⁻) + E_l α_k, with a type embedding α_k shared by all
// layers. Each layer's output is mixed nonlinearly into the next layer's
// input (post-norm),
//
//	u_{l+1}(t) = LayerNorm(GELU(C_l x_l(t) + D_l ⊙ u_l(t)) + u_l(t)),
//
// and the type intensities are λ_k(t) = softplus_β_k(w_k·u_{L+1}(t) +
// b_k) with a learned β_k per type (smooth, no clamping). Every layer starts
// from a learned state x_l(Start). B_l, C_l and E_l are real maps between
// R^H and x stored as [Re x | Im x] ∈ R^{2P}, which covers the complex
// matrices of the paper (the readout 2·Re(C̃x) included). Dropout is not
// implemented (the likelihood is deterministic).
//
// # Computation
//
// Per layer, one sequential scan over the events carries x_l(t_i⁺) (a plain
// Go loop of elementwise complex products: O(L·B·P) work and memory, where
// EasyTPP's for-loop variant kept 10–24 GiB); everything else (inputs,
// outputs, and the states at the Gauss–Legendre integration nodes of every
// interval, QuadNodes per interval, default 10) is evaluated for all
// positions at once from the interval's opening state with the closed form
// above. The event term uses the left limits u(t_i⁻), computed from the
// history up to event i−1. Batches are split over worker goroutines, and
// each worker runs its part in column chunks of at most ChunkTokens padded
// positions (default 128), accumulating gradients, so memory stays bounded
// whatever the batch size: a training step of the default model on B=64,
// L=64, K=22 peaks at about 280 MB resident (2.6 GB with 1024-position
// chunks). Three ops have hand-written backward passes (ops.go).
//
// Under the Full convention every event is scored and the compensator runs
// from the window start to the window end; under the EasyTPP convention the
// first event is history only and the compensator runs from the first to
// the last event (likelihood.Scope).
package s2p2

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
)

// Name is the model's name in run directories and the model registry.
const Name = "s2p2"

// Config holds the model's settings. The defaults are EasyTPP's S2P2
// example config: hidden 128, P 16, 4 layers (GELU, post-norm, relative
// time, backward zero-order hold).
type Config struct {
	// HiddenSize is H, the size of each layer's input and output (default
	// 128).
	HiddenSize int `json:"hidden_size"`
	// StateSize is P, the complex state size of each layer (default 16).
	StateSize int `json:"P"`
	// Layers is the number of LLH layers (default 4).
	Layers int `json:"num_layers"`
	// QuadNodes is the number of Gauss–Legendre nodes per interval for the
	// compensator (default 10).
	QuadNodes int `json:"quad_nodes"`
	// ChunkTokens bounds the padded positions (columns × length) one tape
	// pass handles (default 128); larger batches are processed in column
	// chunks with the gradients accumulated.
	ChunkTokens int `json:"chunk_tokens"`
	// Convention is the likelihood convention LossAndGrad trains with:
	// "full" (default) or "easytpp".
	Convention string `json:"convention,omitempty"`
	// Threads is the number of worker goroutines a batch is split over
	// (0: GOMAXPROCS). Results are deterministic for a fixed value.
	Threads int `json:"threads,omitempty"`
}

// DefaultConfig is EasyTPP's S2P2 example sizes with 10 nodes per interval.
func DefaultConfig() Config {
	return Config{HiddenSize: 128, StateSize: 16, Layers: 4, QuadNodes: 10, ChunkTokens: 128, Convention: "full"}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.HiddenSize == 0 {
		c.HiddenSize = d.HiddenSize
	}
	if c.StateSize == 0 {
		c.StateSize = d.StateSize
	}
	if c.Layers == 0 {
		c.Layers = d.Layers
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
	switch {
	case c.HiddenSize < 1:
		return c, fmt.Errorf("s2p2: field hidden_size: %d, want >= 1", c.HiddenSize)
	case c.StateSize < 1:
		return c, fmt.Errorf("s2p2: field P: %d, want >= 1", c.StateSize)
	case c.Layers < 1:
		return c, fmt.Errorf("s2p2: field num_layers: %d, want >= 1", c.Layers)
	case c.QuadNodes < 1 || c.QuadNodes > 256:
		return c, fmt.Errorf("s2p2: field quad_nodes: %d, want 1..256", c.QuadNodes)
	case c.ChunkTokens < 1:
		return c, fmt.Errorf("s2p2: field chunk_tokens: %d, want >= 1", c.ChunkTokens)
	case c.Threads < 0:
		return c, fmt.Errorf("s2p2: field threads: %d, want >= 0", c.Threads)
	}
	if _, err := likelihood.ParseConvention(c.Convention); err != nil {
		return c, fmt.Errorf("s2p2: field convention: %w", err)
	}
	return c, nil
}

// layer holds one LLH layer's parameters. The first layer has no input, so
// no B, D or W_δ.
type layer struct {
	logNegRe, imag *params.Param // [P]: Λ = −exp(a) + iω
	x0             *params.Param // [2P] initial state
	wDelta, bDelta *params.Param // [H, P], [P]
	b              *params.Param // [H, 2P]
	c              *params.Param // [2P, H]
	d              *params.Param // [H]
	e              *params.Param // [H, 2P]
	gain, bias     *params.Param // [H] LayerNorm
}

// Model is an S2P2 with its parameters. Its batch methods are not safe for
// concurrent use (they share the workers' tapes); NextAfter is.
type Model struct {
	cfg Config
	k   int

	layers  []layer
	alpha   *params.Param // [K, H] type embedding
	wout    *params.Param // [H, K]
	bout    *params.Param // [K]
	logBeta *params.Param // [K]
	ps      []*params.Param

	nodes, weights []float64
	run            *runner.Runner
	cache          predict.PrefixCache[state]
}

// New returns an S2P2 for numTypes event types with parameters drawn from
// seed: S4D-Lin dynamics (Λ_p = −½ + iπp), δ = 1 at zero input,
// Xavier-normal B, C, E, W_δ and output weights, N(0, 1) D and type
// embeddings, initial states of size 1e-3, LayerNorm gain 1 and bias 0,
// β = 1.
func New(cfg Config, numTypes int, seed uint64) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if numTypes < 1 {
		return nil, fmt.Errorf("s2p2: %d event types, want >= 1", numTypes)
	}
	m := newShell(cfg, numTypes)
	H, P, K := cfg.HiddenSize, cfg.StateSize, numTypes
	rng := engine.NewRand(seed)
	xavierNormal := func(p *params.Param, fanIn, fanOut int) {
		engine.InitNormal(p, math.Sqrt(2/float64(fanIn+fanOut)), rng)
	}
	for i := range m.layers {
		ly := &m.layers[i]
		for p := 0; p < P; p++ {
			ly.logNegRe.Value[p] = math.Log(0.5)
			ly.imag.Value[p] = math.Pi * float64(p)
		}
		engine.InitNormal(ly.x0, 1e-3, rng)
		engine.InitConst(ly.bDelta, math.Log(math.E-1)) // softplus⁻¹(1)
		if i > 0 {
			xavierNormal(ly.wDelta, H, P)
			xavierNormal(ly.b, H, P)
			engine.InitNormal(ly.d, 1, rng)
		}
		xavierNormal(ly.c, P, H)
		xavierNormal(ly.e, H, P)
		engine.InitConst(ly.gain, 1)
	}
	engine.InitNormal(m.alpha, 1, rng)
	xavierNormal(m.wout, H, K)
	return m, nil
}

func newShell(cfg Config, k int) *Model {
	H, P := cfg.HiddenSize, cfg.StateSize
	conv, _ := likelihood.ParseConvention(cfg.Convention)
	m := &Model{cfg: cfg, k: k, layers: make([]layer, cfg.Layers)}
	for i := range m.layers {
		ly := &m.layers[i]
		name := func(s string) string { return fmt.Sprintf("layer%d.%s", i, s) }
		ly.logNegRe = engine.NewParam(name("log_neg_re"), P)
		ly.imag = engine.NewParam(name("imag"), P)
		ly.x0 = engine.NewParam(name("x0"), 2*P)
		ly.bDelta = engine.NewParam(name("b_delta"), P)
		m.ps = append(m.ps, ly.logNegRe, ly.imag, ly.x0, ly.bDelta)
		if i > 0 {
			ly.wDelta = engine.NewParam(name("w_delta"), H, P)
			ly.b = engine.NewParam(name("b"), H, 2*P)
			ly.d = engine.NewParam(name("d"), H)
			m.ps = append(m.ps, ly.wDelta, ly.b, ly.d)
		}
		ly.c = engine.NewParam(name("c"), 2*P, H)
		ly.e = engine.NewParam(name("e"), H, 2*P)
		ly.gain = engine.NewParam(name("ln_gain"), H)
		ly.bias = engine.NewParam(name("ln_bias"), H)
		m.ps = append(m.ps, ly.c, ly.e, ly.gain, ly.bias)
	}
	m.alpha = engine.NewParam("alpha", k, H)
	m.wout = engine.NewParam("w_out", H, k)
	m.bout = engine.NewParam("b_out", k)
	m.logBeta = engine.NewParam("log_beta", k)
	m.ps = append(m.ps, m.alpha, m.wout, m.bout, m.logBeta)
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
		return fmt.Errorf("s2p2: %d quadrature nodes, want 1..256", n)
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

// forward builds the log-likelihood of batch b under convention c on tape
// t and returns it (a scalar) with its parts.
//
// Interval p (p = 0..L) of a column with n events ends at event p (p < n)
// or at the window end (p = n) and opens at event p−1 (the window start for
// p = 0) with state X⁺[p] (the learned initial state for p = 0). Event p's
// left limit is X⁺[p] evolved over Δt_p; adding its impulse gives X⁺[p+1].
func (m *Model) forward(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts) {
	B, L, H, P := b.B, b.L, m.cfg.HiddenSize, m.cfg.StateSize
	NP := L + 1
	G := len(m.nodes)

	// intervals: lengths, which count, which events are scored
	delta := t.Floats(NP * B)
	intMask := t.Floats(NP * B)
	evType := t.Ints(L * B)
	idx := t.Ints(L * B)
	scored := 0
	for i := range evType {
		evType[i], idx[i] = -1, -1
		if b.Mask[i] != 0 {
			idx[i] = b.Types[i]
		}
	}
	for col := 0; col < B; col++ {
		n := b.Lens[col]
		for p := 0; p <= n; p++ {
			r := p*B + col
			if p < n {
				delta[r] = b.Dt[r]
			} else {
				delta[r] = b.Tail[col]
			}
			ev, in := p < n, true
			if c == likelihood.EasyTPP {
				ev = p >= 1 && p < n
				in = ev
			}
			if ev {
				evType[r] = b.Types[r]
				scored++
			}
			if in {
				intMask[r] = 1
			}
		}
	}
	dtq := t.Floats(NP * B * G)
	qw := t.Floats(NP * B * G)
	for r := 0; r < NP*B; r++ {
		if intMask[r] == 0 {
			continue
		}
		for g := 0; g < G; g++ {
			dtq[r*G+g] = delta[r] * m.nodes[g]
			qw[r*G+g] = delta[r] * m.weights[g]
		}
	}

	alphaEv := t.Gather(t.Param(m.alpha), idx) // [L·B, H]
	zerosNP := t.Ints(NP * B)                  // row 0 of a one-row table, everywhere
	var uM, uP, uN *engine.Tensor              // layer inputs: left limits at events, right limits at events, nodes
	for l := range m.layers {
		ly := &m.layers[l]
		a, w := t.Param(ly.logNegRe), t.Param(ly.imag)
		x0, bDelta := t.Param(ly.x0), t.Param(ly.bDelta)
		cw, ew := t.Param(ly.c), t.Param(ly.e)
		gain, bias := t.Param(ly.gain), t.Param(ly.bias)

		// δ per interval [NP·B, P]; v = B·u at the events and the nodes
		var dl, vM, vN, dw *engine.Tensor
		if l == 0 || L == 0 {
			dl = t.Softplus(t.Gather(t.Reshape(bDelta, 1, P), zerosNP))
		}
		if l > 0 {
			bw := t.Param(ly.b)
			dw = t.Param(ly.d)
			if L > 0 {
				uPrev := t.ConcatRows(t.New(B, H), uP) // u(t_{p−1}⁺), 0 for p = 0
				dl = t.Softplus(t.Linear(uPrev, t.Param(ly.wDelta), bDelta))
			}
			vM = t.Linear(uM, bw, nil)
			vN = t.Linear(uN, bw, nil)
		}
		ev := t.Linear(alphaEv, ew, nil) // impulses [L·B, 2P]

		// the scan over events
		xps := t.TensorList(NP)
		xms := t.TensorList(max(L, 1))
		xp := t.Gather(t.Reshape(x0, 1, 2*P), zerosNP[:B])
		xps[0] = xp
		for p := 0; p < L; p++ {
			var v *engine.Tensor
			if vM != nil {
				v = t.Rows(vM, p*B, (p+1)*B)
			}
			xm := evolve(t, xp, t.Rows(dl, p*B, (p+1)*B), v, b.Dt[p*B:(p+1)*B], a, w, b.Mask[p*B:(p+1)*B])
			xms[p] = xm
			xp = t.Add(xm, t.Rows(ev, p*B, (p+1)*B))
			xps[p+1] = xp
		}
		if L == 0 {
			xms[0] = t.New(0, 2*P)
		}
		xM := t.ConcatRows(xms...)
		xP := t.ConcatRows(xps...)
		xN := evolve(t, xP, dl, vN, dtq, a, w, intMask)

		nM := mix(t, xM, cw, uM, dw, gain, bias)
		nN := mix(t, xN, cw, uN, dw, gain, bias)
		if l < len(m.layers)-1 && L > 0 {
			uP = mix(t, t.Rows(xP, B, NP*B), cw, uP, dw, gain, bias)
		}
		uM, uN = nM, nN
	}

	var st engine.IntensityStats
	ll := t.SoftplusIntensityLL(engine.IntensityLL{
		HEv: uM, Types: evType,
		HQ: uN, QW: qw,
		W: t.Param(m.wout), B: t.Param(m.bout), LogBeta: t.Param(m.logBeta), Stats: &st,
	})
	parts := likelihood.Parts{
		LogLik:    ll.Item(),
		TimeLL:    st.TotalLog - st.Integral,
		MarkLL:    st.EventLog - st.TotalLog,
		NumEvents: scored,
		NumSeqs:   B,
	}
	return ll, parts
}
