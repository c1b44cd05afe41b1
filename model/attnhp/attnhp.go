// Package attnhp is the attentive neural Hawkes process (A-NHP) of Yang, Mei
// & Eisner (ICLR 2022, "Transformer embeddings of irregularly spaced events
// and their participants"), written on gotpp's engine.
//
// Unlike THP and SAHP, whose intensity between events is a fixed function
// of the last event's state, A-NHP builds a representation of an arbitrary
// time t by attention: the query at t attends to every event before t, with
// a sinusoidal embedding of t itself, so the intensity can change shape
// freely between events. With the time embedding τ(t) (T columns, time
// measured from the window start in units of TimeScale), event s of type
// k_s has the layer-0 representation x_s⁰ = tanh(E·e_{k_s}), and at each
// layer ℓ = 1..NumLayers, with u = [x; τ(t)],
//
//	x_s^ℓ = x_s^{ℓ−1} + tanh(MHA_ℓ(u_s^{ℓ−1}; events s′ ≤ s)),
//	z^ℓ(t) = z^{ℓ−1}(t) + tanh(MHA_ℓ(u^{ℓ−1}(t); events s with t_s < t, and the query itself)),
//
// from z⁰(t) = 0; the intensities are λ_k(t) = softplus_β(w_k·z^L(t) + b_k)
// with a learned β_k > 0. MHA_ℓ has NumHeads heads of size HiddenSize each
// (as in EasyTPP, where every head carries the full hidden size) and an
// output projection back to HiddenSize. The query attends to itself as
// well as to the history (EasyTPP's layout; it gives the empty history at
// the window start a well-defined representation), and events and queries
// of a layer share its weights.
//
// The compensator on each gap uses QuadNodes Gauss–Legendre nodes (default
// 10, as EasyTPP's 10 integration points): the representations at all
// nodes of all gaps of a batch, and at the events, are computed in one
// attention pass per layer, every query row attending exactly to the
// events before its time (Spans), instead of EasyTPP's one full network
// pass per node over a doubled sequence. Times are absolute (since the
// window start) everywhere, including prediction (EasyTPP's sampler passes
// relative times to the network, a bug this package does not copy).
// NextAfter computes the history's keys and values once and evaluates a
// query per call, with plain loops independent of the engine path. The
// prediction's batched evaluation at the 15 nodes of a quadrature panel
// (IntensitiesAt, batch.go) rearranges that computation for small
// matrices: a merged Q/K/V product per layer, the output projection folded
// into the history's values once per sequence, layer 0's scores from T+1
// coefficients per history event, an unnormalised softmax whose row
// maxima and sums are hand-written four-accumulator loops (the running
// maximum or sum of a plain loop, vecmath.Softmax's included, is bound by
// its latency on rows this short); batch.go's notes say why each step.
package attnhp

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
const Name = "attnhp"

// ModelFile holds the configuration and parameters inside a run directory.
const ModelFile = "attnhp.json"

// Config holds the model's settings.
type Config struct {
	// HiddenSize is the representation size D (default 16, EasyTPP's
	// AttNHP_train).
	HiddenSize int `json:"hidden_size"`
	// TimeEmbSize is the size T of the sinusoidal time embedding (default 4,
	// EasyTPP's AttNHP_train).
	TimeEmbSize int `json:"time_emb_size"`
	// NumLayers is the number of attention layers (default 2).
	NumLayers int `json:"num_layers"`
	// NumHeads is the number of attention heads per layer (default 2).
	NumHeads int `json:"num_heads"`
	// QuadNodes is the number of Gauss–Legendre nodes per gap for the
	// compensator (default 10).
	QuadNodes int `json:"quad_nodes"`
	// TimeScale τ is the unit of time of the time embedding (default 1).
	TimeScale float64 `json:"time_scale"`
	// Dropout is the dropout rate on every layer's attention output (of
	// the events and of the query times) during training (EasyTPP's
	// dropout_rate; default 0). Evaluation and prediction never drop.
	Dropout float64 `json:"dropout_rate,omitempty"`
	// Threads is the number of worker goroutines a batch is split over
	// (0: GOMAXPROCS). Results are deterministic for a fixed value.
	Threads int `json:"threads,omitempty"`
	// ChunkTokens bounds the padded positions (sequences × length) of one
	// forward and backward pass within a worker's part of a batch: the part
	// runs in column chunks of at most that many positions (at least one
	// sequence each) whose gradients are summed, so that a pass's
	// activations stay in the core's cache (default 64, also for 0).
	// Results depend on it only through rounding.
	ChunkTokens int `json:"chunk_tokens,omitempty"`
}

