package rmtpp

import (
	"fmt"
	"math"

	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/train"
)

// ModelFile is the file holding the configuration and parameters inside a
// run directory.
const ModelFile = "rmtpp.json"

func init() {
	model.Register(model.Spec{
		Name:     Name,
		Doc:      "RMTPP (Du et al. 2016): RNN over type embeddings and gaps, exponential intensity with a closed-form compensator, softmax marks",
		Defaults: model.Hyper{Hidden: 32},
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

// ConfigFromHyper maps the shared hyperparameters onto Config: Hidden →
// hidden_size, and the model_specs keys "time_scale" (number),
// "time_feature" and "convention" (strings), "threads" and "chunk_tokens"
// (integers). Other keys are ignored.
func ConfigFromHyper(h model.Hyper) (Config, error) {
	cfg := Config{HiddenSize: h.Hidden}
	for key, v := range h.Specs {
		switch key {
		case "time_scale":
			x, ok := specFloat(v)
			if !ok {
				return cfg, fmt.Errorf("rmtpp: model_specs.time_scale: %v, want a number", v)
			}
			cfg.TimeScale = x
		case "time_feature", "convention":
			str, ok := v.(string)
			if !ok {
				return cfg, fmt.Errorf("rmtpp: model_specs.%s: %v, want a string", key, v)
			}
			if key == "convention" {
				cfg.Convention = str
			} else {
				cfg.TimeFeature = str
			}
		case "threads", "chunk_tokens":
			x, ok := specFloat(v)
			if !ok || x != math.Trunc(x) {
				return cfg, fmt.Errorf("rmtpp: model_specs.%s: %v, want an integer", key, v)
			}
			if key == "threads" {
				cfg.Threads = int(x)
			} else {
				cfg.ChunkTokens = int(x)
			}
		}
	}
	return cfg.withDefaults()
}

// specFloat reads a number from a decoded YAML or JSON value.
func specFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

// Save writes the configuration and parameters to dir/rmtpp.json
// atomically (creating dir). When dir has no run.json yet, it also writes a
// minimal one (model rmtpp, num_types), so that runs.Load(dir) works; an
// existing run.json is left alone.
func (m *Model) Save(dir string) error {
	return runner.Save(dir, ModelFile, Name, m.cfg, m.k, m.ps)
}

// Load reads a model saved with Save from dir/rmtpp.json.
func Load(dir string) (*Model, error) {
	return runner.Load(dir, ModelFile, Name, Config.withDefaults, newShell, (*Model).Params)
}
