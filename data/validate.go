package data

import (
	"errors"
	"os"
	"path/filepath"
)

// FileCheck summarises one validated file.
type FileCheck struct {
	File         string
	NumSequences int // valid sequences
	NumEvents    int
	Ties         int
	Problems     int
}

// ValidationReport lists every problem found by ValidatePath.
type ValidationReport struct {
	Problems []*LoadError
	Files    []FileCheck
}

// ValidatePath reads a data file, or a directory's meta.json and every split
// file, collecting every problem instead of stopping at the first. The error
// is only for a path that cannot be examined at all.
func ValidatePath(path string) (*ValidationReport, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	rep := &ValidationReport{}
	dir := path
	if !st.IsDir() {
		dir = filepath.Dir(path)
	}
	meta, err := ReadMeta(dir)
	if err != nil {
		rep.add(asLoadError(filepath.Join(dir, MetaFile), err))
		meta = nil
	}
	o := ReadOptions{}
	if meta != nil {
		o.NumTypes = meta.NumTypes
	}
	if !st.IsDir() {
		rep.file(path, o)
		return rep, nil
	}
	found := 0
	for _, split := range Splits {
		p, ok, err := SplitFile(path, split)
		if err != nil {
			rep.add(&LoadError{File: path, Record: -1, Field: split, Msg: err.Error(), Err: err})
			continue
		}
		if ok {
			found++
			rep.file(p, o)
		}
	}
	if found == 0 {
		rep.add(&LoadError{File: path, Record: -1, Msg: "no split files (train/dev/test with extension .jsonl, .csv, .json or .pkl, each optionally .gz)"})
	}
	return rep, nil
}

func (r *ValidationReport) add(e *LoadError) { r.Problems = append(r.Problems, e) }

func (r *ValidationReport) file(path string, o ReadOptions) {
	fc := FileCheck{File: path}
	o.File = path
	o.OnProblem = func(e *LoadError) {
		fc.Problems++
		r.add(e)
	}
	splits, err := ReadFile(path, o)
	if err != nil && !(errors.Is(err, errNoValidSequences) && fc.Problems > 0) {
		fc.Problems++
		r.add(asLoadError(path, err))
	}
	for _, ds := range splits {
		fc.NumSequences += len(ds.Seqs)
		fc.NumEvents += ds.NumEvents()
		for i := range ds.Seqs {
			fc.Ties += ds.Seqs[i].Ties()
		}
	}
	r.Files = append(r.Files, fc)
}

func asLoadError(path string, err error) *LoadError {
	var le *LoadError
	if errors.As(err, &le) {
		return le
	}
	return &LoadError{File: path, Record: -1, Msg: err.Error(), Err: err}
}
