// Package model is the catalogue of gotpp's models. Each model lives in its
// own sub-package (model/poisson, model/hawkes, model/rmtpp, model/nhp, ...);
// neural models register a Spec here from their init function so that the
// CLI, the benchmark runner and Go services can build, train and reload any
// of them by name.
package model

import (
	"fmt"
	"sort"
	"sync"

	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

// Hyper holds the hyperparameters shared by the neural models, with the JSON
// names EasyTPP's model_config uses. A zero field means "the model's default".
type Hyper struct {
	Hidden    int     `json:"hidden_size,omitempty"`
	TimeEmb   int     `json:"time_emb_size,omitempty"`
	Layers    int     `json:"num_layers,omitempty"`
	Heads     int     `json:"num_heads,omitempty"`
	QuadNodes int     `json:"quad_nodes,omitempty"` // Gauss–Legendre nodes per interval for compensators without a closed form
	Mixture   int     `json:"num_mix_components,omitempty"`
	Dropout   float64 `json:"dropout_rate,omitempty"`
	// Specs carries model-specific settings (EasyTPP's model_specs and any
	// key a model documents).
	Specs map[string]any `json:"model_specs,omitempty"`
}

// Merge returns h with every zero field taken from def.
func (h Hyper) Merge(def Hyper) Hyper {
	if h.Hidden == 0 {
		h.Hidden = def.Hidden
	}
	if h.TimeEmb == 0 {
		h.TimeEmb = def.TimeEmb
	}
	if h.Layers == 0 {
		h.Layers = def.Layers
	}
	if h.Heads == 0 {
		h.Heads = def.Heads
	}
	if h.QuadNodes == 0 {
		h.QuadNodes = def.QuadNodes
	}
	if h.Mixture == 0 {
		h.Mixture = def.Mixture
	}
	if h.Dropout == 0 {
		h.Dropout = def.Dropout
	}
	if len(def.Specs) > 0 {
		// Key by key: a user's spec overrides that key only.
		merged := make(map[string]any, len(def.Specs)+len(h.Specs))
		for k, v := range def.Specs {
			merged[k] = v
		}
		for k, v := range h.Specs {
			merged[k] = v
		}
		h.Specs = merged
	}
	return h
}

// Spec describes one neural model kind.
type Spec struct {
	Name string // lower-case CLI name, e.g. "nhp"
	Doc  string // one line: paper and what the model is
	// Defaults are the model's default hyperparameters (EasyTPP's example
	// config sizes).
	Defaults Hyper
	// New builds an untrained model for numTypes marks.
	New func(numTypes int, h Hyper, seed uint64) (train.Model, error)
	// Load rebuilds a trained model from the files its Save wrote into dir.
	Load func(dir string) (train.Model, error)
	// Dropout reports that the model uses Hyper.Dropout (dropout_rate);
	// other models ignore it.
	Dropout bool
	// LR is the model's default Adam learning rate when neither a flag nor
	// a config gives one (0: DefaultLR).
	LR float64
}

// DefaultLR is the default Adam learning rate of the neural models (EasyTPP's
// example configs use 1e-3).
const DefaultLR = 1e-3

// DefaultLearningRate is s.LR, or DefaultLR when s has none.
func (s Spec) DefaultLearningRate() float64 {
	if s.LR > 0 {
		return s.LR
	}
	return DefaultLR
}

var (
	mu    sync.RWMutex
	specs = map[string]Spec{}
)

// Register adds a neural model kind and makes its run directories loadable
// through runs.Load. It panics on a duplicate or incomplete Spec.
func Register(s Spec) {
	if s.Name == "" || s.New == nil || s.Load == nil {
		panic("model: incomplete Spec " + s.Name)
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := specs[s.Name]; dup {
		panic("model: duplicate Spec " + s.Name)
	}
	specs[s.Name] = s
	load := s.Load
	runs.Register(s.Name, func(dir string, _ *runs.Info) (any, error) { return load(dir) })
}

// Lookup returns the Spec registered under name.
func Lookup(name string) (Spec, error) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := specs[name]
	if !ok {
		return Spec{}, fmt.Errorf("unknown neural model %q (known: %v)", name, namesLocked())
	}
	return s, nil
}

// Names lists the registered neural models, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(specs))
	for k := range specs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
