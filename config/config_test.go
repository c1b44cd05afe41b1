package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/train"
)

const testFile = "testdata/experiment.yaml"

func load(t *testing.T) *File {
	t.Helper()
	f, err := Load(testFile)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLayout(t *testing.T) {
	f := load(t)
	if f.PipelineConfigID != "runner_config" {
		t.Errorf("pipeline_config_id %q", f.PipelineConfigID)
	}
	wantExp := []string{"NHP_train", "Sloppy_train", "Misplaced_gen", "BadType_train", "BadFloat_train", "BadInt_train", "BadBool_train", "BadOptimizer_train"}
	if got := f.Experiments(); !reflect.DeepEqual(got, wantExp) {
		t.Errorf("experiments %v, want %v", got, wantExp)
	}
	if got := f.Datasets(); !reflect.DeepEqual(got, []string{"toy", "lefty", "broken"}) {
		t.Errorf("data sets %v", got)
	}
	// The top-level string warns; the anchored trainer_defaults block does not.
	if len(f.Warnings) != 1 || f.Warnings[0].Path != "note" || f.Warnings[0].Line != 151 {
		t.Errorf("top-level warnings %v", f.Warnings)
	}
	if _, err := f.Experiment("trainer_defaults"); err == nil || !strings.Contains(err.Error(), "not an experiment block") {
		t.Errorf("anchor block as experiment: %v", err)
	}
	if _, err := f.Experiment("THP_train"); err == nil || !strings.Contains(err.Error(), "no experiment \"THP_train\"") || !strings.Contains(err.Error(), "NHP_train") {
		t.Errorf("missing experiment: %v", err)
	}
}

func TestExperimentValues(t *testing.T) {
	x, err := load(t).Experiment("NHP_train")
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Warnings) != 0 {
		t.Errorf("clean block warned: %v", x.Warnings)
	}
	wantBase := BaseConfig{Stage: "train", Backend: "torch", DatasetID: "toy", RunnerID: "std_tpp", ModelID: "NHP", BaseDir: "./checkpoints/"}
	x.Base.datasetNode = nil
	if !reflect.DeepEqual(x.Base, wantBase) {
		t.Errorf("base %+v", x.Base)
	}
	// Merged from the &trainer anchor, with max_epoch overridden.
	wantTrainer := TrainerConfig{Seed: 77, GPU: -1, BatchSize: 64, MaxEpoch: 12, Shuffle: false, Optimizer: "adam", LearningRate: 2.5e-3, ValidFreq: 1, Metrics: []string{"acc", "rmse"}}
	if !x.HasTrainer || !reflect.DeepEqual(x.Trainer, wantTrainer) {
		t.Errorf("trainer %+v", x.Trainer)
	}
	m := x.Model
	// Absent keys take EasyTPP's ModelConfig defaults.
	if m.HiddenSize != 48 || m.LossIntegralNumSamplePerStep != 15 || !m.UseLN || m.RNNType != "LSTM" || m.TimeEmbSize != 16 ||
		m.NumLayers != 2 || m.NumHeads != 2 || !m.UseMCSamples || m.DropoutRate != 0 || m.SharingParamLayer {
		t.Errorf("model %+v", m)
	}
	wantTh := ThinningConfig{NumSeq: 3, NumSample: 2, NumExp: 100, LookAheadTime: 7.5, PatienceCounter: 4, OverSampleRate: 6, NumSamplesBoundary: 8, DtimeMax: 2.5, NumStepGen: 1}
	if m.Thinning == nil || *m.Thinning != wantTh {
		t.Errorf("thinning %+v", m.Thinning)
	}
	if !reflect.DeepEqual(m.SpecKeys(), []string{"P", "act_func", "for_loop", "scale", "time_factor"}) {
		t.Errorf("spec keys %v", m.SpecKeys())
	}
	if p, err := m.SpecInt("P", 0); err != nil || p != 16 {
		t.Errorf("P = %v, %v", p, err)
	}
	if a, err := m.SpecString("act_func", ""); err != nil || a != "gelu" {
		t.Errorf("act_func = %v, %v", a, err)
	}
	if fl, err := m.SpecBool("for_loop", true); err != nil || fl {
		t.Errorf("for_loop (off) = %v, %v", fl, err)
	}
	if s, err := m.SpecFloat("scale", 0); err != nil || s != 0.5 {
		t.Errorf("scale = %v, %v", s, err)
	}
	if tf, err := m.SpecFloat("time_factor", 0); err != nil || tf != 100 {
		t.Errorf("time_factor (an integer read as a number) = %v, %v", tf, err)
	}
	if d, err := m.SpecInt("absent", 7); err != nil || d != 7 {
		t.Errorf("default = %v, %v", d, err)
	}
	if _, err := m.SpecInt("act_func", 0); err == nil || !strings.Contains(err.Error(), testFile+":70: NHP_train.model_config.model_specs.act_func: want an integer") {
		t.Errorf("mistyped spec: %v", err)
	}
	ws := m.UnknownSpecs("P", "act_func", "for_loop", "time_factr")
	if len(ws) != 2 || ws[0].Path != "NHP_train.model_config.model_specs.time_factor" || !strings.Contains(ws[0].Msg, "did you mean time_factr?") || ws[1].Path != "NHP_train.model_config.model_specs.scale" {
		t.Errorf("unknown specs %v", ws)
	}
	if x.Data == nil || x.Data.ID != "toy" || x.Data.Specs.NumEventTypes != 4 || *x.Data.Specs.PadTokenID != 4 || x.Data.DataFormat != "json" || x.Data.ValidDir != "./toy/dev.json" {
		t.Errorf("data %+v", x.Data)
	}
	if x.Raw["model_config"].(map[string]any)["hidden_size"] != 48 {
		t.Errorf("raw map %v", x.Raw)
	}
	if x.Raw["trainer_config"].(map[string]any)["batch_size"] != 64 {
		t.Errorf("raw map does not follow the merge key: %v", x.Raw["trainer_config"])
	}
}