// DefaultConfig is hidden 16, time embedding 4, 2 layers, 2 heads, 10
// quadrature nodes, τ = 1 (EasyTPP's AttNHP_train sizes), chunks of 64
// padded positions.
func DefaultConfig() Config {
	return Config{HiddenSize: 16, TimeEmbSize: 4, NumLayers: 2, NumHeads: 2, QuadNodes: 10, TimeScale: 1, ChunkTokens: 64}
}

func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.HiddenSize == 0 {
		c.HiddenSize = d.HiddenSize
	}
	if c.TimeEmbSize == 0 {
		c.TimeEmbSize = d.TimeEmbSize
	}
	if c.NumLayers == 0 {
		c.NumLayers = d.NumLayers
	}
	if c.NumHeads == 0 {
		c.NumHeads = d.NumHeads
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
	case c.HiddenSize < 1:
		return c, fmt.Errorf("attnhp: field hidden_size: %d, want >= 1", c.HiddenSize)
	case c.TimeEmbSize < 1:
		return c, fmt.Errorf("attnhp: field time_emb_size: %d, want >= 1", c.TimeEmbSize)
	case c.NumLayers < 1:
		return c, fmt.Errorf("attnhp: field num_layers: %d, want >= 1", c.NumLayers)
	case c.NumHeads < 1:
		return c, fmt.Errorf("attnhp: field num_heads: %d, want >= 1", c.NumHeads)
	case c.QuadNodes < 1 || c.QuadNodes > 200:
		return c, fmt.Errorf("attnhp: field quad_nodes: %d, want 1..200", c.QuadNodes)
	case !(c.TimeScale > 0) || math.IsInf(c.TimeScale, 0):
		return c, fmt.Errorf("attnhp: field time_scale: %v, want a finite value > 0", c.TimeScale)
	case c.Threads < 0:
		return c, fmt.Errorf("attnhp: field threads: %d, want >= 0", c.Threads)
	case c.ChunkTokens < 0:
		return c, fmt.Errorf("attnhp: field chunk_tokens: %d, want >= 1", c.ChunkTokens)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return c, fmt.Errorf("attnhp: field dropout_rate: %v, want in [0, 1)", c.Dropout)
	}
	return c, nil
}

// Model is an A-NHP with its parameters. Its batch-scoring methods are not
// safe for concurrent use (they share the workers' tapes); NextAfter is.
type Model struct {
	cfg Config
	k   int

	emb     *params.Param // [K, D]
	layers  []*attention.MHA
	head    *attention.Linear // D → K
	logBeta *params.Param     // [K]
	ps      []*params.Param

	nodes, weights []float64
	run            *attention.Runner
	kvCache        predict.PrefixCache[*historyKV] // prediction: per-sequence keys and values
}

// New returns an A-NHP for numTypes event types with parameters drawn from
// seed: Xavier-uniform matrices and embedding, zero biases, β = 1.
func New(cfg Config, numTypes int, seed uint64) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if numTypes < 1 {
		return nil, fmt.Errorf("attnhp: %d event types, want >= 1", numTypes)
	}
	m := newShell(cfg, numTypes)
	rng := engine.NewRand(seed)
	engine.InitXavier(m.emb, numTypes, cfg.HiddenSize, rng)
	for _, l := range m.layers {
		l.Init(rng)
	}
	m.head.Init(rng)
	return m, nil
}

