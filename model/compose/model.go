package compose

import (
	"fmt"
	"iter"
	"math"
	"sync"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/predict"
)

// DecoderConfig selects and sizes the decoder. Fields that do not apply to
// the chosen kind must be zero.
type DecoderConfig struct {
	Kind string `json:"kind"` // cumhazard, lognormmix or softplus
	// Hidden is the width of the cumulative-hazard network or of the
	// softplus head's hidden layer (default: the encoder's hidden size).
	Hidden int `json:"hidden_size,omitempty"`
	// Layers is the number of tanh layers of the cumulative-hazard network
	// (default 3, EasyTPP's num_mlp_layers).
	Layers int `json:"num_mlp_layers,omitempty"`
	// Components is the number of log-normal mixture components (default 3).
	Components int `json:"num_mix_components,omitempty"`
	// MarkConditioned makes the log-normal mixture depend on the mark.
	MarkConditioned bool `json:"mark_conditioned,omitempty"`
	// MinLogScale is the smooth lower bound on the mixture's log-scales
	// (default DefaultMinLogScale); NoScaleFloor removes it.
	MinLogScale  float64 `json:"min_log_scale,omitempty"`
	NoScaleFloor bool    `json:"no_scale_floor,omitempty"`
	// QuadNodes is the number of Gauss–Legendre nodes per interval of the
	// softplus head (default DefaultQuadNodes).
	QuadNodes int `json:"quad_nodes,omitempty"`
	// LearnBeta gives the softplus head a learned per-type β.
	LearnBeta bool `json:"learn_beta,omitempty"`
}

func (c DecoderConfig) withDefaults(hidden int) (DecoderConfig, error) {
	bad := func(f string, v any) error {
		return fmt.Errorf("decoder %s: field %s: %v does not apply", c.Kind, f, v)
	}
	switch c.Kind {
	case KindCumHazard:
		if c.Hidden == 0 {
			c.Hidden = hidden
		}
		if c.Layers == 0 {
			c.Layers = 3
		}
		if c.Components != 0 || c.MarkConditioned || c.MinLogScale != 0 || c.NoScaleFloor || c.QuadNodes != 0 || c.LearnBeta {
			return c, bad("num_mix_components/mark_conditioned/min_log_scale/no_scale_floor/quad_nodes/learn_beta", "set")
		}
	case KindLogNormMix:
		if c.Components == 0 {
			c.Components = 3
		}
		if c.MinLogScale == 0 && !c.NoScaleFloor {
			c.MinLogScale = DefaultMinLogScale
		}
		if c.Hidden != 0 || c.Layers != 0 || c.QuadNodes != 0 || c.LearnBeta {
			return c, bad("hidden_size/num_mlp_layers/quad_nodes/learn_beta", "set")
		}
	case KindSoftplus:
		if c.Hidden == 0 {
			c.Hidden = hidden
		}
		if c.QuadNodes == 0 {
			c.QuadNodes = DefaultQuadNodes
		}
		if c.Layers != 0 || c.Components != 0 || c.MarkConditioned || c.MinLogScale != 0 || c.NoScaleFloor {
			return c, bad("num_mlp_layers/num_mix_components/mark_conditioned/min_log_scale/no_scale_floor", "set")
		}
	default:
		return c, fmt.Errorf("decoder: field kind: %q, want %s, %s or %s", c.Kind, KindCumHazard, KindLogNormMix, KindSoftplus)
	}
	switch {
	case c.Hidden < 0:
		return c, fmt.Errorf("decoder: field hidden_size: %d, want >= 1", c.Hidden)
	case c.Layers < 0:
		return c, fmt.Errorf("decoder: field num_mlp_layers: %d, want >= 1", c.Layers)
	case c.Components < 0:
		return c, fmt.Errorf("decoder: field num_mix_components: %d, want >= 1", c.Components)
	case c.QuadNodes < 0:
		return c, fmt.Errorf("decoder: field quad_nodes: %d, want >= 1", c.QuadNodes)
	case math.IsNaN(c.MinLogScale) || math.IsInf(c.MinLogScale, 0):
		return c, fmt.Errorf("decoder: field min_log_scale: %v, want a finite number", c.MinLogScale)
	}
	return c, nil
}

