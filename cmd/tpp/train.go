package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/runs"
)

// tpp train: fits a model on a data set's train split and writes a run
// directory. The classical models (poisson, hawkes) are fitted here; every
// other model name goes to trainNeural, which registers its own flags on
// trainCmd.

var trainOpts struct {
	model      string
	data       string
	out        string
	seed       int64
	beta       string
	l1, l2     float64
	maxIter    int
	convention string
}

var trainCmd = &cobra.Command{
	Use:   "train --model NAME --data DIR --out RUNDIR",
	Short: "Fit a model on DIR's train split and write a run directory",
	Long: `Fit a model on the train split of a data-set directory (or a single data file)
and write RUNDIR/params.json (the fitted parameters) and RUNDIR/run.json (the
options, fit time, iterations, train log-likelihood, and for Hawkes the
spectral radius of the branching matrix), both atomically.

Classical models:
  poisson   homogeneous rates, closed-form maximum likelihood
  hawkes    exponential kernels, maximum likelihood by L-BFGS with analytic
            gradients; --beta scalar learns one decay rate, --beta matrix a K×K
            matrix; --l1/--l2 penalise the branching matrix alpha (objective
            −LL/n + l1·Σα + l2·Σα², n = scored events)
The classical fits are deterministic; --seed is recorded in run.json.
--convention picks the likelihood that is maximised (full: every event, window
[start, end]; easytpp: first event is history, compensator to the last event).`,
	Args: cobra.NoArgs,
	RunE: runTrain,
}

func init() {
	f := trainCmd.Flags()
	f.StringVar(&trainOpts.model, "model", "", "model to train: poisson, hawkes, or a neural model (required)")
	f.StringVar(&trainOpts.data, "data", "", "data-set directory (its train split is used) or data file (required)")
	f.StringVar(&trainOpts.out, "out", "", "run directory to write (required)")
	f.Int64Var(&trainOpts.seed, "seed", 0, "random seed (recorded; classical fits are deterministic)")
	f.StringVar(&trainOpts.beta, "beta", "scalar", "hawkes: learn one decay rate (scalar) or a K×K matrix (matrix)")
	f.Float64Var(&trainOpts.l1, "l1", 0, "hawkes: L1 penalty on alpha (per event)")
	f.Float64Var(&trainOpts.l2, "l2", 0, "hawkes: L2 penalty on alpha (per event)")
	f.IntVar(&trainOpts.maxIter, "max-iter", 1000, "hawkes: maximum L-BFGS iterations")
	f.StringVar(&trainOpts.convention, "convention", "full", "likelihood convention to maximise: full or easytpp")
	f.StringVar(&dataOrigin, "origin", "", originHelp)
	_ = trainCmd.MarkFlagRequired("model")
	rootCmd.AddCommand(trainCmd)
}

func runTrain(cmd *cobra.Command, _ []string) error {
	o := &trainOpts
	switch o.model {
	case poisson.Name, hawkes.Name:
	default:
		return trainNeural(cmd, o.model)
	}
	if o.data == "" || o.out == "" {
		return fmt.Errorf("train: --data and --out are required")
	}
	conv, err := likelihood.ParseConvention(o.convention)
	if err != nil {
		return err
	}
	ds, err := loadSplit(o.data, "train")
	if err != nil {
		return err
	}
	opts := map[string]any{"convention": conv.String(), "origin": string(originOrZero())}
	results := map[string]any{}
	var saver interface{ SaveParams(dir string) error }
	var scorer likelihood.SequenceScorer
	var warnings []string
	start := time.Now()
	switch o.model {
	case poisson.Name:
		m, err := poisson.Fit(ds, conv)
		if err != nil {
			return err
		}
		saver, scorer = m, m
		results["fit_seconds"] = time.Since(start).Seconds()
		results["iterations"] = 0
		results["rate"] = m.Rate
	case hawkes.Name:
		var scalar bool
		switch o.beta {
		case "scalar":
			scalar = true
		case "matrix":
		default:
			return fmt.Errorf("--beta %q: want scalar or matrix", o.beta)
		}
		fo := hawkes.FitOptions{ScalarBeta: scalar, L1: o.l1, L2: o.l2, MaxIter: o.maxIter, Convention: conv}
		m, res, err := hawkes.Fit(ds, fo)
		if err != nil {
			return err
		}
		saver, scorer = m, m
		opts["beta"] = o.beta
		opts["l1"], opts["l2"], opts["max_iter"] = o.l1, o.l2, o.maxIter
		results["fit_seconds"] = res.Seconds
		results["iterations"] = res.Iterations
		results["func_evals"] = res.FuncEvals
		results["status"] = res.Status
		results["converged"] = res.Converged
		results["objective"] = res.Objective
		results["spectral_radius"] = res.SpectralRadius
		results["stationary"] = res.SpectralRadius < 1
		if len(res.Warnings) > 0 {
			results["warnings"] = res.Warnings
			warnings = res.Warnings
		}
	}
	tr, err := likelihood.Evaluate(scorer, ds, conv)
	if err != nil {
		return err
	}
	results["train_loglik"] = tr.LogLik
	results["train_num_events"] = tr.NumEvents
	results["train_loglik_per_event"] = tr.PerEvent()
	var dev *likelihood.Parts
	if _, ok, _ := data.SplitFile(o.data, "dev"); ok {
		if dds, err := loadSplit(o.data, "dev"); err == nil {
			if p, err := likelihood.Evaluate(scorer, dds, conv); err == nil {
				dev = &p
				results["dev_loglik"] = p.LogLik
				results["dev_num_events"] = p.NumEvents
				results["dev_loglik_per_event"] = p.PerEvent()
			}
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := saver.SaveParams(o.out); err != nil {
		return err
	}
	dataPath, _ := filepath.Abs(o.data)
	info := &runs.Info{
		Model:    o.model,
		Data:     dataPath,
		NumTypes: ds.NumTypes,
		Seed:     o.seed,
		Created:  time.Now().UTC().Format(time.RFC3339),
		Command:  os.Args,
		Options:  opts,
		Results:  results,
	}
	if err := runs.WriteInfo(o.out, info); err != nil {
		return err
	}
	printTrainSummary(cmd.OutOrStdout(), o.model, ds, results, tr, dev)
	for _, w := range warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s\n", filepath.Join(o.out, "params.json"), filepath.Join(o.out, runs.InfoFile))
	return nil
}

func printTrainSummary(w io.Writer, model string, ds *data.Dataset, res map[string]any, tr likelihood.Parts, dev *likelihood.Parts) {
	fmt.Fprintf(w, "%s fitted on %d sequences, %d scored events (K=%d) in %.3fs", model, len(ds.Seqs), tr.NumEvents, ds.NumTypes, res["fit_seconds"])
	if it, ok := res["iterations"].(int); ok && it > 0 {
		fmt.Fprintf(w, ", %d iterations (%s)", it, res["status"])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  train LL/event %.4f", tr.PerEvent())
	if dev != nil {
		fmt.Fprintf(w, "   dev LL/event %.4f", dev.PerEvent())
	}
	fmt.Fprintln(w)
	if r, ok := res["spectral_radius"].(float64); ok {
		fmt.Fprintf(w, "  spectral radius of alpha %.4f", r)
		if r >= 1 {
			fmt.Fprint(w, " (≥ 1: NOT stationary)")
		}
		fmt.Fprintln(w)
	}
}
