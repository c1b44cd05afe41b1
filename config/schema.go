package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DataConfig is one entry of the data: block.
type DataConfig struct {
	ID         string
	DataFormat string // data_format (json, pkl, ...); from train_dir's extension when absent, as EasyTPP does
	TrainDir   string // train_dir
	ValidDir   string // valid_dir
	TestDir    string // test_dir
	Specs      DataSpecs
	Warnings   []Warning // only on values returned by File.Dataset
}

// DataSpecs is data.<id>.data_specs.
type DataSpecs struct {
	NumEventTypes      int    // num_event_types (required)
	PadTokenID         *int   // pad_token_id
	PaddingSide        string // padding_side: right or left
	TruncationSide     string // truncation_side: right or left
	PaddingStrategy    string // padding_strategy
	TruncationStrategy string // truncation_strategy
	MaxLen             *int   // max_len
	ModelInputNames    []string
}

// Experiment is one experiment block, e.g. NHP_train.
type Experiment struct {
	Name       string
	File       string // the configuration file it came from
	Base       BaseConfig
	Trainer    TrainerConfig // EasyTPP's defaults for absent keys
	HasTrainer bool          // the block has a trainer_config
	Model      ModelConfig   // EasyTPP's defaults for absent keys
	// Data is the data set named by Base.DatasetID (nil when it is absent or
	// not in the data: block; a warning says so).
	Data *DataConfig
	// Raw is the whole block as plain values (maps, lists, scalars).
	Raw      map[string]any
	Warnings []Warning
}

// BaseConfig is <experiment>.base_config.
type BaseConfig struct {
	Stage     string         // train, eval or gen
	Backend   string         // torch
	DatasetID string         // dataset_id: a key of the data: block
	RunnerID  string         // runner_id
	ModelID   string         // model_id: RMTPP, NHP, THP, SAHP, AttNHP, FullyNN, IntensityFree, ODETPP, S2P2, ...
	ExpID     string         // exp_id (EasyTPP sets it to the block name)
	BaseDir   string         // base_dir
	Specs     map[string]any // specs

	datasetNode *yaml.Node
}

// TrainerConfig is <experiment>.trainer_config.
type TrainerConfig struct {
	Seed         int64    // seed (EasyTPP default 9899)
	GPU          int      // gpu (-1 = CPU)
	BatchSize    int      // batch_size (256)
	MaxEpoch     int      // max_epoch (10)
	Shuffle      bool     // shuffle (false)
	Optimizer    string   // optimizer (adam)
	LearningRate float64  // learning_rate (1e-3)
	ValidFreq    int      // valid_freq (1)
	UseTFB       bool     // use_tfb (false)
	Metrics      []string // metrics ([acc, rmse])
}

// ThinningConfig is model_config.thinning: EasyTPP's thinning sampler.
type ThinningConfig struct {
	NumSeq             int     // num_seq (10; never read by EasyTPP's sampler)
	NumSample          int     // num_sample (1)
	NumExp             int     // num_exp (500)
	LookAheadTime      float64 // look_ahead_time (10; never read by EasyTPP's sampler)
	PatienceCounter    int     // patience_counter (5; never read by EasyTPP's sampler)
	OverSampleRate     float64 // over_sample_rate (5)
	NumSamplesBoundary int     // num_samples_boundary (5)
	DtimeMax           float64 // dtime_max (5)
	NumStepGen         int     // num_step_gen (1)
}

// ModelConfig is <experiment>.model_config.
type ModelConfig struct {
	RNNType                      string  // rnn_type (LSTM)
	HiddenSize                   int     // hidden_size (32)
	TimeEmbSize                  int     // time_emb_size (16)
	NumLayers                    int     // num_layers (2)
	NumHeads                     int     // num_heads (2)
	SharingParamLayer            bool    // sharing_param_layer (false)
	UseMCSamples                 bool    // use_mc_samples (true)
	LossIntegralNumSamplePerStep int     // loss_integral_num_sample_per_step (20)
	DropoutRate                  float64 // dropout_rate (0)
	UseLN                        bool    // use_ln (false)
	// Thinning is nil when the block has no thinning: (EasyTPP then computes
	// no RMSE or accuracy).
	Thinning           *ThinningConfig
	PretrainedModelDir string // pretrained_model_dir
	// ModelSpecs is model_specs as plain values; read it with the Spec*
	// methods for typed access with located errors.
	ModelSpecs map[string]any

	file      string
	specsPath string
	specs     []entry
}

