package compose

import (
	"fmt"

	"github.com/gotpp/gotpp/model/internal/runner"
)

// FileName is the file Save writes into a run directory for a model named
// name: "<name>.json".
func FileName(name string) string { return name + ".json" }

// Save writes the configuration (log-gap statistics included) and the
// parameters to dir/<name>.json atomically, creating dir. When dir has no
// run.json yet it also writes a minimal one (model name, num_types) so
// that runs.Load(dir) works; an existing run.json is left alone. A
// non-finite parameter is an error and nothing is written.
func (m *Model) Save(dir string) error {
	return runner.Save(dir, FileName(m.name), m.name, m.Config(), m.k, m.ps)
}

// Load reads a model named name saved with Save from dir/<name>.json.
// Errors name the file and the field.
func Load(dir, name string) (*Model, error) {
	withDefaults := func(c Config) (Config, error) {
		if name == "" {
			return c, fmt.Errorf("compose: model without a name")
		}
		d, err := c.withDefaults()
		if err != nil {
			return c, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	build := func(cfg Config, k int) *Model {
		m, err := newShell(name, cfg, k)
		if err != nil {
			// Unreachable: runner.Load has checked name, cfg and k above.
			panic(err)
		}
		return m
	}
	return runner.Load(dir, FileName(name), name, withDefaults, build, (*Model).Params)
}
