package main

import (
	"fmt"

	"github.com/gotpp/gotpp/data"
)

// dataOrigin is the --origin flag shared by the commands that read data.
var dataOrigin = "zero"

const originHelp = "where a sequence's window starts when its file gives no start: zero (the format's rule) or first-event (as EasyTPP, which shifts every sequence to t_0 = 0; for data in absolute time such as Taobao)"

// loadSplit loads one split and applies --origin.
func loadSplit(path, split string) (*data.Dataset, error) {
	o, err := data.ParseOrigin(dataOrigin)
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
