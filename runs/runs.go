// Package runs reads and writes run directories: the place a training run
// leaves its fitted model (run.json plus model-specific files), and the
// registry that turns a run directory back into a model any package or
// service can use without the CLI.
package runs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/gotpp/gotpp/internal/atomicfile"
)

// InfoFile is the name of the run record inside a run directory.
const InfoFile = "run.json"

// Info is the record of a run, written to RUNDIR/run.json.
type Info struct {
	Model    string         `json:"model"`
	Data     string         `json:"data,omitempty"`
	NumTypes int            `json:"num_types"`
	Seed     int64          `json:"seed"`
	Created  string         `json:"created,omitempty"`
	Command  []string       `json:"command,omitempty"`
	Options  map[string]any `json:"options,omitempty"`
	// Results holds summary numbers of the run (fit time, final losses, ...).
	Results map[string]any `json:"results,omitempty"`
}

// WriteInfo writes RUNDIR/run.json atomically, creating dir if needed.
func WriteInfo(dir string, info *Info) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteJSON(filepath.Join(dir, InfoFile), info)
}

// ReadInfo reads RUNDIR/run.json.
func ReadInfo(dir string) (*Info, error) {
	p := filepath.Join(dir, InfoFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if info.Model == "" {
		return nil, fmt.Errorf("%s: field model: missing", p)
	}
	return &info, nil
}

// Loader rebuilds a fitted model from its run directory.
type Loader func(dir string, info *Info) (any, error)

var (
	mu      sync.RWMutex
	loaders = map[string]Loader{}
)

// Register makes a model kind loadable from run directories. Model packages
// call it from init.
func Register(model string, l Loader) {
	mu.Lock()
	defer mu.Unlock()
	loaders[model] = l
}

// Models lists the registered model names, sorted.
func Models() []string {
	mu.RLock()
	defer mu.RUnlock()
	var out []string
	for k := range loaders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Load reads a run directory and returns its fitted model and record. The
// model package must be linked in (imported) so that it has registered.
func Load(dir string) (any, *Info, error) {
	info, err := ReadInfo(dir)
	if err != nil {
		return nil, nil, err
	}
	mu.RLock()
	l, ok := loaders[info.Model]
	mu.RUnlock()
	if !ok {
		return nil, nil, fmt.Errorf("run directory %s: model %q is not registered (known: %v)", dir, info.Model, Models())
	}
	m, err := l(dir, info)
	if err != nil {
		return nil, nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	return m, info, nil
}
