package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/config"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/train"
)

// Neural-model flags of `tpp train`; registered on trainCmd (declared in
// train.go) so that one command trains every model.
var nnOpts struct {
	epochs, batchSize, maxTokens, patience, workers int
	lr, clip, weightDecay, dropout                  float64
	hidden, timeEmb, layers, heads, quadNodes, mix  int
	configFile, experiment                          string
	resume, overwrite, quiet                        bool
}

func init() {
	f := trainCmd.Flags()
	f.IntVar(&nnOpts.epochs, "epochs", 20, "neural: training epochs")
	f.IntVar(&nnOpts.batchSize, "batch-size", 64, "neural: sequences per batch")
	f.IntVar(&nnOpts.maxTokens, "max-tokens", 0, "neural: padded events per batch (B·L) at most; 0 = no limit")
	f.IntVar(&nnOpts.patience, "patience", 0, "neural: stop after this many epochs without a better dev LL (0 = never)")
	f.IntVar(&nnOpts.workers, "workers", 2, "neural: goroutines per batch (data parallel; results are deterministic for a fixed count)")
	f.Float64Var(&nnOpts.lr, "lr", 0, "neural: Adam learning rate (0 = the config's, else the model's default: 1e-3; fullynn, odetpp 1e-2)")
	f.Float64Var(&nnOpts.clip, "clip", 5, "neural: global gradient-norm clip (0 = off)")
	f.Float64Var(&nnOpts.weightDecay, "weight-decay", 0, "neural: Adam weight decay")
	f.IntVar(&nnOpts.hidden, "hidden", 0, "neural: hidden size (0 = the model's default)")
	f.IntVar(&nnOpts.timeEmb, "time-emb", 0, "neural: time-embedding size (0 = default)")
	f.IntVar(&nnOpts.layers, "layers", 0, "neural: layers (0 = default)")
	f.IntVar(&nnOpts.heads, "heads", 0, "neural: attention heads (0 = default)")
	f.IntVar(&nnOpts.quadNodes, "quad-nodes", 0, "neural: Gauss–Legendre nodes per interval for numerical compensators (0 = default)")
	f.IntVar(&nnOpts.mix, "mix", 0, "neural: mixture components (intensityfree; 0 = default)")
	f.Float64Var(&nnOpts.dropout, "dropout", 0, "neural: dropout rate in training (thp, sahp, attnhp; EasyTPP's dropout_rate)")
	f.StringVar(&nnOpts.configFile, "config", "", "neural: EasyTPP experiment YAML (model_config and trainer_config are used)")
	f.StringVar(&nnOpts.experiment, "experiment", "", "neural: experiment block of --config, e.g. NHP_train")
	f.BoolVar(&nnOpts.resume, "resume", false, "neural: continue from RUNDIR's checkpoint (bit-for-bit)")
	f.BoolVar(&nnOpts.overwrite, "overwrite", false, "neural: start afresh even if RUNDIR holds a checkpoint")
	f.BoolVar(&nnOpts.quiet, "quiet", false, "neural: no progress bar")
	trainCmd.Long += `

Neural models (` + "`tpp models`" + ` lists them) train with Adam on length-bucketed
batches, log every epoch to RUNDIR/epochs.jsonl, checkpoint atomically every
epoch (--resume continues bit-for-bit), keep the best-dev parameters, and stop
with a clear message on a NaN/Inf loss or gradient. --config/--experiment read
EasyTPP's experiment YAML unchanged; flags given explicitly override it.`
}

// neuralHyper collects hyperparameters from an EasyTPP config (when given)
// and then from explicitly set flags.
func neuralHyper(cmd *cobra.Command, exp *config.Experiment) model.Hyper {
	var h model.Hyper
	if exp != nil {
		mc := exp.Model
		h.Hidden, h.TimeEmb, h.Layers, h.Heads = mc.HiddenSize, mc.TimeEmbSize, mc.NumLayers, mc.NumHeads
		h.Dropout = mc.DropoutRate
		h.Specs = map[string]any{}
		for k, v := range mc.ModelSpecs {
			h.Specs[k] = v
		}
		if _, ok := h.Specs["rnn_type"]; !ok && mc.RNNType != "" {
			h.Specs["rnn_type"] = mc.RNNType
		}
		if v, ok := mc.ModelSpecs["num_mix_components"].(int); ok {
			h.Mixture = v
		}
	}
	fl := cmd.Flags()
	set := func(name string, dst *int, v int) {
		if fl.Changed(name) {
			*dst = v
		}
	}
	set("hidden", &h.Hidden, nnOpts.hidden)
	set("time-emb", &h.TimeEmb, nnOpts.timeEmb)
	set("layers", &h.Layers, nnOpts.layers)
	set("heads", &h.Heads, nnOpts.heads)
	set("quad-nodes", &h.QuadNodes, nnOpts.quadNodes)
	set("mix", &h.Mixture, nnOpts.mix)
	if fl.Changed("dropout") {
		h.Dropout = nnOpts.dropout
	}
	return h
}