// Config is a composed model: an encoder, a decoder, the log-gap
// statistics both use, and the training settings.
type Config struct {
	Encoder EncoderConfig `json:"encoder"`
	Decoder DecoderConfig `json:"decoder"`
	// Stats standardise the gaps (time features, mixture, time scale);
	// FitData sets them from the training data. Zero means
	// DefaultLogGapStats.
	Stats LogGapStats `json:"log_gap_stats"`
	// TrainConvention is the likelihood convention LossAndGrad scores
	// ("full", the default, or "easytpp").
	TrainConvention string `json:"train_convention"`
	// Threads is the number of goroutines a batch is split over (0:
	// GOMAXPROCS). Results are deterministic for a fixed value.
	Threads int `json:"threads,omitempty"`
	// ChunkTokens bounds the padded positions (sequences × length) of one
	// forward and backward pass within a worker's part of a batch: the part
	// runs in column chunks of at most that many positions (at least one
	// sequence each) whose gradients are summed, so that a pass's
	// activations stay in the core's cache (0, the zero value: the whole
	// part at once; the models set their own defaults). Results depend on
	// it only through rounding.
	ChunkTokens int `json:"chunk_tokens,omitempty"`
}

func (c Config) withDefaults() (Config, error) {
	var err error
	if c.Encoder, err = c.Encoder.withDefaults(); err != nil {
		return c, err
	}
	if c.Decoder, err = c.Decoder.withDefaults(c.Encoder.Hidden); err != nil {
		return c, err
	}
	if c.Stats == (LogGapStats{}) {
		c.Stats = DefaultLogGapStats()
	}
	if err := c.Stats.Check(); err != nil {
		return c, fmt.Errorf("log_gap_stats: %w", err)
	}
	if c.TrainConvention == "" {
		c.TrainConvention = likelihood.Full.String()
	}
	if _, err := likelihood.ParseConvention(c.TrainConvention); err != nil {
		return c, fmt.Errorf("field train_convention: %w", err)
	}
	if c.Threads < 0 {
		return c, fmt.Errorf("field threads: %d, want >= 0", c.Threads)
	}
	if c.ChunkTokens < 0 {
		return c, fmt.Errorf("field chunk_tokens: %d, want >= 0", c.ChunkTokens)
	}
	return c, nil
}

// Model is an encoder + decoder pair that implements train.Model,
// likelihood.DatasetScorer and predict.Model. Its batch methods are not
// safe for concurrent use (they share the workers' tapes); NextAfter is.
type Model struct {
	name  string
	cfg   Config
	k     int
	conv  likelihood.Convention
	stats *LogGapStats
	enc   *Encoder
	dec   Decoder
	ps    []*params.Param

	run   *runner.Runner // workers over sub-batches
	cache prefixCache
}

// New builds a composed model named name (the name its run directories
// carry) for numTypes event types, with parameters drawn from seed.
func New(name string, cfg Config, numTypes int, seed uint64) (*Model, error) {
	m, err := newShell(name, cfg, numTypes)
	if err != nil {
		return nil, err
	}
	rng := engine.NewRand(seed)
	m.enc.Init(rng)
	m.dec.Init(rng)
	return m, nil
}

// newShell builds the model with zero parameters.
func newShell(name string, cfg Config, k int) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if k < 1 {
		return nil, fmt.Errorf("%s: %d event types, want >= 1", name, k)
	}
	if name == "" {
		return nil, fmt.Errorf("compose: model without a name")
	}
	enc, err := NewEncoder(cfg.Encoder, k)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	H := enc.Size()
	var dec Decoder
	dc := cfg.Decoder
	switch dc.Kind {
	case KindCumHazard:
		dec = NewCumHazardDecoder(H, dc.Hidden, dc.Layers, k)
	case KindLogNormMix:
		dec = NewLogNormMixDecoder(H, k, dc.Components, dc.MarkConditioned, !dc.NoScaleFloor, dc.MinLogScale)
	default:
		dec = NewSoftplusDecoder(H, dc.Hidden, k, dc.QuadNodes, dc.LearnBeta)
	}
	conv, _ := likelihood.ParseConvention(cfg.TrainConvention)
	st := cfg.Stats
	m := &Model{name: name, cfg: cfg, k: k, conv: conv, stats: &st, enc: enc, dec: dec}
	m.ps = append(append(m.ps, enc.Params()...), dec.Params()...)
	m.run = runner.New(name, k, m.ps, cfg.Threads, m.Forward)
	m.run.ChunkTokens = cfg.ChunkTokens
	m.run.Train = conv
	return m, nil
}

