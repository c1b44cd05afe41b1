package s2p2

import (
	"fmt"

	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/model/internal/runner"
	"github.com/gotpp/gotpp/train"
)

// ModelFile is the file holding the configuration and parameters inside a
// run directory.
const ModelFile = "s2p2.json"

func init() {
	model.Register(model.Spec{
		Name:     Name,
		Doc:      "state-space point process S2P2 (Chang et al. 2025): stacked latent linear Hawkes layers, exact exponential integration, Gauss–Legendre compensator",
		Defaults: model.Hyper{Hidden: 128, Layers: 4, QuadNodes: 10, Specs: map[string]any{"P": 16}},
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
// hidden_size, Layers → num_layers, QuadNodes → quad_nodes, and the
// model_specs keys "P" (state size, EasyTPP's key), "chunk_tokens",
// "threads" (integers) and "convention" (string). EasyTPP's other S2P2 keys
// are accepted when they name what this package implements (act_func gelu,
// relative_time, post_norm and int_backward_variant true, pre_norm and
// int_forward_variant false, for_loop either way) and rejected otherwise;
// dropout_rate is ignored (no dropout). Other keys are ignored.
func ConfigFromHyper(h model.Hyper) (Config, error) {
	cfg := Config{HiddenSize: h.Hidden, Layers: h.Layers, QuadNodes: h.QuadNodes}
	ints := []struct {
		key string
		dst *int
	}{{"P", &cfg.StateSize}, {"chunk_tokens", &cfg.ChunkTokens}, {"threads", &cfg.Threads}}
	for _, f := range ints {
		if v, ok := h.Specs[f.key]; ok {
			n, ok := runner.SpecInt(v)
			if !ok {
				return cfg, fmt.Errorf("s2p2: model_specs.%s: %v, want an integer", f.key, v)
			}
			*f.dst = n
		}
	}
	if v, ok := h.Specs["convention"]; ok {
		s, ok := v.(string)
		if !ok {
			return cfg, fmt.Errorf("s2p2: model_specs.convention: %v, want a string", v)
		}
		cfg.Convention = s
	}
	if v, ok := h.Specs["act_func"]; ok && v != "gelu" {
		return cfg, fmt.Errorf("s2p2: model_specs.act_func: %v; only gelu is implemented", v)
	}
	for key, want := range map[string]bool{"relative_time": true, "post_norm": true, "int_backward_variant": true,
		"pre_norm": false, "int_forward_variant": false} {
		if v, ok := h.Specs[key]; ok && v != want {
			return cfg, fmt.Errorf("s2p2: model_specs.%s: %v; only %v is implemented", key, v, want)
		}
	}
	return cfg.withDefaults()
}

// Save writes the configuration and parameters to dir/s2p2.json atomically
// (creating dir). When dir has no run.json yet it also writes a minimal one
// (model s2p2, num_types) so that runs.Load(dir) works; an existing run.json
// is left alone.
func (m *Model) Save(dir string) error {
	return runner.Save(dir, ModelFile, Name, m.cfg, m.k, m.ps)
}

// Load reads a model saved with Save from dir/s2p2.json.
func Load(dir string) (*Model, error) {
	return runner.Load(dir, ModelFile, Name, Config.withDefaults, newShell, (*Model).Params)
}