// DefaultTrainer is EasyTPP's TrainerConfig defaults.
func DefaultTrainer() TrainerConfig {
	return TrainerConfig{Seed: 9899, GPU: -1, BatchSize: 256, MaxEpoch: 10, Optimizer: "adam", LearningRate: 1e-3, ValidFreq: 1, Metrics: []string{"acc", "rmse"}}
}

// DefaultModel is EasyTPP's ModelConfig defaults.
func DefaultModel() ModelConfig {
	return ModelConfig{RNNType: "LSTM", HiddenSize: 32, TimeEmbSize: 16, NumLayers: 2, NumHeads: 2, UseMCSamples: true, LossIntegralNumSamplePerStep: 20, ModelSpecs: map[string]any{}}
}

// DefaultThinning is EasyTPP's ThinningConfig defaults.
func DefaultThinning() ThinningConfig {
	return ThinningConfig{NumSeq: 10, NumSample: 1, NumExp: 500, LookAheadTime: 10, PatienceCounter: 5, OverSampleRate: 5, NumSamplesBoundary: 5, DtimeMax: 5, NumStepGen: 1}
}

func (d *decoder) experiment(n *yaml.Node, name string) (*Experiment, error) {
	x := &Experiment{Name: name, File: d.file, Trainer: DefaultTrainer(), Model: DefaultModel()}
	x.Model.file = d.file
	r, err := d.plain(n, name)
	if err != nil {
		return nil, err
	}
	x.Raw, _ = r.(map[string]any)
	es, err := d.entries(n, name)
	if err != nil {
		return nil, err
	}
	var haveModel bool
	for _, e := range es {
		p := join(name, e.key)
		switch e.key {
		case "base_config":
			if err := d.base(e.val, p, &x.Base); err != nil {
				return nil, err
			}
		case "trainer_config":
			if isNull(e.val) {
				d.warn(e.keyNode, p, "empty trainer_config: EasyTPP would fail; the defaults are used")
				continue
			}
			x.HasTrainer = true
			if err := d.trainer(e.val, p, &x.Trainer); err != nil {
				return nil, err
			}
		case "model_config":
			if isNull(e.val) {
				d.warn(e.keyNode, p, "empty model_config: EasyTPP would fail; the defaults are used")
				continue
			}
			haveModel = true
			if err := d.model(e.val, p, &x.Model); err != nil {
				return nil, err
			}
		default:
			d.warn(e.keyNode, p, unknownMsg(e.key, []string{"base_config", "trainer_config", "model_config"}))
		}
	}
	if !x.HasTrainer {
		d.warn(n, name, "no trainer_config at the experiment level: EasyTPP would fail to build the runner; gotpp uses EasyTPP's defaults")
	}
	if !haveModel {
		d.warn(n, name, "no model_config at the experiment level: EasyTPP would fail to build the runner; gotpp uses EasyTPP's defaults")
	}
	return x, nil
}

func (d *decoder) base(n *yaml.Node, path string, b *BaseConfig) error {
	es, _ := d.entries(n, path)
	if e, ok := find(es, "dataset_id"); ok {
		b.datasetNode = e.val
	}
	err := d.fields(n, path, map[string]setter{
		"stage":      strField(&b.Stage),
		"backend":    strField(&b.Backend),
		"dataset_id": strField(&b.DatasetID),
		"runner_id":  strField(&b.RunnerID),
		"model_id":   strField(&b.ModelID),
		"exp_id":     strField(&b.ExpID),
		"base_dir":   strField(&b.BaseDir),
		"specs":      anyMapField(&b.Specs),
	}, nil, nil)
	if err != nil {
		return err
	}
	if b.Backend != "" && !slices.Contains([]string{"torch", "pytorch"}, strings.ToLower(b.Backend)) {
		d.warn(n, join(path, "backend"), fmt.Sprintf("%q: EasyTPP accepts only torch or pytorch", b.Backend))
	}
	if b.Stage != "" && !slices.Contains([]string{"train", "eval", "gen", "validate"}, b.Stage) {
		d.warn(n, join(path, "stage"), fmt.Sprintf("%q is not one of train, eval, gen", b.Stage))
	}
	if b.ModelID == "" {
		d.warn(n, path, "no model_id")
	}
	return nil
}