// Name is the model's name in run directories.
func (m *Model) Name() string { return m.name }

// Config returns the configuration (defaults filled in, current stats).
func (m *Model) Config() Config {
	c := m.cfg
	c.Stats = *m.stats
	return c
}

// NumTypes is the number of event types K.
func (m *Model) NumTypes() int { return m.k }

// Params returns the encoder's then the decoder's parameters.
func (m *Model) Params() []*params.Param { return m.ps }

// Encoder returns the encoder block.
func (m *Model) Encoder() *Encoder { return m.enc }

// Decoder returns the decoder block.
func (m *Model) Decoder() Decoder { return m.dec }

// Stats returns the log-gap statistics in use.
func (m *Model) Stats() LogGapStats { return *m.stats }

// SetStats replaces the log-gap statistics.
func (m *Model) SetStats(s LogGapStats) error {
	if err := s.Check(); err != nil {
		return fmt.Errorf("%s: log_gap_stats: %w", m.name, err)
	}
	*m.stats = s
	m.cache.reset()
	return nil
}

// DataFitter is implemented by models that take data-dependent constants
// (here the log-gap statistics) from the training set. Call FitData after
// building the model and before training; a resumed run must call it again
// with the same data.
type DataFitter interface {
	FitData(ds *data.Dataset) error
}

// FitData sets the log-gap statistics from the inter-event gaps of ds
// (FitLogGaps).
func (m *Model) FitData(ds *data.Dataset) error {
	s, err := FitLogGaps(ds)
	if err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	return m.SetStats(s)
}

// TrainConvention is the convention LossAndGrad scores.
func (m *Model) TrainConvention() likelihood.Convention { return m.conv }

// SetThreads changes the number of worker goroutines (0: GOMAXPROCS).
func (m *Model) SetThreads(n int) {
	m.cfg.Threads = max(n, 0)
	m.run.SetThreads(m.ps, n)
}

// Forward builds the log-likelihood of batch b under convention c on tape
// t and returns it (a scalar tensor) with its parts: encode, keep the
// states of the scored intervals, decode.
func (m *Model) Forward(t *engine.Tape, b *batch.Batch, c likelihood.Convention) (*engine.Tensor, likelihood.Parts) {
	iv := NewIntervals(b, c)
	parts := likelihood.Parts{NumEvents: iv.NumEvents, NumSeqs: iv.NumSeqs}
	if iv.Len() == 0 {
		return t.Scalar(0), parts
	}
	states := m.enc.Encode(t, b, m.stats)
	s := t.Gather(states, iv.Rows)
	ll, sp := m.dec.LogLik(t, s, iv, m.stats)
	parts.LogLik, parts.TimeLL, parts.MarkLL = ll.Item(), sp.TimeLL, sp.MarkLL
	return ll, parts
}

// LossAndGrad computes the negative log-likelihood of b under the training
// convention (summed over the batch) and adds its gradient into the
// parameters' Grad; it returns the loss and the number of scored events.
func (m *Model) LossAndGrad(b *batch.Batch) (negLogLik float64, numEvents int) {
	return m.run.LossAndGrad(b)
}

// BatchLogLik scores b under convention c without gradients.
func (m *Model) BatchLogLik(b *batch.Batch, c likelihood.Convention) likelihood.Parts {
	return m.run.BatchLogLik(b, c)
}

// DatasetLogLik scores every sequence of ds under convention c, in
// length-sorted batches.
func (m *Model) DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error) {
	return m.run.DatasetLogLik(ds, c)
}

// NextAfter returns the law of event i of seq given events 0..i−1 (the
// empty history at seq.Start for i = 0): the encoder is stepped over the
// history in plain Go (continuing from a cached state when an earlier call
// saw a prefix of the same history) and the decoder's law is built once
// from the resulting state. Safe for concurrent use.
func (m *Model) NextAfter(seq *data.Sequence, i int) predict.Next {
	return m.dec.Next(m.stateAfter(seq, i).Top(), m.stats)
}

// Laws implements predict.SequenceModel: the encoder stepped once per
// event (no prefix cache, no parameter fingerprint), each law built from a
// copy of the state.
func (m *Model) Laws(seq *data.Sequence) iter.Seq2[int, predict.Next] {
	return predict.StepLaws(seq, m.enc.NewState(),
		func(st *State, k int, dt float64) *State { m.enc.Step(st, dt, k, m.stats); return st },
		func(st *State) predict.Next { return m.dec.Next(append([]float64(nil), st.Top()...), m.stats) })
}

