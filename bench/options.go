package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotpp/gotpp/config"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/train"
)

// Defaults of Options' zero fields.
const (
	DefaultEpochs    = 20
	DefaultBatchSize = 64
	DefaultWorkers   = 2
	DefaultHorizon   = 20
	DefaultMaxCases  = 100
)

// Options configure Run.
type Options struct {
	// Models names the models to run: poisson, hawkes, any registered
	// neural model, or "all" (the classical models, then the neural ones
	// sorted by name).
	Models []string
	// Data lists data-set directories, each with a train and a test split
	// and optionally a dev split (and meta.json). A data set is named after
	// its directory; two with the same name are an error.
	Data []string
	// Seeds is the number of seeds per model and data set (default 1).
	Seeds int
	// BaseSeed: seed k of a cell is BaseSeed + k.
	BaseSeed int64
	// Out is the benchmark directory.
	Out string

	// Neural training. A zero field takes the value of the --config
	// experiment block of the model when there is one, else the default.
	Epochs    int
	BatchSize int
	LR        float64
	Patience  int // early stopping on the dev log-likelihood; 0 = never
	// Workers is the number of goroutines per training batch and of the
	// evaluation (default 2). Results depend on it (gradient summation
	// order), so it is part of the settings.
	Workers int
	// Config is an EasyTPP experiment YAML: neural model NAME uses the
	// block NAME_train (any letter case) or else the first block whose
	// base_config.model_id is NAME; its model_config sets the
	// hyperparameters and its trainer_config the batch size, epochs and
	// learning rate (its seed is not used: seeds are the benchmark's).
	Config string

	// Horizon is the number of events of a long-horizon case (default 20);
	// MaxCases caps the cases per test split (default 100; < 0 = all).
	Horizon  int
	MaxCases int
	// MaxPredictSeqs limits one-step prediction and the KS statistic to
	// the first MaxPredictSeqs test sequences (0 = all), for models whose
	// quadrature prediction is slow; the log-likelihoods always use the
	// whole test split.
	MaxPredictSeqs int
	// Origin is where windows without an explicit start begin (data.Origin;
	// "" = zero, the file format's rule).
	Origin data.Origin

	// RetryFailed recomputes cells whose file records an error (by default
	// a failed cell is kept, like a finished one).
	RetryFailed bool
	// Progress receives the progress display (nil = none): a progress bar
	// when it is a terminal, one line per event otherwise.
	Progress io.Writer
}

// Settings are the options that determine a benchmark's numbers; they are
// stored in BENCHDIR/settings.json and a rerun must match them.
type Settings struct {
	FormatVersion int     `json:"format_version"`
	BaseSeed      int64   `json:"base_seed"`
	Epochs        int     `json:"epochs,omitempty"`
	BatchSize     int     `json:"batch_size,omitempty"`
	LR            float64 `json:"lr,omitempty"`
	Patience      int     `json:"patience"`
	Workers       int     `json:"workers"`
	Config        string  `json:"config,omitempty"`        // base name of the config file
	ConfigSHA256  string  `json:"config_sha256,omitempty"` // of its content
	Horizon       int     `json:"horizon"`
	MaxCases      int     `json:"max_cases"`
	// MaxPredictSeqs: 0 = every test sequence.
	MaxPredictSeqs int `json:"max_predict_seqs"`
	// Origin: "" (zero) or "first-event" (data.ApplyOrigin).
	Origin string `json:"origin,omitempty"`
}

// formatVersion changes when cell files change meaning.
const formatVersion = 1

// SettingsFile is the name of the settings record in a benchmark directory.
const SettingsFile = "settings.json"

// Classical model names.
var classical = []string{poisson.Name, hawkes.Name}

// AllModels lists every model a benchmark can run: the classical ones and
// the registered neural ones (sorted).
func AllModels() []string { return append(append([]string(nil), classical...), model.Names()...) }

func isClassical(name string) bool { return name == poisson.Name || name == hawkes.Name }

// expandModels resolves "all", lower-cases names, drops duplicates and
// rejects unknown names.
func expandModels(names []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	known := AllModels()
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case n == "":
		case n == "all":
			for _, k := range known {
				add(k)
			}
		case isClassical(n):
			add(n)
		default:
			if _, err := model.Lookup(n); err != nil {
				return nil, fmt.Errorf("bench: unknown model %q (known: all, %s)", n, strings.Join(known, ", "))
			}
			add(n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bench: no models given")
	}
	return out, nil
}

