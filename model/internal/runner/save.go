package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
)

// savedModel is the model file of nhp, odetpp and s2p2:
// {model, config, num_types, params}. Config holds the model's Config
// value when saving and a pointer to one when loading.
type savedModel struct {
	Model    string         `json:"model"`
	Config   any            `json:"config"`
	NumTypes int            `json:"num_types"`
	Params   []params.Saved `json:"params"`
}

// Save writes {model, config, num_types, params} as JSON to dir/file
// atomically (creating dir), refusing non-finite parameters
// (params.Snapshot). When dir has no run.json yet it also writes a minimal
// one (model name, num_types) so that runs.Load(dir) works; an existing
// run.json is left alone.
func Save(dir, file, name string, cfg any, numTypes int, ps []*params.Param) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s := savedModel{Model: name, Config: cfg, NumTypes: numTypes}
	saved, err := params.Snapshot(name, ps)
	if err != nil {
		return err
	}
	s.Params = saved
	if err := atomicfile.WriteJSON(filepath.Join(dir, file), &s); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, runs.InfoFile)); errors.Is(err, fs.ErrNotExist) {
		return runs.WriteInfo(dir, &runs.Info{Model: name, NumTypes: numTypes})
	}
	return nil
}

// Load reads dir/file written by Save for model name: it decodes the
// config into cfg, completes it with withDefaults, checks num_types, builds
// the model with build and copies the saved parameters into the ones
// params returns (params.Restore). Errors name the file and the field.
func Load[C any, M any](dir, file, name string, withDefaults func(C) (C, error), build func(cfg C, numTypes int) M, ps func(M) []*params.Param) (M, error) {
	var zero M
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	var cfg C
	s := savedModel{Config: &cfg}
	if err := json.Unmarshal(b, &s); err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	if s.Model != name {
		return zero, fmt.Errorf("%s: field model: %q, want %q", path, s.Model, name)
	}
	cfg, err = withDefaults(cfg)
	if err != nil {
		return zero, fmt.Errorf("%s: field config: %w", path, err)
	}
	if s.NumTypes < 1 {
		return zero, fmt.Errorf("%s: field num_types: %d, want >= 1", path, s.NumTypes)
	}
	m := build(cfg, s.NumTypes)
	if err := params.Restore(path, s.Params, ps(m)); err != nil {
		return zero, err
	}
	return m, nil
}

// SpecInt reads an integer from a decoded YAML or JSON value.
func SpecInt(v any) (int, bool) {
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
