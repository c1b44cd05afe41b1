package compose

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/train"
)

// Name is the registry name of the generic composed model.
const Name = "compose"

// Spec keys (model.Hyper.Specs, EasyTPP's model_specs) understood by
// ApplyHyper.
const (
	SpecCell            = "rnn_type"            // encoder cell: rnn, gru, lstm (EasyTPP's spelling RNN/GRU/LSTM accepted)
	SpecDecoder         = "decoder"             // decoder kind
	SpecEmbedSize       = "embed_size"          // type-embedding size
	SpecTimeFeatures    = "time_features"       // log or log+linear
	SpecMLPLayers       = "num_mlp_layers"      // cumulative-hazard network layers
	SpecMixture         = "num_mix_components"  // mixture components
	SpecMarkConditioned = "mark_conditioned"    // log-normal mixture conditioned on the mark
	SpecMinLogScale     = "min_log_scale"       // smooth floor of the mixture log-scales
	SpecLearnBeta       = "learn_beta"          // softplus head with a learned β
	SpecMeanLog         = "mean_log_inter_time" // log-gap mean (as EasyTPP's model_config)
	SpecStdLog          = "std_log_inter_time"  // log-gap standard deviation
	SpecConvention      = "train_convention"    // full or easytpp
	SpecChunkTokens     = "chunk_tokens"        // padded positions per forward/backward pass (Config.ChunkTokens)
	SpecProperMarked    = "proper_marked_intensities"
)

// ApplyHyper overrides cfg with the non-zero fields of h: Hidden → encoder
// hidden size, Layers → encoder layers, QuadNodes → softplus quadrature
// nodes, Mixture → mixture components, and the Specs keys above.
// proper_marked_intensities (EasyTPP's FullyNN switch) is accepted when
// true, since gotpp's cumulative-hazard decoder always has one Φ_k per type.
// TimeEmb and Heads do not apply and are ignored (EasyTPP's example configs
// set them for every model); Dropout is not supported and must be 0. An
// unknown Specs key is an error.
func ApplyHyper(cfg Config, h model.Hyper) (Config, error) {
	if h.Hidden != 0 {
		cfg.Encoder.Hidden = h.Hidden
	}
	if h.Layers != 0 {
		cfg.Encoder.Layers = h.Layers
	}
	if h.Dropout != 0 {
		return cfg, fmt.Errorf("dropout_rate %v: dropout is not supported", h.Dropout)
	}
	var err error
	for _, key := range sortedKeys(h.Specs) {
		v := h.Specs[key]
		bad := func(want string) error {
			return fmt.Errorf("model_specs.%s: %v (%T), want %s", key, v, v, want)
		}
		switch key {
		case SpecCell:
			s, ok := v.(string)
			if !ok {
				return cfg, bad("rnn, gru or lstm")
			}
			cfg.Encoder.Cell = strings.ToLower(s)
		case SpecDecoder:
			s, ok := v.(string)
			if !ok {
				return cfg, bad("a decoder kind")
			}
			cfg.Decoder.Kind = strings.ToLower(s)
		case SpecTimeFeatures:
			s, ok := v.(string)
			if !ok {
				return cfg, bad("log or log+linear")
			}
			cfg.Encoder.TimeFeatures = s
		case SpecEmbedSize:
			if cfg.Encoder.EmbedSize, err = specInt(v); err != nil {
				return cfg, bad("an integer")
			}
		case SpecMLPLayers:
			if cfg.Decoder.Layers, err = specInt(v); err != nil {
				return cfg, bad("an integer")
			}
		case SpecMixture:
			if cfg.Decoder.Components, err = specInt(v); err != nil {
				return cfg, bad("an integer")
			}
		case SpecMarkConditioned, SpecLearnBeta, SpecProperMarked:
			b, ok := v.(bool)
			if !ok {
				return cfg, bad("true or false")
			}
			switch key {
			case SpecMarkConditioned:
				cfg.Decoder.MarkConditioned = b
			case SpecLearnBeta:
				cfg.Decoder.LearnBeta = b
			default:
				if !b {
					return cfg, fmt.Errorf("model_specs.%s: false is not supported: gotpp's cumulative-hazard decoder always models one Φ_k per type", key)
				}
			}
		case SpecMinLogScale, SpecMeanLog, SpecStdLog:
			f, err := specFloat(v)
			if err != nil {
				return cfg, bad("a number")
			}
			switch key {
			case SpecMinLogScale:
				cfg.Decoder.MinLogScale = f
			case SpecMeanLog:
				if cfg.Stats == (LogGapStats{}) {
					cfg.Stats = DefaultLogGapStats()
				}
				cfg.Stats.Mean, cfg.Stats.Fitted = f, true
			default:
				if cfg.Stats == (LogGapStats{}) {
					cfg.Stats = DefaultLogGapStats()
				}
				cfg.Stats.Std, cfg.Stats.Fitted = f, true
			}
		case SpecConvention:
			s, ok := v.(string)
			if !ok {
				return cfg, bad("full or easytpp")
			}
			cfg.TrainConvention = s
		case SpecChunkTokens:
			if cfg.ChunkTokens, err = specInt(v); err != nil {
				return cfg, bad("an integer")
			}
		default:
			return cfg, fmt.Errorf("model_specs.%s: unknown key (known: %s)", key, strings.Join(knownSpecs(), ", "))
		}
	}
	if h.Mixture != 0 {
		cfg.Decoder.Components = h.Mixture
	}
	if h.QuadNodes != 0 && cfg.Decoder.Kind == KindSoftplus {
		cfg.Decoder.QuadNodes = h.QuadNodes
	}
	return cfg, nil
}

func knownSpecs() []string {
	return []string{SpecCell, SpecDecoder, SpecEmbedSize, SpecTimeFeatures, SpecMLPLayers, SpecMixture,
		SpecMarkConditioned, SpecMinLogScale, SpecLearnBeta, SpecMeanLog, SpecStdLog, SpecConvention, SpecProperMarked, SpecChunkTokens}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func specInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("not an integer")
}

func specFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, fmt.Errorf("not a number")
}

// DefaultConfig is the generic composed model's default: a GRU encoder
// (hidden 32, one layer) and a mark-conditioned log-normal mixture with 3
// components.
func DefaultConfig() Config {
	return Config{
		Encoder: EncoderConfig{Cell: CellGRU, Hidden: 32, Layers: 1},
		Decoder: DecoderConfig{Kind: KindLogNormMix, Components: 3, MarkConditioned: true},
	}
}

func init() {
	model.Register(model.Spec{
		Name:     Name,
		Doc:      "encoder + decoder composed from model_specs (rnn_type, decoder: lognormmix|cumhazard|softplus, ...)",
		Defaults: model.Hyper{Hidden: 32, Layers: 1, Mixture: 3},
		New: func(numTypes int, h model.Hyper, seed uint64) (train.Model, error) {
			cfg, err := ApplyHyper(DefaultConfig(), h)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", Name, err)
			}
			if cfg.Decoder.Kind != KindLogNormMix {
				cfg.Decoder.Components, cfg.Decoder.MarkConditioned = 0, false
			}
			return New(Name, cfg, numTypes, seed)
		},
		Load: func(dir string) (train.Model, error) { return Load(dir, Name) },
	})
}