func newShell(cfg Config, k int) *Model {
	D, T := cfg.HiddenSize, cfg.TimeEmbSize
	m := &Model{cfg: cfg, k: k}
	m.emb = engine.NewParam("emb", k, D)
	m.ps = []*params.Param{m.emb}
	for l := 0; l < cfg.NumLayers; l++ {
		a := attention.NewMHA(fmt.Sprintf("layer%d", l), D+T, cfg.NumHeads, D, D)
		m.layers = append(m.layers, a)
		m.ps = append(m.ps, a.Params()...)
	}
	m.head = attention.NewLinear("head", D, k, true)
	m.logBeta = engine.NewParam("log_beta", k)
	m.ps = append(m.ps, m.head.Params()...)
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

// queries lays out the query times of batch b under convention c: for every
// integrated gap its QuadNodes Gauss–Legendre nodes, and for every scored
// gap the event at its end. A query of gap p in column col attends to the
// events 0..p−1 of that column.
type queries struct {
	n     int
	te    []float64 // [n, T] time embeddings
	sp    attention.Spans
	types []int     // event type for an end-of-gap query, −1 for a node
	qw    []float64 // Δ·weight for a node, 0 for an event query
}

func (m *Model) layout(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (queries, int) {
	iv := attention.NewIntervals(t, b, c)
	Q, T, B := len(m.nodes), m.cfg.TimeEmbSize, b.B
	n := 0
	for r := range iv.Types {
		if iv.IntMask[r] != 0 && iv.Delta[r] != 0 {
			n += Q
		}
		if iv.Types[r] >= 0 {
			n++
		}
	}
	// the events are batch-major (forward): column col's are rows col·L..
	q := queries{n: n, te: t.Floats(n * T), types: t.Ints(n), qw: t.Floats(n),
		sp: attention.Spans{Base: t.Ints(n), Len: t.Ints(n), Stride: 1}}
	i := 0
	add := func(p, col int, time float64, typ int, w float64) {
		attention.Sinusoid((time-b.Start[col])/m.cfg.TimeScale, q.te[i*T:(i+1)*T])
		q.sp.Base[i], q.sp.Len[i] = col*b.L, p
		q.types[i], q.qw[i] = typ, w
		i++
	}
	// column by column, so that the queries of a column are contiguous rows
	// (one group of attention.Attend)
	for col := 0; col < B; col++ {
		for p := 0; p < iv.P; p++ {
			r := p*B + col
			from := b.Start[col]
			if p > 0 {
				from = b.Times[r-B]
			}
			d := iv.Delta[r]
			if w := iv.IntMask[r]; w != 0 && d != 0 {
				for j, x := range m.nodes {
					add(p, col, from+d*x, -1, w*d*m.weights[j])
				}
			}
			if k := iv.Types[r]; k >= 0 {
				add(p, col, from+d, k, 0)
			}
		}
	}
	return q, iv.Scored
}

func (m *Model) forward(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts) {
	B, L, D, T := b.B, b.L, m.cfg.HiddenSize, m.cfg.TimeEmbSize
	q, _ := m.layout(t, b, c)
	// events: layer-0 representations and time embeddings, batch-major
	// (row col·L + i): each column's events are contiguous rows, which
	// attention reads in place; only the queries' outputs are used, so
	// nothing is reordered back
	typeIdx := t.Ints(L * B)
	teE := t.Floats(L * B * T)
	for col := 0; col < B; col++ {
		for i := 0; i < L; i++ {
			r, rb := i*B+col, col*L+i
			if b.Mask[r] == 0 {
				typeIdx[rb] = -1
				continue
			}
			typeIdx[rb] = b.Types[r]
			attention.Sinusoid((b.Times[r]-b.Start[col])/m.cfg.TimeScale, teE[rb*T:(rb+1)*T])
		}
	}
	x := t.Tanh(t.Gather(t.Param(m.emb), typeIdx)) // [L·B, D]
	tEv := t.Const(teE, L*B, T)
	spE := attention.CausalSpansBatchMajor(t, L, B, b.Lens)
	z := t.New(q.n, D)
	tQ := t.Const(q.te, q.n, T)
	for l, layer := range m.layers {
		ue := t.Concat(x, tEv)
		uq := t.Concat(z, tQ)
		if l == len(m.layers)-1 {
			// the events' representations after the last layer are unused
			z = t.Add(z, t.Dropout(t.Tanh(layer.Query(t, uq, ue, q.sp, true)), m.cfg.Dropout))
			break
		}
		ae, aq := layer.SelfAndQuery(t, ue, spE, uq, q.sp)
		x = t.Add(x, t.Dropout(t.Tanh(ae), m.cfg.Dropout))
		z = t.Add(z, t.Dropout(t.Tanh(aq), m.cfg.Dropout))
	}
	var st engine.IntensityStats
	var bias *engine.Tensor
	if m.head.B != nil {
		bias = t.Param(m.head.B)
	}
	ll := t.SoftplusIntensityLL(engine.IntensityLL{
		HEv: z, Types: q.types, HQ: z, QW: q.qw,
		W: t.Param(m.head.W), B: bias, LogBeta: t.Param(m.logBeta),
		Stats: &st,
	})
	return ll, attention.PartsOf(st, B)
}

// NextAfter returns the law of event i of seq given events 0..i−1 (for
// i = 0 the empty history from seq.Start). The events' keys and values at
// every layer are computed once; Intensities(dt) then runs one query at
// time t_{i−1} + dt through the layers. It is safe for concurrent use.
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	if i < 0 || i > seq.Len() {
		panic(fmt.Sprintf("attnhp: NextAfter(%d) of a sequence of %d events", i, seq.Len()))
	}
	return m.lawAfter(m.kvCache.Whole(seq, i, attention.FingerprintParams(m.ps), m.historyKV), seq, i)
}

// Laws implements predict.SequenceModel: the keys and values of the whole
// sequence computed once, no cache.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	return func(yield func(int, predict.Next) bool) {
		h := m.historyKV(seq)[seq.Len()]
		for i := 0; i <= seq.Len(); i++ {
			if !yield(i, m.lawAfter(h, seq, i)) {
				return
			}
		}
	}
}