func trainNeural(cmd *cobra.Command, name string) error {
	o := &trainOpts
	spec, err := model.Lookup(strings.ToLower(name))
	if err != nil {
		return fmt.Errorf("train: %w (classical: poisson, hawkes)", err)
	}
	if o.data == "" || o.out == "" {
		return fmt.Errorf("train: --data and --out are required")
	}
	conv, err := likelihood.ParseConvention(o.convention)
	if err != nil {
		return err
	}
	trainDS, err := loadSplit(o.data, "train")
	if err != nil {
		return err
	}
	var devDS *data.Dataset
	if _, ok, _ := data.SplitFile(o.data, "dev"); ok {
		if devDS, err = loadSplit(o.data, "dev"); err != nil {
			return err
		}
		if devDS.NumTypes != trainDS.NumTypes {
			return fmt.Errorf("train: dev split has %d types, train %d", devDS.NumTypes, trainDS.NumTypes)
		}
	}

	opts := train.DefaultOptions()
	opts.BatchSize = nnOpts.batchSize
	opts.Epochs = nnOpts.epochs
	opts.LR = spec.DefaultLearningRate()
	opts.Seed = o.seed
	var exp *config.Experiment
	if nnOpts.configFile != "" {
		if nnOpts.experiment == "" {
			return fmt.Errorf("train: --config needs --experiment (a block name such as %s_train)", strings.ToUpper(name))
		}
		cf, err := config.Load(nnOpts.configFile)
		if err != nil {
			return err
		}
		if exp, err = cf.Experiment(nnOpts.experiment); err != nil {
			return err
		}
		var warns []config.Warning
		opts, warns, err = exp.TrainOptions(opts)
		if err != nil {
			return err
		}
		for _, w := range append(exp.Warnings, warns...) {
			fmt.Fprintln(cmd.ErrOrStderr(), "config warning:", w)
		}
	}
	fl := cmd.Flags()
	if fl.Changed("epochs") {
		opts.Epochs = nnOpts.epochs
	}
	if fl.Changed("batch-size") {
		opts.BatchSize = nnOpts.batchSize
	}
	if fl.Changed("lr") && nnOpts.lr > 0 {
		opts.LR = nnOpts.lr
	}
	if fl.Changed("seed") {
		opts.Seed = o.seed
	}
	opts.MaxTokens = nnOpts.maxTokens
	opts.Patience = nnOpts.patience
	opts.Workers = nnOpts.workers
	opts.Clip = nnOpts.clip
	opts.WeightDecay = nnOpts.weightDecay
	opts.Resume = nnOpts.resume
	opts.Overwrite = nnOpts.overwrite
	opts.Quiet = nnOpts.quiet
	opts.OutDir = o.out
	opts.Convention = conv
	opts.Log = cmd.ErrOrStderr()

	h := neuralHyper(cmd, exp).Merge(spec.Defaults)
	if h.Dropout != 0 && !spec.Dropout {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s has no dropout: dropout_rate %v ignored\n", spec.Name, h.Dropout)
	}
	m, err := spec.New(trainDS.NumTypes, h, uint64(opts.Seed))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := train.Run(ctx, m, trainDS, devDS, opts)
	if err != nil {
		return err
	}
	results := map[string]any{
		"epochs":                    res.Epochs,
		"best_epoch":                res.BestEpoch,
		"best_dev_loglik_per_event": res.BestDev,
		"train_loss":                res.TrainLoss,
		"stopped_early":             res.StoppedEarly,
		"workers":                   res.Workers,
		"train_seconds":             res.Seconds,
		"num_params":                countParams(m),
	}
	if n := len(res.History); n > 0 {
		var secs float64
		for _, e := range res.History {
			secs += e.Seconds
		}
		results["seconds_per_epoch"] = secs / float64(n)
	}
	dataPath, _ := filepath.Abs(o.data)
	info := &runs.Info{
		Model:    spec.Name,
		Data:     dataPath,
		NumTypes: trainDS.NumTypes,
		Seed:     opts.Seed,
		Created:  time.Now().UTC().Format(time.RFC3339),
		Command:  os.Args,
		Options: map[string]any{
			"hyper": h, "epochs": opts.Epochs, "batch_size": opts.BatchSize, "lr": opts.LR,
			"clip": opts.Clip, "patience": opts.Patience, "workers": opts.Workers,
			"convention": conv.String(), "origin": string(originOrZero()), "config": nnOpts.configFile, "experiment": nnOpts.experiment,
		},
		Results: results,
	}
	if err := runs.WriteInfo(o.out, info); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s: %d parameters, %d epochs in %.1fs; best dev LL/event %.4f (epoch %d)\n",
		spec.Name, countParams(m), res.Epochs, res.Seconds, res.BestDev, res.BestEpoch)
	fmt.Fprintf(w, "wrote run directory %s\n", o.out)
	return nil
}

func countParams(m train.Model) int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.Value)
	}
	return n
}

var modelsCmd = &cobra.Command{
	Use:   "models",
	Short: "List the models tpp can train",
	Args:  cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error {
		w := cmd.OutOrStdout()
		fmt.Fprintln(w, "classical:")
		fmt.Fprintln(w, "  poisson        homogeneous Poisson process per type (closed-form MLE)")
		fmt.Fprintln(w, "  hawkes         multivariate exponential-kernel Hawkes process (decays learned)")
		fmt.Fprintln(w, "neural:")
		for _, n := range model.Names() {
			s, _ := model.Lookup(n)
			fmt.Fprintf(w, "  %-14s %s\n", n, s.Doc)
		}
		return nil
	},
}

func init() { rootCmd.AddCommand(modelsCmd) }
