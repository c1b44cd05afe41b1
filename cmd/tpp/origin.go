package main

import (
	"fmt"

	"github.com/gotpp/gotpp/data"
)

// dataOrigin is the --origin flag shared by the commands that read data;
// "" means the origin recorded by the run being evaluated (runOrigin), else
// zero.
var dataOrigin = ""

// runOrigin is the origin a loaded run directory was trained with.
var runOrigin = ""

const originHelp = "where a sequence's window starts when its file gives no start: zero (the format's rule) or first-event (as EasyTPP, which shifts every sequence to t_0 = 0; for data in absolute time such as Taobao); default: the run's own origin (--run), else zero"

// effectiveOrigin resolves --origin against the loaded run's.
func effectiveOrigin() (data.Origin, error) {
	o := dataOrigin
	if o == "" {
		o = runOrigin
	}
	return data.ParseOrigin(o)
}

// loadSplit loads one split and applies --origin.
func loadSplit(path, split string) (*data.Dataset, error) {
	o, err := effectiveOrigin()
	if err != nil {
		return nil, fmt.Errorf("--origin: %w", err)
	}
	ds, err := data.LoadSplit(path, split)
	if err != nil {
		return nil, err
	}
	ds.ApplyOrigin(o)
	return ds, nil
}

// originOrZero is the origin a training run uses (and records).
func originOrZero() data.Origin {
	o, err := data.ParseOrigin(dataOrigin)
	if err != nil {
		return data.OriginZero
	}
	return o
}
