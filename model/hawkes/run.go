package hawkes

import (
	"fmt"
	"path/filepath"

	"github.com/gotpp/gotpp/runs"
)

// Name is the model's name in run directories.
const Name = "hawkes"

// ParamsFile is the file holding the fitted parameters inside a run
// directory.
const ParamsFile = "params.json"

func init() {
	runs.Register(Name, func(dir string, info *runs.Info) (any, error) {
		return LoadRun(dir, info)
	})
}

// LoadRun reads the fitted model of a run directory (RUNDIR/params.json).
// info may be nil; when given, its NumTypes must match the parameters.
func LoadRun(dir string, info *runs.Info) (*Model, error) {
	path := filepath.Join(dir, ParamsFile)
	p, err := ReadParams(path)
	if err != nil {
		return nil, err
	}
	if info != nil && info.NumTypes != 0 && info.NumTypes != p.K() {
		return nil, fmt.Errorf("%s: %d types but run.json says num_types %d", path, p.K(), info.NumTypes)
	}
	return New(p)
}

// SaveParams writes the model's parameters to RUNDIR/params.json atomically.
func (m *Model) SaveParams(dir string) error {
	return WriteParams(filepath.Join(dir, ParamsFile), m.p)
}