// lawAfter is the law of event i of seq given the keys and values h of at
// least its first i events.
func (m *Model) lawAfter(h *historyKV, seq *data.Sequence, i int) *next {
	HD := m.cfg.NumHeads * m.cfg.HiddenSize
	n := &next{m: m, i: i, start: seq.Start, anchor: seq.Start, h: h}
	if i > 0 {
		n.anchor = seq.Times[i-1]
	}
	for l := range h.keys {
		n.keys = append(n.keys, h.keys[l][:i*HD])
		n.vals = append(n.vals, h.vals[l][:i*HD])
	}
	return n
}

// scalarBufs allocates the scratch space of intensitiesScalar.
func (n *next) scalarBufs() {
	if n.u != nil {
		return
	}
	m, i := n.m, n.i
	D, T, H := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads
	HD := H * D
	n.u = make([]float64, D+T)
	n.q = make([]float64, HD)
	n.sk = make([]float64, HD)
	n.sv = make([]float64, HD)
	n.att = make([]float64, HD)
	n.out = make([]float64, D)
	n.scores = make([]float64, i+1)
	n.beta = make([]float64, m.k)
	for k := range n.beta {
		n.beta[k] = math.Exp(m.logBeta.Value[k])
	}
}

// historyKV computes, in one causal pass over seq, the keys and values of
// all its events at every layer (event s's depend on events 0..s only, so
// the history of event i is the first i rows), and returns it as the state
// of every event (predict.PrefixCache.Whole).
func (m *Model) historyKV(seq *data.Sequence) []*historyKV {
	D, T, H := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads
	HD := H * D
	i := seq.Len()
	hk := &historyKV{}
	// event representations u = [x; τ(t)] layer by layer
	u := make([][]float64, i)
	for s := range u {
		u[s] = make([]float64, D+T)
		e := m.emb.Value[seq.Types[s]*D : (seq.Types[s]+1)*D]
		for d := 0; d < D; d++ {
			u[s][d] = math.Tanh(e[d])
		}
		attention.Sinusoid((seq.Times[s]-seq.Start)/m.cfg.TimeScale, u[s][D:])
	}
	qs := make([][]float64, i)
	att := make([]float64, HD)
	out := make([]float64, D)
	scores := make([]float64, i+1)
	for l, layer := range m.layers {
		ks, vs := make([]float64, i*HD), make([]float64, i*HD)
		for s := 0; s < i; s++ {
			layer.K.ApplyVec(u[s], ks[s*HD:(s+1)*HD])
			layer.V.ApplyVec(u[s], vs[s*HD:(s+1)*HD])
		}
		hk.keys = append(hk.keys, ks)
		hk.vals = append(hk.vals, vs)
		if l == len(m.layers)-1 {
			break
		}
		for s := 0; s < i; s++ {
			qs[s] = make([]float64, HD)
			layer.Q.ApplyVec(u[s], qs[s])
		}
		// event s attends to events 0..s (itself included)
		for s := 0; s < i; s++ {
			attendVec(qs[s], ks[:(s+1)*HD], vs[:(s+1)*HD], nil, nil, H, D, scores, att)
			layer.O.ApplyVec(att, out)
			for d := 0; d < D; d++ {
				u[s][d] += math.Tanh(out[d])
			}
		}
	}
	all := make([]*historyKV, i+1)
	for j := range all {
		all[j] = hk
	}
	return all
}

