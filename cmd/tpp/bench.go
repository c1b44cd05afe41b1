package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/bench"
	"github.com/gotpp/gotpp/data"
)

// tpp bench: wires flags to package bench (benchmark runner and throughput
// table).

var benchOpts struct {
	models, data, out, config            string
	seeds                                int
	baseSeed                             int64
	epochs, batchSize, patience, workers int
	lr                                   float64
	horizon, maxCases, maxPredictSeqs    int
	retryFailed, quiet                   bool
	speed                                bool
	steps, predictEvents                 int
}

var benchCmd = &cobra.Command{
	Use:   "bench --models LIST|all --data DIR[,DIR...] --out BENCHDIR [--seeds N] [--epochs E]",
	Short: "Train and evaluate every model × data set × seed; write tables, figures and an HTML report",
	Long: `Benchmark models on data sets: every model × data set × seed ("cell") is trained
on the train split (neural models keep their best dev epoch) and evaluated on the
test split: log-likelihood per event under both conventions, one-step RMSE, MAE,
accuracy and macro-F1, the KS statistic of the time-rescaled gaps, and OTD of
long-horizon forecasts (at most --max-cases sequences). Seed k is --base-seed + k,
so a rerun gives the same numbers.

The benchmark is resumable: each finished cell is written to
BENCHDIR/cells/<data>/<model>/seed<k>.json and skipped by later runs, and a
neural cell killed mid-training resumes from its last epoch's checkpoint in
BENCHDIR/runs/<data>/<model>/seed<k>/. Rerunning with other settings (epochs,
batch size, ...) into the same BENCHDIR is refused.

Outputs in BENCHDIR: results.json (every cell and mean ± std summaries; timings
and memory under "timing"), results.csv (one row per cell), results.md (a table
per data set, best per column in bold), figures/*.png (learning curves,
throughput, QQ plots of rescaled gaps, fitted intensities of a test sequence)
and report.html (everything in one self-contained file).

--speed prints a throughput table instead (training events/s over --steps
batches, prediction events/s, peak memory per model) on --data or, without it,
a generated 3-type Hawkes data set; with --out it also writes speed.json and
speed.md there.`,
	Example: `  tpp bench --models all --data ../shared/data/taxi --seeds 2 --epochs 5 --out bench-taxi
  tpp bench --models poisson,hawkes,nhp --data d1,d2 --out b --config experiment.yaml
  tpp bench --speed --models all`,
	Args: cobra.NoArgs,
	RunE: runBench,
}

