package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/gotpp/gotpp/config"
	"github.com/gotpp/gotpp/internal/atomicfile"
)

// Outcome is what Run did.
type Outcome struct {
	Dir      string
	Computed []string // cells computed in this run ("data/model seedK")
	Skipped  []string // cells found finished and skipped
	Failed   []string // cells that hold an error (computed now or earlier)
	Results  *Results
}

type runner struct {
	o    Options
	prog *progress
}

// CellPath is the file of a cell inside a benchmark directory.
func CellPath(dir, data, model string, seedIndex int) string {
	return filepath.Join(dir, "cells", data, model, "seed"+strconv.Itoa(seedIndex)+".json")
}

// RunDir is the run directory of a cell inside a benchmark directory.
func RunDir(dir, data, model string, seedIndex int) string {
	return filepath.Join(dir, "runs", data, model, "seed"+strconv.Itoa(seedIndex))
}

// Run runs a benchmark: every model × data set × seed of o not yet finished
// in o.Out, then writes the results files, figures and report (see the
// package documentation). Cancelling ctx stops it between cells or between
// epochs; what finished is kept and a later Run continues from there.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	settings, err := o.resolve()
	if err != nil {
		return nil, err
	}
	models, err := expandModels(o.Models)
	if err != nil {
		return nil, err
	}
	var cf *config.File
	if o.Config != "" {
		if cf, err = config.Load(o.Config); err != nil {
			return nil, err
		}
	}
	setups := map[string]*neuralSetup{}
	for _, m := range models {
		if isClassical(m) {
			continue
		}
		if setups[m], err = o.setupNeural(m, cf); err != nil {
			return nil, err
		}
	}
	var sets []*dataSet
	names := map[string]string{}
	for _, dir := range o.Data {
		ds, err := loadData(dir, o.Origin)
		if err != nil {
			return nil, err
		}
		if prev, dup := names[ds.name]; dup {
			return nil, fmt.Errorf("bench: data sets %s and %s have the same name %q", prev, dir, ds.name)
		}
		names[ds.name] = dir
		sets = append(sets, ds)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	if err := checkSettings(o.Out, settings); err != nil {
		return nil, err
	}

	var jobs []*cellJob
	for _, ds := range sets {
		for _, m := range models {
			for k := 0; k < o.Seeds; k++ {
				jobs = append(jobs, &cellJob{ds: ds, model: m, seedIndex: k, seed: o.BaseSeed + int64(k),
					runDir: RunDir(o.Out, ds.name, m, k), neural: setups[m]})
			}
		}
	}
	r := &runner{o: o, prog: newProgress(o.Progress, len(jobs))}
	out := &Outcome{Dir: o.Out}
	var cells []Cell
	for _, j := range jobs {
		path := CellPath(o.Out, j.ds.name, j.model, j.seedIndex)
		if c, err := readCell(path); err == nil && (c.Error == "" || !o.RetryFailed) {
			if c.DataHash != j.ds.hash || c.Seed != j.seed {
				r.prog.close()
				return out, fmt.Errorf("bench: %s was computed from other data or seed (data hash %s, seed %d; now %s, %d); use another output directory",
					path, c.DataHash, c.Seed, j.ds.hash, j.seed)
			}
			r.prog.finishCell(j.key(), true, "")
			out.Skipped = append(out.Skipped, j.key())
			if c.Error != "" {
				out.Failed = append(out.Failed, j.key())
			}
			cells = append(cells, *c)
			continue
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.prog.note("bench: %v; recomputing the cell", err)
		}
		r.prog.startCell(j.key())
		c, err := r.runCell(ctx, j)
		if err != nil {
			r.prog.close()
			return out, fmt.Errorf("bench: %s interrupted (finished cells are kept; rerun to continue): %w", j.key(), err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return out, err
		}
		if err := atomicfile.WriteJSON(path, c); err != nil {
			return out, err
		}
		r.prog.finishCell(j.key(), false, c.Error)
		out.Computed = append(out.Computed, j.key())
		if c.Error != "" {
			out.Failed = append(out.Failed, j.key())
		}
		cells = append(cells, *c)
	}
	r.prog.close()

	res := buildResults(settings, sets, models, o.Seeds, cells)
	out.Results = res
	if err := writeOutputs(o.Out, res, sets, cells, r.prog); err != nil {
		return out, err
	}
	return out, nil
}

// readCell reads a cell file.
func readCell(path string) (*Cell, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Cell
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.Metrics == nil {
		c.Metrics = map[string]Num{}
	}
	return &c, nil
}

// checkSettings writes dir/settings.json, or checks that an existing one
// matches s.
func checkSettings(dir string, s Settings) error {
	path := filepath.Join(dir, SettingsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return atomicfile.WriteJSON(path, s)
	}
	if err != nil {
		return err
	}
	var old Settings
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	if old == s {
		return nil
	}
	var diffs []string
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(s)
	for i := 0; i < ov.NumField(); i++ {
		if a, b := ov.Field(i).Interface(), nv.Field(i).Interface(); a != b {
			name, _, _ := strings.Cut(ov.Type().Field(i).Tag.Get("json"), ",")
			diffs = append(diffs, fmt.Sprintf("%s %v (now %v)", name, a, b))
		}
	}
	return fmt.Errorf("bench: %s was made with other settings: %v; use another output directory", dir, diffs)
}