// historyKV holds the keys and values of a sequence's events, per layer
// [n, H·D].
type historyKV struct {
	keys, vals [][]float64

	batchOnce sync.Once
	batch     *seqBatch // the batched path's per-sequence matrices (batch.go)
}

// attendVec is one query's multi-head attention over the keys/values of
// ks, vs (rows of H·D) and, when sk is not nil, its own key and value;
// the concatenated heads go to out.
func attendVec(q, ks, vs, sk, sv []float64, H, D int, scores, out []float64) {
	attendVecPre(q, ks, vs, sk, sv, nil, H, D, scores, out)
}

// attendVecPre is attendVec with the scaled scores of the n history keys
// given (pre[h·n+s] for head h and key s) when pre is not nil.
func attendVecPre(q, ks, vs, sk, sv, pre []float64, H, D int, scores, out []float64) {
	HD := H * D
	n := len(ks) / HD
	scale := 1 / math.Sqrt(float64(D))
	clear(out)
	for h := 0; h < H; h++ {
		qh := q[h*D : (h+1)*D]
		mx := math.Inf(-1)
		m := n
		if pre != nil {
			copy(scores[:n], pre[h*n:(h+1)*n])
			for _, v := range scores[:n] {
				mx = max(mx, v)
			}
		} else {
			for s := 0; s < n; s++ {
				scores[s] = dot(qh, ks[s*HD+h*D:s*HD+(h+1)*D]) * scale
				mx = max(mx, scores[s])
			}
		}
		if sk != nil {
			scores[n] = dot(qh, sk[h*D:(h+1)*D]) * scale
			mx = max(mx, scores[n])
			m++
		}
		for s := 0; s < m; s++ {
			scores[s] -= mx
		}
		vecmath.Exp(scores[:m], scores[:m])
		z := 0.0
		for _, v := range scores[:m] {
			z += v
		}
		o := out[h*D : (h+1)*D]
		for s := 0; s < n; s++ {
			p := scores[s] / z
			v := vs[s*HD+h*D : s*HD+(h+1)*D]
			for d := range o {
				o[d] += p * v[d]
			}
		}
		if sk != nil {
			p := scores[n] / z
			v := sv[h*D : (h+1)*D]
			for d := range o {
				o[d] += p * v[d]
			}
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// next is the law after a fixed history: the keys and values of its events
// at every layer, and scratch space for one query of intensitiesScalar
// (used by one goroutine).
type next struct {
	m             *Model
	i             int
	start, anchor float64
	keys, vals    [][]float64 // per layer, [i, H·D]

	u, q, sk, sv, att, out, scores, beta []float64 // made by scalarBufs

	c0, a0, pre []float64 // layer 0's history scores (see layer0Scores)

	h  *historyKV // the sequence's keys and values, with the batched path's matrices
	lp *lawPacks  // the history's operands of IntensitiesAt, packed on its first call
}

// layer0Scores precomputes, on the first scalar evaluation, the history
// part of layer 0's attention scores. Layer 0's queries see u = [0, τ(t)]:
// q = b_Q + τ·W_Q[D:], so the score of history key k_s in head h is
// (b_Q,h·k_s,h + τ·a_s,h)/√D with a_s,h[t] = W_Q[D+t, head h]·k_s,h (T
// numbers per key instead of a D-long dot product per evaluation). The
// batched path (IntensitiesAt) does not need it.
func (n *next) layer0Scores() {
	m, i := n.m, n.i
	if n.pre != nil || len(m.layers) == 0 || i == 0 {
		return
	}
	D, T, H := m.cfg.HiddenSize, m.cfg.TimeEmbSize, m.cfg.NumHeads
	HD := H * D
	W := m.layers[0].Q.W.Value
	B := make([]float64, HD)
	if b := m.layers[0].Q.B; b != nil {
		B = b.Value
	}
	k0 := n.keys[0]
	n.c0 = make([]float64, H*i)
	n.a0 = make([]float64, H*i*T)
	for h := 0; h < H; h++ {
		for s := 0; s < i; s++ {
			ks := k0[s*HD+h*D : s*HD+(h+1)*D]
			n.c0[h*i+s] = dot(B[h*D:(h+1)*D], ks)
			a := n.a0[(h*i+s)*T : (h*i+s+1)*T]
			for t := 0; t < T; t++ {
				a[t] = dot(W[(D+t)*HD+h*D:(D+t)*HD+(h+1)*D], ks)
			}
		}
	}
	n.pre = make([]float64, H*i)
}

func (n *next) NumTypes() int { return n.m.k }

// Intensities evaluates λ_k(t_{i−1} + dt) from the query at that absolute
// time, as a batch of one (IntensitiesAt).
func (n *next) Intensities(dt float64, lam []float64) {
	d := [1]float64{dt}
	n.IntensitiesAt(d[:], lam)
}

// intensitiesScalar is Intensities computed directly, query by query:
// attendVec's plain loops and the layers' own Linear maps, no merged or
// folded matrices. It is the independent reference of IntensitiesAt's
// tests.
func (n *next) intensitiesScalar(dt float64, lam []float64) {
	n.scalarBufs()
	m := n.m
	D, H := m.cfg.HiddenSize, m.cfg.NumHeads
	clear(n.u[:D])
	attention.Sinusoid((n.anchor+dt-n.start)/m.cfg.TimeScale, n.u[D:])
	T := m.cfg.TimeEmbSize
	n.layer0Scores()
	for l, layer := range m.layers {
		if l > 0 {
			layer.Q.ApplyVec(n.u, n.q)
			layer.K.ApplyVec(n.u, n.sk)
			layer.V.ApplyVec(n.u, n.sv)
			attendVec(n.q, n.keys[l], n.vals[l], n.sk, n.sv, H, D, n.scores, n.att)
		} else {
			layer.Q.ApplyVecFrom(n.u, D, n.q)
			layer.K.ApplyVecFrom(n.u, D, n.sk)
			layer.V.ApplyVecFrom(n.u, D, n.sv)
			if n.pre != nil {
				scale := 1 / math.Sqrt(float64(D))
				tau := n.u[D : D+T]
				for j, c := range n.c0 {
					n.pre[j] = (c + dot(tau, n.a0[j*T:(j+1)*T])) * scale
				}
			}
			attendVecPre(n.q, n.keys[0], n.vals[0], n.sk, n.sv, n.pre, H, D, n.scores, n.att)
		}
		layer.O.ApplyVec(n.att, n.out)
		vecmath.Tanh(n.out, n.out)
		for d := 0; d < D; d++ {
			n.u[d] += n.out[d]
		}
	}
	m.head.ApplyVec(n.u[:D], lam)
	for k, b := range n.beta {
		lam[k] *= b
	}
	vecmath.Softplus(lam, lam)
	for k, b := range n.beta {
		lam[k] /= b
	}
}

var (
	_ train.Model           = (*Model)(nil)
	_ predict.SequenceModel = (*Model)(nil)
)

// Save writes the configuration and parameters to dir/attnhp.json
// atomically (and a minimal run.json when dir has none).
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
// hidden_size, time_emb_size, num_layers, num_heads and quad_nodes
// directly, and model_specs keys time_scale, threads and chunk_tokens;
// dropout_rate sets Dropout.
func ConfigFromHyper(h model.Hyper) (Config, error) {
	c := Config{HiddenSize: h.Hidden, TimeEmbSize: h.TimeEmb, NumLayers: h.Layers, NumHeads: h.Heads, QuadNodes: h.QuadNodes, Dropout: h.Dropout}
	var err error
	if c.TimeScale, _, err = attention.SpecFloat(h.Specs, "time_scale"); err != nil {
		return c, fmt.Errorf("attnhp: %w", err)
	}
	if c.Threads, _, err = attention.SpecInt(h.Specs, "threads"); err != nil {
		return c, fmt.Errorf("attnhp: %w", err)
	}
	if c.ChunkTokens, _, err = attention.SpecInt(h.Specs, "chunk_tokens"); err != nil {
		return c, fmt.Errorf("attnhp: %w", err)
	}
	return c.withDefaults()
}

func init() {
	d := DefaultConfig()
	model.Register(model.Spec{
		Name:     Name,
		Dropout:  true,
		Doc:      "Attentive neural Hawkes process (Yang, Mei & Eisner 2022): continuous-time attention from any time over the events before it",
		Defaults: model.Hyper{Hidden: d.HiddenSize, TimeEmb: d.TimeEmbSize, Layers: d.NumLayers, Heads: d.NumHeads, QuadNodes: d.QuadNodes},
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
