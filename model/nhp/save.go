package nhp

import (
	"fmt"

	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/train"
)

// ModelFile is the file holding the configuration and parameters inside a
// run directory.
const ModelFile = "nhp.json"

func init() {
	model.Register(model.Spec{
		Name:     Name,
		Doc:      "neural Hawkes process (Mei & Eisner 2017): continuous-time LSTM, softplus intensities, Gauss–Legendre compensator",
		Defaults: model.Hyper{Hidden: 64, QuadNodes: 10},
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
// hidden_size, QuadNodes → quad_nodes, and the model_specs keys
// "convention" (string), "threads" and "chunk_tokens" (integers). Other
// keys are ignored.
func ConfigFromHyper(h model.Hyper) (Config, error) {
	cfg := Config{HiddenSize: h.Hidden, QuadNodes: h.QuadNodes}
	if v, ok := h.Specs["convention"]; ok {
		s, ok := v.(string)
		if !ok {
			return cfg, fmt.Errorf("nhp: model_specs.convention: %v, want a string", v)
		}
		cfg.Convention = s
	}
	if v, ok := h.Specs["threads"]; ok {
		n, ok := runner.SpecInt(v)
		if !ok {
			return cfg, fmt.Errorf("nhp: model_specs.threads: %v, want an integer", v)
		}
		cfg.Threads = n
	}
	if v, ok := h.Specs["chunk_tokens"]; ok {
		n, ok := runner.SpecInt(v)
		if !ok {
			return cfg, fmt.Errorf("nhp: model_specs.chunk_tokens: %v, want an integer", v)
		}
		cfg.ChunkTokens = n
	}
	return cfg.withDefaults()
}

// Save writes the configuration and parameters to dir/nhp.json atomically
// (creating dir). When dir has no run.json yet it also writes a minimal one
// (model nhp, num_types) so that runs.Load(dir) works; an existing run.json
// is left alone.
func (m *Model) Save(dir string) error {
	return runner.Save(dir, ModelFile, Name, m.cfg, m.k, m.ps)
}

// Load reads a model saved with Save from dir/nhp.json.
func Load(dir string) (*Model, error) {
	return runner.Load(dir, ModelFile, Name, Config.withDefaults, newShell, (*Model).Params)
}
