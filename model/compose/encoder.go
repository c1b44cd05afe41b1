package compose

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/engine"
	"github.com/gotpp/gotpp/params"
)

// Recurrent cells of the history encoder.
const (
	CellRNN  = "rnn"  // Elman RNN, tanh
	CellGRU  = "gru"  // GRU (PyTorch's form)
	CellLSTM = "lstm" // LSTM with forget gate
)

// Time features of the gap Δt_j = t_j − t_{j−1} fed to the encoder with
// the type embedding of event j.
const (
	FeatureLog       = "log"        // (log max(Δt, floor) − mean)/std
	FeatureLogLinear = "log+linear" // the above and Δt/Scale
)

// EncoderConfig describes a recurrent history encoder.
type EncoderConfig struct {
	Cell      string `json:"cell"`        // rnn, gru or lstm (default gru)
	Hidden    int    `json:"hidden_size"` // state size (default 32)
	Layers    int    `json:"num_layers"`  // stacked recurrent layers (default 1)
	EmbedSize int    `json:"embed_size"`  // type-embedding size (default: Hidden)
	// TimeFeatures is log (default) or log+linear.
	TimeFeatures string `json:"time_features"`
}

func (c EncoderConfig) withDefaults() (EncoderConfig, error) {
	if c.Cell == "" {
		c.Cell = CellGRU
	}
	if c.Hidden == 0 {
		c.Hidden = 32
	}
	if c.Layers == 0 {
		c.Layers = 1
	}
	if c.EmbedSize == 0 {
		c.EmbedSize = c.Hidden
	}
	if c.TimeFeatures == "" {
		c.TimeFeatures = FeatureLog
	}
	switch c.Cell {
	case CellRNN, CellGRU, CellLSTM:
	default:
		return c, fmt.Errorf("encoder: field cell: %q, want %s, %s or %s", c.Cell, CellRNN, CellGRU, CellLSTM)
	}
	if c.Hidden < 1 {
		return c, fmt.Errorf("encoder: field hidden_size: %d, want >= 1", c.Hidden)
	}
	if c.Layers < 1 {
		return c, fmt.Errorf("encoder: field num_layers: %d, want >= 1", c.Layers)
	}
	if c.EmbedSize < 1 {
		return c, fmt.Errorf("encoder: field embed_size: %d, want >= 1", c.EmbedSize)
	}
	switch c.TimeFeatures {
	case FeatureLog, FeatureLogLinear:
	default:
		return c, fmt.Errorf("encoder: field time_features: %q, want %s or %s", c.TimeFeatures, FeatureLog, FeatureLogLinear)
	}
	return c, nil
}

func (c EncoderConfig) gates() int {
	switch c.Cell {
	case CellGRU:
		return 3
	case CellLSTM:
		return 4
	}
	return 1
}

func (c EncoderConfig) numFeatures() int {
	if c.TimeFeatures == FeatureLogLinear {
		return 2
	}
	return 1
}

// TypeEmbedding is the event-embedding block: one learned vector per event
// type, looked up with engine.Gather (a negative index, used at padded
// positions, gives zeros).
type TypeEmbedding struct {
	Table *params.Param // [K, E]
}

// NewTypeEmbedding returns a K×E embedding named name.
func NewTypeEmbedding(name string, k, e int) *TypeEmbedding {
	return &TypeEmbedding{Table: engine.NewParam(name, k, e)}
}

// Lookup returns the embeddings of idx as an [len(idx), E] tensor.
func (te *TypeEmbedding) Lookup(t *engine.Tape, idx []int) *engine.Tensor {
	return t.Gather(t.Param(te.Table), idx)
}

// Row returns the embedding of type k (a view of the parameter values).
func (te *TypeEmbedding) Row(k int) []float64 {
	e := te.Table.Shape[1]
	return te.Table.Value[k*e : (k+1)*e]
}

type layer struct {
	wx, b, wh, bh, h0, c0 *params.Param
}

// Encoder is the history encoder block: a stack of recurrent layers over
// x_j = [embedding(k_j) ‖ time features(Δt_j)], j = 0, 1, .... Its output for
// a sequence with n events is the n+1 history states s_0..s_n, where s_0 is
// the learned initial state (top layer) and s_p (p ≥ 1) the top-layer state
// after events 0..p−1: s_p is all a decoder may use for the interval that
// ends at event p (or, for p = n, at the window end).
type Encoder struct {
	cfg    EncoderConfig
	k      int
	emb    *TypeEmbedding
	layers []layer
	ps     []*params.Param
}

