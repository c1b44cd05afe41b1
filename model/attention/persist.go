package attention

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/params"
	"github.com/gotpp/gotpp/runs"
)

// SavedParam is one parameter in a model file.
type SavedParam struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Value []float64 `json:"value"`
}

type savedModel struct {
	Model    string          `json:"model"`
	Config   json.RawMessage `json:"config"`
	NumTypes int             `json:"num_types"`
	Params   []SavedParam    `json:"params"`
}

// SaveModel writes {model, config, num_types, params} as JSON to dir/file
// atomically (creating dir), refusing non-finite parameters. When dir has
// no run.json yet it also writes a minimal one (model name, num_types) so
// that runs.Load(dir) works; an existing run.json is left alone.
func SaveModel(dir, file, name string, cfg any, numTypes int, ps []*params.Param) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("%s: config: %w", name, err)
	}
	s := savedModel{Model: name, Config: raw, NumTypes: numTypes}
	for _, p := range ps {
		for i, v := range p.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: parameter %s[%d] is %v; not saving", name, p.Name, i, v)
			}
		}
		s.Params = append(s.Params, SavedParam{Name: p.Name, Shape: p.Shape, Value: p.Value})
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, file), &s); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, runs.InfoFile)); errors.Is(err, fs.ErrNotExist) {
		return runs.WriteInfo(dir, &runs.Info{Model: name, NumTypes: numTypes})
	}
	return nil
}

// Saved is a model file read by LoadModel: Apply copies its parameters
// into a freshly built model.
type Saved struct {
	Path     string
	NumTypes int
	Params   []SavedParam
}

// LoadModel reads dir/file written by SaveModel for model name, decodes
// its config into cfg (a pointer) and checks num_types. Errors name the
// file and the field.
func LoadModel(dir, file, name string, cfg any) (*Saved, error) {
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s savedModel
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Model != name {
		return nil, fmt.Errorf("%s: field model: %q, want %q", path, s.Model, name)
	}
	if len(s.Config) == 0 {
		return nil, fmt.Errorf("%s: field config: missing", path)
	}
	if err := json.Unmarshal(s.Config, cfg); err != nil {
		return nil, fmt.Errorf("%s: field config: %w", path, err)
	}
	if s.NumTypes < 1 {
		return nil, fmt.Errorf("%s: field num_types: %d, want >= 1", path, s.NumTypes)
	}
	return &Saved{Path: path, NumTypes: s.NumTypes, Params: s.Params}, nil
}

// Apply copies the saved parameters into ps, which must match them in
// order, names and shapes.
func (s *Saved) Apply(ps []*params.Param) error {
	if len(s.Params) != len(ps) {
		return fmt.Errorf("%s: field params: %d parameters, want %d", s.Path, len(s.Params), len(ps))
	}
	for i, p := range ps {
		q := s.Params[i]
		if q.Name != p.Name {
			return fmt.Errorf("%s: field params[%d].name: %q, want %q", s.Path, i, q.Name, p.Name)
		}
		if !slices.Equal(q.Shape, p.Shape) || len(q.Value) != len(p.Value) {
			return fmt.Errorf("%s: field params[%d] (%s): shape %v with %d values, want %v", s.Path, i, p.Name, q.Shape, len(q.Value), p.Shape)
		}
		for j, v := range q.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: field params[%d] (%s): value[%d] is %v", s.Path, i, p.Name, j, v)
			}
		}
		copy(p.Value, q.Value)
	}
	return nil
}

// SpecFloat reads a number from a model_specs map: ok is false when the key
// is absent; an entry of another type is an error naming the key.
func SpecFloat(specs map[string]any, key string) (v float64, ok bool, err error) {
	x, present := specs[key]
	if !present {
		return 0, false, nil
	}
	switch n := x.(type) {
	case float64:
		return n, true, nil
	case int:
		return float64(n), true, nil
	case int64:
		return float64(n), true, nil
	}
	return 0, false, fmt.Errorf("model_specs.%s: %v (%T), want a number", key, x, x)
}

// SpecInt reads an integer from a model_specs map (see SpecFloat).
func SpecInt(specs map[string]any, key string) (v int, ok bool, err error) {
	f, ok, err := SpecFloat(specs, key)
	if err != nil || !ok {
		return 0, ok, err
	}
	if f != math.Trunc(f) {
		return 0, false, fmt.Errorf("model_specs.%s: %v, want an integer", key, f)
	}
	return int(f), true, nil
}

// SpecBool reads a boolean from a model_specs map (see SpecFloat).
func SpecBool(specs map[string]any, key string) (v bool, ok bool, err error) {
	x, present := specs[key]
	if !present {
		return false, false, nil
	}
	b, isBool := x.(bool)
	if !isBool {
		return false, false, fmt.Errorf("model_specs.%s: %v (%T), want true or false", key, x, x)
	}
	return b, true, nil
}