func init() {
	f := benchCmd.Flags()
	o := &benchOpts
	f.StringVar(&o.models, "models", "all", "comma-separated models (poisson, hawkes, neural names; see tpp models) or all")
	f.StringVar(&o.data, "data", "", "comma-separated data-set directories (train and test splits, optional dev)")
	f.StringVar(&o.out, "out", "", "benchmark directory (required unless --speed)")
	f.IntVar(&o.seeds, "seeds", 1, "seeds per model and data set")
	f.Int64Var(&o.baseSeed, "base-seed", 2019, "seed k of a cell is base-seed + k")
	f.IntVar(&o.epochs, "epochs", 0, "neural: epochs (0 = the config's max_epoch, else 20)")
	f.IntVar(&o.batchSize, "batch-size", 0, "neural: sequences per batch (0 = the config's, else 64)")
	f.Float64Var(&o.lr, "lr", 0, "neural: Adam learning rate (0 = the config's, else the model's default: 1e-3; fullynn, odetpp 1e-2)")
	f.IntVar(&o.patience, "patience", 0, "neural: stop after this many epochs without a better dev LL (0 = never)")
	f.IntVar(&o.workers, "workers", 2, "goroutines per training batch and for the evaluation (results depend on it)")
	f.StringVar(&o.config, "config", "", "EasyTPP experiment YAML: model NAME uses block NAME_train (or the block whose model_id is NAME)")
	f.IntVar(&o.horizon, "horizon", 20, "events per long-horizon forecast (OTD)")
	f.IntVar(&o.maxCases, "max-cases", 100, "long-horizon cases per test split (0 or -1 = every sequence)")
	f.StringVar(&dataOrigin, "origin", "", originHelp)
	f.IntVar(&o.maxPredictSeqs, "max-predict-seqs", 0, "one-step prediction and KS on the first N test sequences only (0 = all; for slow predictors)")
	f.BoolVar(&o.retryFailed, "retry-failed", false, "recompute cells that failed in an earlier run")
	f.BoolVar(&o.quiet, "quiet", false, "no progress display")
	f.BoolVar(&o.speed, "speed", false, "print a throughput table (training and prediction events/s, peak memory) instead")
	f.IntVar(&o.steps, "steps", 20, "--speed: training batches timed per neural model")
	f.IntVar(&o.predictEvents, "predict-events", 1000, "--speed: test events predicted per model")
	rootCmd.AddCommand(benchCmd)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runBench(cmd *cobra.Command, _ []string) error {
	o := &benchOpts
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	finished := make(chan struct{})
	defer close(finished) // runs before stop
	go func() {
		// After the first Ctrl-C the run stops at the next epoch or cell;
		// a second one quits at once (finished cells are kept either way).
		select {
		case <-finished:
		case <-ctx.Done():
			select {
			case <-finished: // the command returned; stop() cancelled ctx
				return
			default:
			}
			stop()
			if !o.quiet {
				fmt.Fprintln(cmd.ErrOrStderr(), "\ninterrupted: stopping after the current step (Ctrl-C again to quit now)")
			}
		}
	}()
	var progress = cmd.ErrOrStderr()
	if o.quiet {
		progress = nil
	}
	w := cmd.OutOrStdout()
	if o.speed {
		data := splitList(o.data)
		if len(data) > 1 {
			return fmt.Errorf("bench --speed: give at most one --data directory")
		}
		so := bench.SpeedOptions{Models: splitList(o.models), Steps: o.steps, BatchSize: o.batchSize,
			Workers: o.workers, PredictEvents: o.predictEvents, Seed: o.baseSeed, Progress: progress}
		if len(data) == 1 {
			so.Data = data[0]
		}
		res, err := bench.Speed(ctx, so)
		if err != nil {
			return err
		}
		t := res.Table()
		fmt.Fprint(w, t.Markdown())
		if o.out != "" {
			if err := res.Write(o.out); err != nil {
				return err
			}
			fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(o.out, "speed.json"), filepath.Join(o.out, "speed.md"))
		}
		return nil
	}
	if o.out == "" || o.data == "" {
		return fmt.Errorf("bench: --data and --out are required (or use --speed)")
	}
	maxCases := o.maxCases
	if maxCases == 0 {
		maxCases = -1 // 0 would mean the default; the flag's 0 means "every sequence" as -1 does
	}
	origin, err := data.ParseOrigin(dataOrigin)
	if err != nil {
		return fmt.Errorf("--origin: %w", err)
	}
	bo := bench.Options{
		Models: splitList(o.models), Data: splitList(o.data), Seeds: o.seeds, BaseSeed: o.baseSeed, Out: o.out,
		Epochs: o.epochs, BatchSize: o.batchSize, LR: o.lr, Patience: o.patience, Workers: o.workers,
		Config: o.config, Horizon: o.horizon, MaxCases: maxCases, MaxPredictSeqs: o.maxPredictSeqs, Origin: origin, RetryFailed: o.retryFailed, Progress: progress,
	}
	out, err := bench.Run(ctx, bo)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d cells computed, %d skipped (done earlier), %d failed\n", len(out.Computed), len(out.Skipped), len(out.Failed))
	for _, f := range out.Failed {
		fmt.Fprintln(w, "  failed:", f)
	}
	for _, name := range []string{bench.ResultsMD, bench.ResultsJSON, bench.ResultsCSV, bench.ReportHTML} {
		fmt.Fprintf(w, "wrote %s\n", filepath.Join(o.out, name))
	}
	fmt.Fprintf(w, "figures in %s\n", filepath.Join(o.out, bench.FiguresDir))
	return nil
}
