package config

import (
	"fmt"
	"strings"

	"github.com/gotpp/gotpp/train"
)

// TrainOptions maps the experiment's trainer block onto train.Options,
// starting from base (which supplies what EasyTPP has no key for: patience,
// clipping, workers, output directory, ...):
//
//	trainer_config.batch_size    → BatchSize
//	trainer_config.max_epoch     → Epochs
//	trainer_config.learning_rate → LR
//	trainer_config.seed          → Seed
//	trainer_config.optimizer     must be adam (gotpp's only optimiser)
//
// Keys that have no counterpart give notes instead: shuffle (gotpp always
// shuffles its length buckets, seeded), valid_freq other than 1 (gotpp
// evaluates dev after every epoch), gpu ≥ 0 (gotpp runs on the CPU) and
// use_tfb (no TensorBoard). metrics has no effect on training. Without a
// trainer_config block the EasyTPP defaults apply (batch 256, 10 epochs,
// lr 1e-3, seed 9899).
func (x *Experiment) TrainOptions(base train.Options) (train.Options, []Warning, error) {
	t := x.Trainer
	path := x.Name + ".trainer_config"
	var notes []Warning
	note := func(key, msg string) {
		notes = append(notes, Warning{File: x.File, Path: path + "." + key, Msg: msg})
	}
	if opt := strings.ToLower(t.Optimizer); opt != "adam" {
		return base, nil, &Error{File: x.File, Path: path + ".optimizer", Msg: fmt.Sprintf("%q: gotpp trains with adam only", t.Optimizer)}
	}
	o := base
	o.BatchSize = t.BatchSize
	o.Epochs = t.MaxEpoch
	o.LR = t.LearningRate
	o.Seed = t.Seed
	if !t.Shuffle {
		note("shuffle", "false is not honoured: gotpp groups sequences by length and shuffles the order of the groups every epoch (seeded by seed)")
	}
	if t.ValidFreq != 1 {
		note("valid_freq", fmt.Sprintf("%d is not honoured: gotpp evaluates the dev set after every epoch (early stopping needs it)", t.ValidFreq))
	}
	if t.GPU >= 0 {
		note("gpu", fmt.Sprintf("%d: gotpp trains on the CPU", t.GPU))
	}
	if t.UseTFB {
		note("use_tfb", "gotpp writes epochs.jsonl instead of TensorBoard logs")
	}
	return o, notes, nil
}