func (d *decoder) trainer(n *yaml.Node, path string, t *TrainerConfig) error {
	err := d.fields(n, path, map[string]setter{
		"seed":          int64Field(&t.Seed),
		"gpu":           intField(&t.GPU),
		"batch_size":    intField(&t.BatchSize),
		"max_epoch":     intField(&t.MaxEpoch),
		"shuffle":       boolField(&t.Shuffle),
		"optimizer":     strField(&t.Optimizer),
		"learning_rate": floatField(&t.LearningRate),
		"valid_freq":    intField(&t.ValidFreq),
		"use_tfb":       boolField(&t.UseTFB),
		"metrics":       strsField(&t.Metrics),
	}, nil, map[string]string{
		"lr":     "unknown key, ignored by EasyTPP and gotpp; the learning rate is learning_rate",
		"epochs": "unknown key, ignored by EasyTPP and gotpp; the number of epochs is max_epoch",
	})
	if err != nil {
		return err
	}
	if t.BatchSize <= 0 {
		return d.errorf(n, join(path, "batch_size"), "%d, want > 0", t.BatchSize)
	}
	if t.MaxEpoch < 0 {
		return d.errorf(n, join(path, "max_epoch"), "%d, want >= 0", t.MaxEpoch)
	}
	if !(t.LearningRate > 0) {
		return d.errorf(n, join(path, "learning_rate"), "%v, want > 0", t.LearningRate)
	}
	if t.ValidFreq <= 0 {
		return d.errorf(n, join(path, "valid_freq"), "%d, want > 0", t.ValidFreq)
	}
	return nil
}

// runnerSet are model_config keys EasyTPP's runner overwrites.
var runnerSet = map[string]string{
	"training":            "set by EasyTPP's runner from base_config.stage; the value here is overwritten",
	"num_event_types":     "set by EasyTPP's runner from data_specs.num_event_types; the value here is overwritten",
	"num_event_types_pad": "set by EasyTPP's runner from data_specs; the value here is overwritten",
	"event_pad_index":     "set by EasyTPP's runner from data_specs.pad_token_id; the value here is overwritten",
	"model_id":            "set by EasyTPP's runner from base_config.model_id; the value here is overwritten",
	"gpu":                 "overwritten by trainer_config.gpu in EasyTPP; no effect in gotpp (CPU)",
	"max_len":             "set by EasyTPP's runner from data_specs.max_len; the value here is overwritten",
	"dropout":             "EasyTPP reads dropout_rate, not dropout: this key has no effect (did you mean dropout_rate?)",
	"mc_num_sample_per_step": "never read by EasyTPP: the compensator's points per interval are " +
		"loss_integral_num_sample_per_step",
	"seed": "not read from model_config: the seed is trainer_config.seed",
}

