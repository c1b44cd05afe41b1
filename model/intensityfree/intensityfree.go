// Package intensityfree is the intensity-free point process of Shchur,
// Biloš and Günnemann (ICLR 2020, "Intensity-free learning of temporal
// point processes"), the LogNormMix model, assembled from the blocks of
// model/compose.
//
// A GRU reads the events, each as its type embedding and its standardised
// log-gap y = (log τ − mean)/std, and summarises the history before event
// i in a state h. The next event is drawn mark-first:
//
//	p(k | h) = softmax(h·W_m + b_m)_k          over the K types (no pad class),
//	f(τ | h) = Σ_c w_c N(y; μ_c, σ_c²) / (τ·std),  [μ, log σ, logit w] = h·W + b,
//
// a log-normal mixture for the gap whose parameters are an affine map of
// h; time and mark are independent given the history, as in the paper
// (compose.DecoderConfig.MarkConditioned gives the joint alternative). The
// log-likelihood is exact: log f(τ_i) + log p(k_i) per event, and under
// likelihood.Full the survival term log S(T − t_last) = log(1 − G(y)) of
// the mixture CDF G, evaluated through a log-CDF of the standard normal
// that stays accurate far in the tail. The first interval (window start to
// the first event) is scored from the learned initial state; under
// likelihood.EasyTPP the first event is history and there is no survival
// term. The reported parts are TimeLL = Σ log f (+ log S) and MarkLL =
// Σ log p(k).
//
// Differences from EasyTPP's implementation, on purpose: the
// standardisation uses the mean and standard deviation of log τ of the
// training data (Model.FitData; stored with the model), where EasyTPP uses
// those of raw τ (its issue #84); the mark softmax has K classes, not K+1;
// the component scales have a smooth lower bound exp(−5) in standardised
// units (compose.DefaultMinLogScale) instead of a clamp with a
// straight-through gradient. Gaps below 1e-8·exp(mean) (ties) are raised to
// that floor (compose.TieFloor) in the density and the features;
// FitData counts them (LogGapStats.ZeroGaps). The same holds for a first
// event exactly at the window start under likelihood.Full (files without
// a window start at 0, and EasyTPP's data shift every sequence to t_0 = 0):
// its gap is 0 and its density, taken at the floor, is tiny; score such
// data with likelihood.EasyTPP or give it a proper window.
//
// Defaults follow EasyTPP's IntensityFree_train example and the paper: GRU
// with hidden size 32 and one layer (EasyTPP hard-codes one GRU layer;
// here num_layers is honoured), type embeddings of size 32, 3 mixture
// components (the paper also uses 64).
//
// NextAfter returns predict.FromDensity of the mixture's density and
// survival and the mark probabilities; Model.DensityAfter gives the
// predict.Density itself.
package intensityfree

import (
	"fmt"

	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/compose"
	"github.com/gotpp/gotpp/train"
)

// Name is the model's name in the registry and in run directories.
const Name = "intensityfree"

// DefaultConfig is a GRU encoder (hidden 32, one layer) and a 3-component
// log-normal mixture with marks independent of the time, trained in chunks
// of 256 padded positions (compose.Config.ChunkTokens).
func DefaultConfig() compose.Config {
	return compose.Config{
		Encoder:     compose.EncoderConfig{Cell: compose.CellGRU, Hidden: 32, Layers: 1},
		Decoder:     compose.DecoderConfig{Kind: compose.KindLogNormMix, Components: 3},
		ChunkTokens: 256,
	}
}

// New builds an IntensityFree model for numTypes event types from cfg
// (decoder kind lognormmix; an empty kind is set to it; chunk_tokens 0 is
// set to DefaultConfig's), with parameters drawn from seed. Call FitData
// with the training set before training.
func New(cfg compose.Config, numTypes int, seed uint64) (*compose.Model, error) {
	if cfg.Decoder.Kind == "" {
		cfg.Decoder.Kind = compose.KindLogNormMix
	}
	if cfg.Decoder.Kind != compose.KindLogNormMix {
		return nil, fmt.Errorf("%s: decoder kind %q, want %s", Name, cfg.Decoder.Kind, compose.KindLogNormMix)
	}
	if cfg.ChunkTokens == 0 {
		cfg.ChunkTokens = DefaultConfig().ChunkTokens
	}
	return compose.New(Name, cfg, numTypes, seed)
}

// Load reads a model saved with Save from dir/intensityfree.json.
func Load(dir string) (*compose.Model, error) { return compose.Load(dir, Name) }

// FromHyper returns DefaultConfig overridden by h (compose.ApplyHyper):
// hidden_size and num_layers size the GRU, num_mix_components the mixture,
// model_specs.mean_log_inter_time/std_log_inter_time set the
// standardisation.
func FromHyper(h model.Hyper) (compose.Config, error) {
	cfg, err := compose.ApplyHyper(DefaultConfig(), h)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", Name, err)
	}
	return cfg, nil
}

func init() {
	model.Register(model.Spec{
		Name:     Name,
		Doc:      "IntensityFree (Shchur et al. 2020): GRU + log-normal mixture of the gap, softmax marks; exact likelihood",
		Defaults: model.Hyper{Hidden: 32, Layers: 1, Mixture: 3},
		New: func(numTypes int, h model.Hyper, seed uint64) (train.Model, error) {
			cfg, err := FromHyper(h)
			if err != nil {
				return nil, err
			}
			return New(cfg, numTypes, seed)
		},
		Load: func(dir string) (train.Model, error) { return Load(dir) },
	})
}