// resolve fills defaults and checks o; it returns the settings record.
func (o *Options) resolve() (Settings, error) {
	var bad []string
	if o.Out == "" {
		bad = append(bad, "no output directory")
	}
	if len(o.Data) == 0 {
		bad = append(bad, "no data sets")
	}
	if o.Seeds == 0 {
		o.Seeds = 1
	}
	if o.Seeds < 0 {
		bad = append(bad, fmt.Sprintf("seeds %d < 1", o.Seeds))
	}
	if o.Epochs < 0 || o.BatchSize < 0 || o.Patience < 0 || o.Workers < 0 || o.Horizon < 0 || o.MaxPredictSeqs < 0 {
		bad = append(bad, "epochs, batch size, patience, workers, horizon and max predict sequences must be >= 0")
	}
	if o.LR < 0 || math.IsNaN(o.LR) || math.IsInf(o.LR, 0) {
		bad = append(bad, fmt.Sprintf("learning rate %v", o.LR))
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.Horizon == 0 {
		o.Horizon = DefaultHorizon
	}
	if o.MaxCases == 0 {
		o.MaxCases = DefaultMaxCases
	}
	if len(bad) > 0 {
		return Settings{}, errors.New("bench: " + strings.Join(bad, "; "))
	}
	s := Settings{FormatVersion: formatVersion, BaseSeed: o.BaseSeed, Epochs: o.Epochs, BatchSize: o.BatchSize, LR: o.LR,
		Patience: o.Patience, Workers: o.Workers, Horizon: o.Horizon, MaxCases: max(o.MaxCases, 0), MaxPredictSeqs: o.MaxPredictSeqs}
	if o.Origin == data.OriginFirstEvent {
		s.Origin = string(o.Origin)
	}
	if o.Config != "" {
		b, err := os.ReadFile(o.Config)
		if err != nil {
			return Settings{}, fmt.Errorf("bench: config: %w", err)
		}
		sum := sha256.Sum256(b)
		s.Config, s.ConfigSHA256 = filepath.Base(o.Config), hex.EncodeToString(sum[:])
	}
	return s, nil
}

// neuralSetup is how one neural model is built and trained.
type neuralSetup struct {
	spec  model.Spec
	hyper model.Hyper
	opts  train.Options // without seed, output directory and callbacks
	block string        // config block used ("" = none)
	notes []string
}

// setupNeural resolves a neural model's hyperparameters and trainer options
// from the config file (cf may be nil) and the explicit options.
func (o *Options) setupNeural(name string, cf *config.File) (*neuralSetup, error) {
	spec, err := model.Lookup(name)
	if err != nil {
		return nil, err
	}
	su := &neuralSetup{spec: spec}
	topts := train.DefaultOptions()
	topts.Epochs, topts.BatchSize, topts.LR = DefaultEpochs, DefaultBatchSize, spec.DefaultLearningRate()
	var h model.Hyper
	if cf != nil {
		exp, err := findExperiment(cf, name)
		if err != nil {
			return nil, err
		}
		if exp != nil {
			su.block = exp.Name
			var warns []config.Warning
			if topts, warns, err = exp.TrainOptions(topts); err != nil {
				return nil, err
			}
			for _, w := range append(exp.Warnings, warns...) {
				su.notes = append(su.notes, "config: "+w.String())
			}
			mc := exp.Model
			h.Hidden, h.TimeEmb, h.Layers, h.Heads = mc.HiddenSize, mc.TimeEmbSize, mc.NumLayers, mc.NumHeads
			h.Dropout, h.Specs = mc.DropoutRate, mc.ModelSpecs
			if v, ok := mc.ModelSpecs["num_mix_components"].(int); ok {
				h.Mixture = v
			}
		} else {
			su.notes = append(su.notes, fmt.Sprintf("config %s has no experiment block for %s; model defaults used", filepath.Base(cf.Path), name))
		}
	}
	if o.Epochs > 0 {
		topts.Epochs = o.Epochs
	}
	if o.BatchSize > 0 {
		topts.BatchSize = o.BatchSize
	}
	if o.LR > 0 {
		topts.LR = o.LR
	}
	if topts.Epochs < 1 {
		return nil, fmt.Errorf("bench: %s: %d epochs, want >= 1", name, topts.Epochs)
	}
	topts.Patience = o.Patience
	topts.Workers = o.Workers
	topts.Quiet = true
	topts.Log = io.Discard
	su.opts = topts
	su.hyper = h.Merge(spec.Defaults)
	return su, nil
}

// findExperiment returns the config block for neural model name: NAME_train
// in any letter case, else the first block whose model_id is NAME; nil when
// there is none. Blocks that fail to decode are skipped unless chosen.
func findExperiment(cf *config.File, name string) (*config.Experiment, error) {
	for _, b := range cf.Experiments() {
		if strings.EqualFold(b, name+"_train") {
			return cf.Experiment(b)
		}
	}
	for _, b := range cf.Experiments() {
		x, err := cf.Experiment(b)
		if err == nil && strings.EqualFold(x.Base.ModelID, name) {
			return x, nil
		}
	}
	return nil, nil
}