// NewEncoder returns an encoder for k event types with zero parameters
// (see Init).
func NewEncoder(cfg EncoderConfig, k int) (*Encoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("encoder: %d event types, want >= 1", k)
	}
	e := &Encoder{cfg: cfg, k: k, emb: NewTypeEmbedding("enc.emb", k, cfg.EmbedSize)}
	e.ps = append(e.ps, e.emb.Table)
	H, G := cfg.Hidden, cfg.gates()
	in := cfg.EmbedSize + cfg.numFeatures()
	for l := 0; l < cfg.Layers; l++ {
		pre := fmt.Sprintf("enc.l%d.", l+1)
		ly := layer{
			wx: engine.NewParam(pre+"w_x", in, G*H),
			b:  engine.NewParam(pre+"b", G*H),
			wh: engine.NewParam(pre+"w_h", H, G*H),
			h0: engine.NewParam(pre+"h0", H),
		}
		e.ps = append(e.ps, ly.wx, ly.b, ly.wh)
		if cfg.Cell == CellGRU {
			ly.bh = engine.NewParam(pre+"b_h", G*H)
			e.ps = append(e.ps, ly.bh)
		}
		e.ps = append(e.ps, ly.h0)
		if cfg.Cell == CellLSTM {
			ly.c0 = engine.NewParam(pre+"c0", H)
			e.ps = append(e.ps, ly.c0)
		}
		e.layers = append(e.layers, ly)
		in = H
	}
	return e, nil
}

// Init draws the parameters: Xavier-uniform embedding and weights, zero
// biases and initial states, LSTM forget-gate biases 1.
func (e *Encoder) Init(rng *rand.Rand) {
	H := e.cfg.Hidden
	engine.InitXavier(e.emb.Table, e.k, e.cfg.EmbedSize, rng)
	for _, ly := range e.layers {
		engine.InitXavier(ly.wx, ly.wx.Shape[0], H, rng)
		engine.InitXavier(ly.wh, H, H, rng)
		if e.cfg.Cell == CellLSTM {
			for j := H; j < 2*H; j++ {
				ly.b.Value[j] = 1
			}
		}
	}
}

// Config returns the encoder's configuration with defaults filled in.
func (e *Encoder) Config() EncoderConfig { return e.cfg }

// Size is the size of the history states.
func (e *Encoder) Size() int { return e.cfg.Hidden }

// Params returns the encoder's parameters in a fixed order.
func (e *Encoder) Params() []*params.Param { return e.ps }

// features writes the time features of gap dt into f.
func (e *Encoder) features(dt float64, z gapScaler, f []float64) {
	f[0] = z.standardize(dt)
	if len(f) > 1 {
		f[1] = dt / z.scale
	}
}

// Encode runs the encoder over batch b and returns the history states as a
// time-major [(L+1)·B, H] tensor: row p·B + col is s_p of column col. Rows
// past a column's length are computed from padding and must not be used.
//
// The first layer's input projection is engine.EmbedProject over the table
// emb·W_x[:E] (views of the one W_x parameter, so the saved layout is
// unchanged); layers above take the states below. A GRU layer is one
// engine.GRUSeq node whose output is the stack of states itself; RNN and
// LSTM layers step their cells and join the states with ConcatRows.
func (e *Encoder) Encode(t *engine.Tape, b *batch.Batch, st *LogGapStats) *engine.Tensor {
	B, L, H := b.B, b.L, e.cfg.Hidden
	F := e.cfg.numFeatures()
	typeIdx := t.Ints(L * B)
	feats := t.Floats(L * B * F)
	z := st.scaler()
	for i := 0; i < L*B; i++ {
		if b.Mask[i] == 0 {
			typeIdx[i] = -1
			e.features(1, z, feats[i*F:(i+1)*F]) // any finite value
			continue
		}
		typeIdx[i] = b.Types[i]
		e.features(b.Dt[i], z, feats[i*F:(i+1)*F])
	}
	zeros := t.Ints(B)
	E := e.cfg.EmbedSize
	var in, top *engine.Tensor // in: the previous layer's states [L·B, H]
	var outs []*engine.Tensor
	last := len(e.layers) - 1
	for li, ly := range e.layers {
		if L == 0 && li < last {
			continue // no events: only the top layer's initial state is used
		}
		h := t.Gather(t.Reshape(t.Param(ly.h0), 1, H), zeros)
		if L == 0 {
			top = h
			break
		}
		var c *engine.Tensor
		if ly.c0 != nil {
			c = t.Gather(t.Reshape(t.Param(ly.c0), 1, H), zeros)
		}
		var xp *engine.Tensor
		if li == 0 {
			// [emb(k) ‖ f]·Wx + b = (emb·Wx[:E])[k] + f·Wx[E:] + b: the
			// K×E table times the top rows once, then one pass per row
			wx := t.Param(ly.wx)
			table := t.MatMul(t.Param(e.emb.Table), t.Rows(wx, 0, E), false, false)
			xp = t.EmbedProject(table, typeIdx, t.Const(feats, L*B, F), t.Rows(wx, E, E+F), t.Param(ly.b))
		} else {
			xp = t.Linear(in, t.Param(ly.wx), t.Param(ly.b))
		}
		wh := t.Param(ly.wh)
		var states *engine.Tensor // s_0..s_L, [(L+1)·B, H]
		if e.cfg.Cell == CellGRU {
			states = t.GRUSeq(xp, h, wh, t.Param(ly.bh))
		} else {
			if outs == nil {
				outs = t.TensorList(L + 1)
			}
			outs[0] = h
			for j := 0; j < L; j++ {
				x := t.Rows(xp, j*B, (j+1)*B)
				if e.cfg.Cell == CellRNN {
					h = t.RNNCell(x, h, wh)
				} else {
					h, c = t.LSTMCell(x, h, c, wh)
				}
				outs[j+1] = h
			}
			states = t.ConcatRows(outs...)
		}
		if li == last {
			top = states
		} else {
			in = t.Rows(states, B, (L+1)*B)
		}
	}
	return top
}