func (d *decoder) model(n *yaml.Node, path string, m *ModelConfig) error {
	var specsNode *yaml.Node
	err := d.fields(n, path, map[string]setter{
		"rnn_type":                          strField(&m.RNNType),
		"hidden_size":                       intField(&m.HiddenSize),
		"time_emb_size":                     intField(&m.TimeEmbSize),
		"num_layers":                        intField(&m.NumLayers),
		"num_heads":                         intField(&m.NumHeads),
		"sharing_param_layer":               boolField(&m.SharingParamLayer),
		"use_mc_samples":                    boolField(&m.UseMCSamples),
		"loss_integral_num_sample_per_step": intField(&m.LossIntegralNumSamplePerStep),
		"dropout_rate":                      floatField(&m.DropoutRate),
		"use_ln":                            boolField(&m.UseLN),
		"pretrained_model_dir":              strField(&m.PretrainedModelDir),
		"thinning": func(d *decoder, v *yaml.Node, p string) error {
			if isNull(v) {
				m.Thinning = nil
				return nil
			}
			th := DefaultThinning()
			if err := d.thinning(v, p, &th); err != nil {
				return err
			}
			m.Thinning = &th
			return nil
		},
		"model_specs": func(d *decoder, v *yaml.Node, p string) error {
			m.specsPath = p
			if isNull(v) {
				m.ModelSpecs = map[string]any{}
				return nil
			}
			specsNode = v
			return anyMapField(&m.ModelSpecs)(d, v, p)
		},
	}, map[string]bool{"thinning": true, "model_specs": true}, runnerSet)
	if err != nil {
		return err
	}
	if specsNode != nil {
		if m.specs, err = d.entries(specsNode, m.specsPath); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"hidden_size", m.HiddenSize}, {"num_layers", m.NumLayers}, {"num_heads", m.NumHeads}, {"loss_integral_num_sample_per_step", m.LossIntegralNumSamplePerStep}} {
		if c.v <= 0 {
			return d.errorf(n, join(path, c.name), "%d, want > 0", c.v)
		}
	}
	if m.DropoutRate < 0 || m.DropoutRate >= 1 {
		return d.errorf(n, join(path, "dropout_rate"), "%v, want in [0, 1)", m.DropoutRate)
	}
	return nil
}

func (d *decoder) thinning(n *yaml.Node, path string, t *ThinningConfig) error {
	return d.fields(n, path, map[string]setter{
		"num_seq":              intField(&t.NumSeq),
		"num_sample":           intField(&t.NumSample),
		"num_exp":              intField(&t.NumExp),
		"look_ahead_time":      floatField(&t.LookAheadTime),
		"patience_counter":     intField(&t.PatienceCounter),
		"over_sample_rate":     floatField(&t.OverSampleRate),
		"num_samples_boundary": intField(&t.NumSamplesBoundary),
		"dtime_max":            floatField(&t.DtimeMax),
		"num_step_gen":         intField(&t.NumStepGen),
	}, nil, nil)
}

func (d *decoder) dataConfig(n *yaml.Node, path string) (*DataConfig, error) {
	dc := &DataConfig{}
	haveSpecs := false
	err := d.fields(n, path, map[string]setter{
		"data_format": strField(&dc.DataFormat),
		"train_dir":   strField(&dc.TrainDir),
		"valid_dir":   strField(&dc.ValidDir),
		"test_dir":    strField(&dc.TestDir),
		"data_specs": func(d *decoder, v *yaml.Node, p string) error {
			haveSpecs = true
			return d.dataSpecs(v, p, &dc.Specs)
		},
	}, nil, map[string]string{
		"dev_dir": "unknown key, ignored by EasyTPP and gotpp; the dev split is valid_dir",
	})
	if err != nil {
		return nil, err
	}
	if !haveSpecs {
		return nil, d.errorf(n, path, "no data_specs (EasyTPP needs data_specs.num_event_types)")
	}
	if dc.DataFormat == "" && dc.TrainDir != "" {
		if i := strings.LastIndex(dc.TrainDir, "."); i >= 0 {
			dc.DataFormat = dc.TrainDir[i+1:]
		}
	}
	return dc, nil
}

