package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/config"
	"github.com/gotpp/gotpp/model"
)

const testConfig = `pipeline_config_id: runner_config
data:
  toy:
    data_format: json
    train_dir: ./train.json
    valid_dir: ./dev.json
    test_dir: ./test.json
    data_specs:
      num_event_types: 2
NHP_train:
  base_config: {stage: train, backend: torch, dataset_id: toy, runner_id: std_tpp, model_id: NHP, base_dir: ./c}
  trainer_config: {batch_size: 16, max_epoch: 7, optimizer: adam, learning_rate: 0.002, seed: 1, shuffle: true, valid_freq: 1, gpu: -1}
  model_config: {hidden_size: 24}
Attention:
  base_config: {stage: train, backend: torch, dataset_id: toy, runner_id: std_tpp, model_id: THP, base_dir: ./c}
  trainer_config: {batch_size: 8, max_epoch: 2, optimizer: adam, learning_rate: 0.001, seed: 1, shuffle: true, valid_freq: 1, gpu: -1}
  model_config: {hidden_size: 16, num_heads: 2, num_layers: 1}
`

func TestSetupNeuralFromConfig(t *testing.T) {
	names := model.Names()
	for _, n := range []string{"nhp", "thp", "rmtpp"} {
		if !slices.Contains(names, n) {
			t.Skipf("neural model %s not registered", n)
		}
	}
	path := filepath.Join(t.TempDir(), "exp.yaml")
	if err := os.WriteFile(path, []byte(testConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cf, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	o := &Options{Workers: 2}
	su, err := o.setupNeural("nhp", cf)
	if err != nil {
		t.Fatal(err)
	}
	if su.block != "NHP_train" || su.hyper.Hidden != 24 || su.opts.Epochs != 7 || su.opts.BatchSize != 16 || su.opts.LR != 0.002 {
		t.Errorf("nhp from NHP_train: block %q hidden %d epochs %d batch %d lr %v", su.block, su.hyper.Hidden, su.opts.Epochs, su.opts.BatchSize, su.opts.LR)
	}
	// Explicit options override the config.
	su, err = (&Options{Workers: 2, Epochs: 3, BatchSize: 4, LR: 0.01}).setupNeural("nhp", cf)
	if err != nil {
		t.Fatal(err)
	}
	if su.opts.Epochs != 3 || su.opts.BatchSize != 4 || su.opts.LR != 0.01 || su.hyper.Hidden != 24 {
		t.Errorf("overrides: epochs %d batch %d lr %v hidden %d", su.opts.Epochs, su.opts.BatchSize, su.opts.LR, su.hyper.Hidden)
	}
	// Found by model_id when no block is named THP_train.
	su, err = o.setupNeural("thp", cf)
	if err != nil {
		t.Fatal(err)
	}
	if su.block != "Attention" || su.hyper.Hidden != 16 || su.hyper.Heads != 2 || su.opts.Epochs != 2 {
		t.Errorf("thp: block %q hidden %d heads %d epochs %d", su.block, su.hyper.Hidden, su.hyper.Heads, su.opts.Epochs)
	}
	// No block: defaults and a note.
	su, err = o.setupNeural("rmtpp", cf)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := model.Lookup("rmtpp")
	if su.block != "" || su.opts.Epochs != DefaultEpochs || su.opts.BatchSize != DefaultBatchSize || su.hyper.Hidden != spec.Defaults.Hidden {
		t.Errorf("rmtpp without block: %+v %+v", su.opts, su.hyper)
	}
	if len(su.notes) != 1 || !strings.Contains(su.notes[0], "no experiment block for rmtpp") {
		t.Errorf("notes %v", su.notes)
	}
}