// DensityDecoder is a Decoder that can give the law of the next event as
// a predict.Density (mark-first models).
type DensityDecoder interface {
	Density(h []float64, st *LogGapStats) (predict.Density, bool)
}

// DensityAfter returns the law of event i of seq given events 0..i−1 as a
// predict.Density, when the decoder is a mark-first density model (the
// log-normal mixture without mark conditioning); ok is false otherwise.
func (m *Model) DensityAfter(seq *data.Sequence, i int) (d predict.Density, ok bool) {
	dd, ok := m.dec.(DensityDecoder)
	if !ok {
		return nil, false
	}
	return dd.Density(m.stateAfter(seq, i).Top(), m.stats)
}

// stateAfter returns the encoder state after events 0..i−1 of seq.
func (m *Model) stateAfter(seq *data.Sequence, i int) *State {
	if i < 0 || i > len(seq.Times) {
		panic(fmt.Sprintf("%s: NextAfter(%d) on a sequence of %d events", m.name, i, len(seq.Times)))
	}
	st := m.enc.NewState()
	fp := m.fingerprint()
	from := m.cache.lookup(seq, i, st, fp)
	prev := seq.Start
	if from > 0 {
		prev = seq.Times[from-1]
	}
	for j := from; j < i; j++ {
		m.enc.Step(st, seq.Times[j]-prev, seq.Types[j], m.stats)
		prev = seq.Times[j]
	}
	if i > from {
		m.cache.store(seq, i, st, fp)
	}
	return st
}

// fingerprint hashes the encoder's parameter values, so that cached states
// computed before a training step are never reused after it.
func (m *Model) fingerprint() uint64 {
	h := uint64(14695981039346656037)
	for _, p := range m.enc.Params() {
		for _, v := range p.Value {
			h = (h ^ math.Float64bits(v)) * 1099511628211
		}
	}
	return h
}

// prefixCache keeps the encoder states of a few recently encoded prefixes,
// keyed by their content (start, times, types), so that NextAfter over
// consecutive events of one sequence costs one encoder step per event.
type prefixCache struct {
	mu      sync.Mutex
	entries []cacheEntry
	clock   uint64
}

type cacheEntry struct {
	fp    uint64 // parameter fingerprint
	start float64
	times []float64
	types []int
	st    *State
	used  uint64
}

const cacheSize = 16

func (c *prefixCache) reset() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

// lookup copies into st the state of the longest cached prefix of seq of
// at most i events computed with parameter fingerprint fp and returns its
// length (0 and st unchanged on a miss).
func (c *prefixCache) lookup(seq *data.Sequence, i int, st *State, fp uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	best := -1
	for e := range c.entries {
		en := &c.entries[e]
		n := len(en.times)
		if en.fp != fp || n > i || (best >= 0 && n <= len(c.entries[best].times)) || en.start != seq.Start {
			continue
		}
		ok := true
		for j := 0; j < n; j++ {
			if en.times[j] != seq.Times[j] || en.types[j] != seq.Types[j] {
				ok = false
				break
			}
		}
		if ok {
			best = e
		}
	}
	if best < 0 {
		return 0
	}
	c.clock++
	c.entries[best].used = c.clock
	st.CopyFrom(c.entries[best].st)
	return len(c.entries[best].times)
}

// store records the state after the first i events of seq.
func (c *prefixCache) store(seq *data.Sequence, i int, st *State, fp uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock++
	e := cacheEntry{fp: fp, start: seq.Start, times: append([]float64(nil), seq.Times[:i]...),
		types: append([]int(nil), seq.Types[:i]...), used: c.clock}
	if len(c.entries) < cacheSize {
		s := &State{h: make([][]float64, len(st.h)), c: make([][]float64, len(st.c))}
		for l := range st.h {
			s.h[l] = append([]float64(nil), st.h[l]...)
			if st.c[l] != nil {
				s.c[l] = append([]float64(nil), st.c[l]...)
			}
		}
		e.st = s
		c.entries = append(c.entries, e)
		return
	}
	old := 0
	for j := range c.entries {
		if c.entries[j].used < c.entries[old].used {
			old = j
		}
	}
	e.st = c.entries[old].st
	e.st.CopyFrom(st)
	c.entries[old] = e
}

var _ predict.SequenceModel = (*Model)(nil)