func (d *decoder) dataSpecs(n *yaml.Node, path string, s *DataSpecs) error {
	es, err := d.entries(n, path)
	if err != nil {
		return err
	}
	err = d.fields(n, path, map[string]setter{
		"num_event_types":     intField(&s.NumEventTypes),
		"pad_token_id":        optIntField(&s.PadTokenID),
		"padding_side":        strField(&s.PaddingSide),
		"truncation_side":     strField(&s.TruncationSide),
		"padding_strategy":    strField(&s.PaddingStrategy),
		"truncation_strategy": strField(&s.TruncationStrategy),
		"max_len":             optIntField(&s.MaxLen),
		"model_input_names":   strsField(&s.ModelInputNames),
	}, map[string]bool{"pad_token_id": true, "max_len": true}, nil)
	if err != nil {
		return err
	}
	if e, ok := find(es, "num_event_types"); !ok || s.NumEventTypes <= 0 {
		var at *yaml.Node = n
		if ok {
			at = e.val
		}
		return d.errorf(at, join(path, "num_event_types"), "missing or not positive (EasyTPP needs the number of event types)")
	}
	for _, side := range []struct{ key, v string }{{"padding_side", s.PaddingSide}, {"truncation_side", s.TruncationSide}} {
		if side.v != "" && side.v != "left" && side.v != "right" {
			e, _ := find(es, side.key)
			return d.errorf(e.val, join(path, side.key), "%q, want right or left", side.v)
		}
	}
	if s.PaddingSide == "left" {
		e, _ := find(es, "padding_side")
		d.warn(e.val, join(path, "padding_side"), "gotpp always pads on the right (and EasyTPP's padding mask is only correct for right padding)")
	}
	if s.PadTokenID != nil && *s.PadTokenID != s.NumEventTypes {
		e, _ := find(es, "pad_token_id")
		msg := fmt.Sprintf("%d differs from num_event_types %d: gotpp pads types with num_event_types", *s.PadTokenID, s.NumEventTypes)
		if *s.PadTokenID == 0 {
			msg += " (and EasyTPP rejects a pad id of 0)"
		}
		d.warn(e.val, join(path, "pad_token_id"), msg)
	}
	return nil
}

func anyMapField(p *map[string]any) setter {
	return func(d *decoder, n *yaml.Node, path string) error {
		r := resolve(n)
		if isNull(r) {
			*p = map[string]any{}
			return nil
		}
		if r.Kind != yaml.MappingNode {
			return d.errorf(r, path, "want a mapping, got %s", describe(r))
		}
		v, err := d.plain(r, path)
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return d.errorf(r, path, "want a mapping with string keys")
		}
		*p = m
		return nil
	}
}

// spec finds model_specs.<key>; ok is false when it is absent or empty.
func (m *ModelConfig) spec(key string) (*yaml.Node, string, bool) {
	e, ok := find(m.specs, key)
	if !ok || isNull(e.val) {
		return nil, "", false
	}
	return e.val, join(m.specsPath, key), true
}

func (m *ModelConfig) specDecoder() *decoder { return &decoder{file: m.file} }

// SpecInt reads model_specs.<key> as an integer, def when absent or empty.
func (m *ModelConfig) SpecInt(key string, def int) (int, error) {
	n, p, ok := m.spec(key)
	if !ok {
		return def, nil
	}
	v := def
	return v, intField(&v)(m.specDecoder(), n, p)
}

// SpecFloat reads model_specs.<key> as a number, def when absent or empty.
func (m *ModelConfig) SpecFloat(key string, def float64) (float64, error) {
	n, p, ok := m.spec(key)
	if !ok {
		return def, nil
	}
	v := def
	return v, floatField(&v)(m.specDecoder(), n, p)
}

// SpecBool reads model_specs.<key> as a boolean, def when absent or empty.
func (m *ModelConfig) SpecBool(key string, def bool) (bool, error) {
	n, p, ok := m.spec(key)
	if !ok {
		return def, nil
	}
	v := def
	return v, boolField(&v)(m.specDecoder(), n, p)
}

// SpecString reads model_specs.<key> as a string, def when absent or empty.
func (m *ModelConfig) SpecString(key string, def string) (string, error) {
	n, p, ok := m.spec(key)
	if !ok {
		return def, nil
	}
	v := def
	return v, strField(&v)(m.specDecoder(), n, p)
}

// UnknownSpecs returns a warning for every model_specs key not in known (a
// model lists the keys it reads), with a suggestion where one is close.
func (m *ModelConfig) UnknownSpecs(known ...string) []Warning {
	d := m.specDecoder()
	for _, e := range m.specs {
		if !slices.Contains(known, e.key) {
			msg := "unknown model_specs key for this model, ignored"
			if s := suggest(e.key, slices.Clone(known)); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
			d.warn(e.keyNode, join(m.specsPath, e.key), msg)
		}
	}
	return d.warns
}

// SpecKeys lists the model_specs keys, sorted.
func (m *ModelConfig) SpecKeys() []string { return slices.Sorted(maps.Keys(m.ModelSpecs)) }