// hasWarning reports whether ws holds a warning at path whose message
// contains each of the fragments.
func hasWarning(ws []Warning, line int, path string, frags ...string) bool {
	for _, w := range ws {
		if w.Path != path || (line > 0 && w.Line != line) {
			continue
		}
		ok := true
		for _, f := range frags {
			ok = ok && strings.Contains(w.Msg, f)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestWarnings(t *testing.T) {
	f := load(t)
	x, err := f.Experiment("Sloppy_train")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		path  string
		frags []string
	}{
		{86, "Sloppy_train.trainer_config.learning_rte", []string{"unknown key", "did you mean learning_rate?"}},
		{87, "Sloppy_train.trainer_config.learning_rate", []string{"PyYAML", "1e-3", "1.0e-03"}},
		{92, "Sloppy_train.trainer_config.seed", []string{"given twice", "line 91"}},
		{98, "Sloppy_train.model_config.mc_num_sample_per_step", []string{"never read by EasyTPP"}},
		{99, "Sloppy_train.model_config.dropout", []string{"dropout_rate"}},
		{100, "Sloppy_train.model_config.hiden_size", []string{"did you mean hidden_size?"}},
		{101, "Sloppy_train.model_config.num_event_types", []string{"overwritten"}},
		{102, "Sloppy_train.model_config.pretrained_model_dir", []string{"empty value"}},
		{24, "data.lefty.data_specs.padding_side", []string{"right"}},
		{23, "data.lefty.data_specs.pad_token_id", []string{"rejects a pad id of 0"}},
	}
	for _, w := range want {
		if !hasWarning(x.Warnings, w.line, w.path, w.frags...) {
			t.Errorf("no warning at line %d %s containing %q; got:\n%v", w.line, w.path, w.frags, x.Warnings)
		}
	}
	if len(x.Warnings) != len(want) {
		t.Errorf("%d warnings, want %d: %v", len(x.Warnings), len(want), x.Warnings)
	}
	// Values are still read: the later seed wins, 1e-3 is a number, max_len and format are taken.
	if x.Trainer.Seed != 2 || x.Trainer.LearningRate != 1e-3 || x.Model.HiddenSize != 16 || x.Data.DataFormat != "pkl" || *x.Data.Specs.MaxLen != 50 {
		t.Errorf("values %+v %+v %+v", x.Trainer, x.Model, x.Data)
	}
	if w := x.Warnings[0].String(); !strings.HasPrefix(w, testFile+":") {
		t.Errorf("warning text %q", w)
	}

	x, err = f.Experiment("Misplaced_gen")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		path  string
		frags []string
	}{
		{"Misplaced_gen.base_config.trainer_config", []string{"belongs at the experiment level"}},
		{"Misplaced_gen.base_config.model_config", []string{"belongs at the experiment level"}},
		{"Misplaced_gen.extra_block", []string{"unknown key"}},
		{"Misplaced_gen", []string{"no trainer_config"}},
		{"Misplaced_gen", []string{"no model_config"}},
		{"Misplaced_gen.base_config.dataset_id", []string{`"nowhere"`, "toy, lefty, broken"}},
	} {
		if !hasWarning(x.Warnings, 0, w.path, w.frags...) {
			t.Errorf("no warning %s %q; got %v", w.path, w.frags, x.Warnings)
		}
	}
	if x.Data != nil || x.HasTrainer || x.Trainer.BatchSize != 256 || x.Model.HiddenSize != 32 {
		t.Errorf("misplaced blocks must not be read: %+v", x)
	}
}

func TestErrors(t *testing.T) {
	f := load(t)
	for _, c := range []struct{ exp, want string }{
		{"BadType_train", testFile + `:124: BadType_train.trainer_config.batch_size: want an integer, got the string "big"`},
		{"BadFloat_train", testFile + `:131: BadFloat_train.trainer_config.learning_rate: want a number, got the string "fast"`},
		{"BadInt_train", testFile + `:138: BadInt_train.model_config.hidden_size: want an integer, got the number 32.0`},
		{"BadBool_train", testFile + `:144: BadBool_train.model_config.use_ln: want a boolean`},
	} {
		_, err := f.Experiment(c.exp)
		var ce *Error
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.exp, err, c.want)
		}
	}
	if _, err := f.Dataset("broken"); err == nil || !strings.Contains(err.Error(), "data.broken.data_specs.num_event_types: missing") {
		t.Errorf("broken data set: %v", err)
	}
	ws, errs := f.Check()
	if len(errs) != 5 {
		t.Errorf("Check: %d errors, want 5: %v", len(errs), errs)
	}
	if !hasWarning(ws, 24, "data.lefty.data_specs.padding_side") || !hasWarning(ws, 151, "note") {
		t.Errorf("Check warnings: %v", ws)
	}
	n := 0
	for _, w := range ws {
		if w.Path == "data.lefty.data_specs.padding_side" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("data-set warning reported %d times", n)
	}
	for _, bad := range []string{"a: [1, 2", "- just\n- a list\n", ""} {
		if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "bad.yaml") {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	if _, err := Load("testdata/none.yaml"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestTrainOptions(t *testing.T) {
	f := load(t)
	base := train.DefaultOptions()
	base.Patience, base.Clip, base.OutDir = 5, 1, "/tmp/x"
	x, _ := f.Experiment("NHP_train")
	o, notes, err := x.TrainOptions(base)
	if err != nil {
		t.Fatal(err)
	}
	if o.BatchSize != 64 || o.Epochs != 12 || o.LR != 2.5e-3 || o.Seed != 77 || o.Patience != 5 || o.Clip != 1 || o.OutDir != "/tmp/x" {
		t.Errorf("options %+v", o)
	}
	if len(notes) != 1 || notes[0].Path != "NHP_train.trainer_config.shuffle" {
		t.Errorf("notes %v", notes)
	}
	x, _ = f.Experiment("Sloppy_train")
	_, notes, _ = x.TrainOptions(base)
	if !hasWarning(notes, 0, "Sloppy_train.trainer_config.valid_freq", "5") || !hasWarning(notes, 0, "Sloppy_train.trainer_config.gpu", "CPU") || len(notes) != 2 {
		t.Errorf("notes %v", notes)
	}
	// Without a trainer_config, EasyTPP's defaults.
	x, _ = f.Experiment("Misplaced_gen")
	o, _, _ = x.TrainOptions(base)
	if o.BatchSize != 256 || o.Epochs != 10 || o.LR != 1e-3 || o.Seed != 9899 {
		t.Errorf("defaults %+v", o)
	}
	x, _ = f.Experiment("BadOptimizer_train")
	if _, _, err := x.TrainOptions(base); err == nil || !strings.Contains(err.Error(), "BadOptimizer_train.trainer_config.optimizer") {
		t.Errorf("sgd: %v", err)
	}
}

func TestPyYAMLRules(t *testing.T) {
	// PyYAML's float resolver needs a dot and a signed exponent.
	for v, want := range map[string]bool{
		"1.e-3": true, "1e-3": false, "1.0e3": false, "1.0e+3": true, "0.001": true, ".5": true,
		"1e+3": false, "-2.5e-4": true, "+1.": true, ".inf": true, "-.Inf": true, ".nan": true, "1.5E-3": true,
	} {
		if pyFloat(v) != want {
			t.Errorf("pyFloat(%q) = %v, want %v", v, !want, want)
		}
	}
	src := "pipeline_config_id: runner_config\nX:\n  base_config: {model_id: NHP}\n  trainer_config:\n    shuffle: yes\n    use_tfb: Off\n    learning_rate: 1.e-3\n    max_epoch: 3\n  model_config: {use_ln: 'yes'}\n"
	f, err := Parse("inline.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// PyYAML reads unquoted yes/Off as booleans; a quoted 'yes' is a string.
	if _, err := f.Experiment("X"); err == nil || !strings.Contains(err.Error(), "inline.yaml:9: X.model_config.use_ln: want a boolean") {
		t.Fatalf("quoted yes: %v", err)
	}
	f, _ = Parse("inline.yaml", []byte(strings.Replace(src, "'yes'", "no", 1)))
	x, err := f.Experiment("X")
	if err != nil {
		t.Fatal(err)
	}
	if !x.Trainer.Shuffle || x.Trainer.UseTFB || x.Trainer.LearningRate != 1e-3 || x.Model.UseLN {
		t.Errorf("values %+v %+v", x.Trainer, x.Model)
	}
	if len(x.Warnings) != 0 {
		t.Errorf("warnings %v", x.Warnings)
	}
}
