package compose

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
	"github.com/gotpp/gotpp/runs"
)

// FileName is the file Save writes into a run directory for a model named
// name: "<name>.json".
func FileName(name string) string { return name + ".json" }

type savedParam struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Value []float64 `json:"value"`
}

type savedModel struct {
	Model    string       `json:"model"`
	Config   Config       `json:"config"`
	NumTypes int          `json:"num_types"`
	Params   []savedParam `json:"params"`
}

// Save writes the configuration (log-gap statistics included) and the
// parameters to dir/<name>.json atomically, creating dir. When dir has no
// run.json yet it also writes a minimal one (model name, num_types) so
// that runs.Load(dir) works; an existing run.json is left alone. A
// non-finite parameter is an error and nothing is written.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s := savedModel{Model: m.name, Config: m.Config(), NumTypes: m.k}
	for _, p := range m.ps {
		for i, v := range p.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: parameter %s[%d] is %v; not saving", m.name, p.Name, i, v)
			}
		}
		s.Params = append(s.Params, savedParam{Name: p.Name, Shape: p.Shape, Value: p.Value})
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, FileName(m.name)), &s); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, runs.InfoFile)); errors.Is(err, fs.ErrNotExist) {
		return runs.WriteInfo(dir, &runs.Info{Model: m.name, NumTypes: m.k})
	}
	return nil
}

// Load reads a model named name saved with Save from dir/<name>.json.
// Errors name the file and the field.
func Load(dir, name string) (*Model, error) {
	path := filepath.Join(dir, FileName(name))
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
	if s.NumTypes < 1 {
		return nil, fmt.Errorf("%s: field num_types: %d, want >= 1", path, s.NumTypes)
	}
	m, err := newShell(name, s.Config, s.NumTypes)
	if err != nil {
		return nil, fmt.Errorf("%s: field config: %w", path, err)
	}
	if len(s.Params) != len(m.ps) {
		return nil, fmt.Errorf("%s: field params: %d parameters, want %d", path, len(s.Params), len(m.ps))
	}
	for i, p := range m.ps {
		q := s.Params[i]
		if q.Name != p.Name {
			return nil, fmt.Errorf("%s: field params[%d].name: %q, want %q", path, i, q.Name, p.Name)
		}
		if !slices.Equal(q.Shape, p.Shape) || len(q.Value) != len(p.Value) {
			return nil, fmt.Errorf("%s: field params[%d] (%s): shape %v with %d values, want %v", path, i, p.Name, q.Shape, len(q.Value), p.Shape)
		}
		for j, v := range q.Value {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: field params[%d] (%s): value[%d] is %v", path, i, p.Name, j, v)
			}
		}
		copy(p.Value, q.Value)
	}
	return m, nil
}
