package s2p2

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

// ModelFile is the file holding the configuration and parameters inside a
// run directory.
const ModelFile = "s2p2.json"

type savedModel struct {
	Model    string         `json:"model"`
	Config   Config         `json:"config"`
	NumTypes int            `json:"num_types"`
	Params   []params.Saved `json:"params"`
}

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
			n, ok := specInt(v)
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

// specInt reads an integer from a decoded YAML or JSON value.
func specInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), true
		}
	}
	return 0, false
}

// Save writes the configuration and parameters to dir/s2p2.json atomically
// (creating dir). When dir has no run.json yet it also writes a minimal one
// (model s2p2, num_types) so that runs.Load(dir) works; an existing run.json
// is left alone.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s := savedModel{Model: Name, Config: m.cfg, NumTypes: m.k}
	ps, err := params.Snapshot(Name, m.ps)
	if err != nil {
		return err
	}
	s.Params = ps
	if err := atomicfile.WriteJSON(filepath.Join(dir, ModelFile), &s); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, runs.InfoFile)); errors.Is(err, fs.ErrNotExist) {
		return runs.WriteInfo(dir, &runs.Info{Model: Name, NumTypes: m.k})
	}
	return nil
}

// Load reads a model saved with Save from dir/s2p2.json.
func Load(dir string) (*Model, error) {
	path := filepath.Join(dir, ModelFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s savedModel
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Model != Name {
		return nil, fmt.Errorf("%s: field model: %q, want %q", path, s.Model, Name)
	}
	cfg, err := s.Config.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%s: field config: %w", path, err)
	}
	if s.NumTypes < 1 {
		return nil, fmt.Errorf("%s: field num_types: %d, want >= 1", path, s.NumTypes)
	}
	m := newShell(cfg, s.NumTypes)
	if err := params.Restore(path, s.Params, m.ps); err != nil {
		return nil, err
	}
	return m, nil
}