// State is the encoder's recurrent state for one sequence, advanced one
// event at a time in plain Go (no tape): the path NextAfter uses. It is an
// independent implementation of the same cells as Encode.
type State struct {
	h, c [][]float64
	x, z []float64
}

// NewState returns the initial state (the learned h0, c0 of every layer).
func (e *Encoder) NewState() *State {
	H, G := e.cfg.Hidden, e.cfg.gates()
	s := &State{h: make([][]float64, len(e.layers)), c: make([][]float64, len(e.layers))}
	for l, ly := range e.layers {
		s.h[l] = append([]float64(nil), ly.h0.Value...)
		if ly.c0 != nil {
			s.c[l] = append([]float64(nil), ly.c0.Value...)
		}
	}
	s.x = make([]float64, max(e.cfg.EmbedSize+e.cfg.numFeatures(), H))
	s.z = make([]float64, 2*G*H)
	return s
}

// CopyFrom makes s a copy of o (same encoder).
func (s *State) CopyFrom(o *State) {
	for l := range s.h {
		copy(s.h[l], o.h[l])
		if s.c[l] != nil {
			copy(s.c[l], o.c[l])
		}
	}
}

// Top returns the top layer's hidden state (a view; valid until the next
// Step).
func (s *State) Top() []float64 { return s.h[len(s.h)-1] }

// Step advances s by one event of type k that came dt after the previous
// one (or after the window start).
func (e *Encoder) Step(s *State, dt float64, k int, st *LogGapStats) {
	H, G, E := e.cfg.Hidden, e.cfg.gates(), e.cfg.EmbedSize
	F := e.cfg.numFeatures()
	x := s.x[:E+F]
	copy(x, e.emb.Row(k))
	e.features(dt, st.scaler(), x[E:])
	for l, ly := range e.layers {
		in := len(x)
		xp := s.z[:G*H]
		hp := s.z[G*H:]
		copy(xp, ly.b.Value)
		for i := 0; i < in; i++ {
			if x[i] == 0 {
				continue
			}
			row := ly.wx.Value[i*G*H : (i+1)*G*H]
			for j, w := range row {
				xp[j] += x[i] * w
			}
		}
		if ly.bh != nil {
			copy(hp, ly.bh.Value)
		} else {
			clear(hp)
		}
		h := s.h[l]
		for i := 0; i < H; i++ {
			row := ly.wh.Value[i*G*H : (i+1)*G*H]
			for j, w := range row {
				hp[j] += h[i] * w
			}
		}
		switch e.cfg.Cell {
		case CellRNN:
			for j := 0; j < H; j++ {
				h[j] = math.Tanh(xp[j] + hp[j])
			}
		case CellGRU:
			for j := 0; j < H; j++ {
				r := engine.Sigmoid(xp[j] + hp[j])
				u := engine.Sigmoid(xp[H+j] + hp[H+j])
				n := math.Tanh(xp[2*H+j] + r*hp[2*H+j])
				h[j] = (1-u)*n + u*h[j]
			}
		default:
			c := s.c[l]
			for j := 0; j < H; j++ {
				ig := engine.Sigmoid(xp[j] + hp[j])
				fg := engine.Sigmoid(xp[H+j] + hp[H+j])
				g := math.Tanh(xp[2*H+j] + hp[2*H+j])
				og := engine.Sigmoid(xp[3*H+j] + hp[3*H+j])
				c[j] = fg*c[j] + ig*g
				h[j] = og * math.Tanh(c[j])
			}
		}
		x = s.x[:H]
		copy(x, h)
	}
}
