package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/runs"
)

// tpp eval: scores a data split with a fitted model (a run directory, or a
// classical model's parameter file) through likelihood.Evaluate.

var evalOpts struct {
	run        string
	model      string
	params     string
	data       string
	split      string
	json       bool
	convention string
}

// evalHooks let other files of this command add results to `tpp eval`
// (prediction metrics, ...): each runs after the log-likelihood with the
// loaded model and data and may add keys to out, which is printed as the
// JSON object (--json) or as "key: value" lines.
var evalHooks []func(cmd *cobra.Command, model any, ds *data.Dataset, out map[string]any) error

var evalCmd = &cobra.Command{
	Use:   "eval (--run RUNDIR | --model hawkes|poisson --params FILE) --data DIR",
	Short: "Evaluate a fitted model's log-likelihood on a data split",
	Long: `Evaluate the log-likelihood of a data split (default test) under a fitted model:
a run directory written by 'tpp train' (--run), or a classical model given by
its parameter file (--model hawkes|poisson --params FILE; FILE may be a
data set's meta.json with true_params, to score the true parameters).

The log-likelihood is split into its time part (Σ log λ(t_i) − ∫λ) and mark
part (Σ log λ_k(t_i)/λ(t_i)). --convention full scores every event over the
window [start, end]; easytpp conditions on each sequence's first event and
integrates to the last event, as EasyTPP reports. --json prints one JSON
object with loglik, time_loglik, mark_loglik, num_events, num_sequences,
loglik_per_event, convention, split, model.`,
	Args: cobra.NoArgs,
	RunE: runEval,
}

func init() {
	f := evalCmd.Flags()
	f.StringVar(&evalOpts.run, "run", "", "run directory written by tpp train")
	f.StringVar(&evalOpts.model, "model", "", "classical model given by --params: hawkes or poisson")
	f.StringVar(&evalOpts.params, "params", "", "parameter file of --model (or a meta.json with true_params)")
	f.StringVar(&evalOpts.data, "data", "", "data-set directory or data file (required)")
	f.StringVar(&evalOpts.split, "split", "test", "split to evaluate: train, dev or test")
	f.BoolVar(&evalOpts.json, "json", false, "print one JSON object")
	f.StringVar(&evalOpts.convention, "convention", "full", "likelihood convention: full or easytpp")
	f.StringVar(&dataOrigin, "origin", "", originHelp)
	_ = evalCmd.MarkFlagRequired("data")
	rootCmd.AddCommand(evalCmd)
}

// loadEvalModel returns the model named by --run or --model/--params and a
// description of where it came from.
func loadEvalModel() (m any, name, source string, err error) {
	o := &evalOpts
	runOrigin = ""
	switch {
	case o.run != "" && (o.params != "" || o.model != ""):
		return nil, "", "", fmt.Errorf("give either --run or --model with --params, not both")
	case o.run != "":
		m, info, err := runs.Load(o.run)
		if err != nil {
			return nil, "", "", err
		}
		if s, ok := info.Options["origin"].(string); ok {
			runOrigin = s
		}
		return m, info.Model, o.run, nil
	case o.params != "":
		switch o.model {
		case hawkes.Name:
			p, err := hawkes.ReadParams(o.params)
			if err != nil {
				return nil, "", "", err
			}
			hm, err := hawkes.New(p)
			if err != nil {
				return nil, "", "", fmt.Errorf("%s: %w", o.params, err)
			}
			return hm, o.model, o.params, nil
		case poisson.Name:
			pm, err := poisson.ReadParams(o.params)
			if err != nil {
				return nil, "", "", err
			}
			return pm, o.model, o.params, nil
		case "":
			return nil, "", "", fmt.Errorf("--params needs --model hawkes or poisson")
		}
		return nil, "", "", fmt.Errorf("--model %q: --params works for hawkes and poisson; evaluate other models with --run", o.model)
	}
	return nil, "", "", fmt.Errorf("give --run RUNDIR, or --model hawkes|poisson with --params FILE")
}

func runEval(cmd *cobra.Command, _ []string) error {
	o := &evalOpts
	conv, err := likelihood.ParseConvention(o.convention)
	if err != nil {
		return err
	}
	m, name, source, err := loadEvalModel()
	if err != nil {
		return err
	}
	ds, err := loadSplit(o.data, o.split)
	if err != nil {
		return err
	}
	if km, ok := m.(interface{ NumTypes() int }); ok {
		k := km.NumTypes()
		if ds.NumTypes > k {
			return fmt.Errorf("%s: data has %d event types but the model (%s) has %d", o.data, ds.NumTypes, source, k)
		}
		for i := range ds.Seqs {
			if err := ds.Seqs[i].Validate(k); err != nil {
				return fmt.Errorf("%s split %s: sequence %d (id %q): %w (model has %d types)", o.data, o.split, i, ds.Seqs[i].ID, err, k)
			}
		}
	}
	start := time.Now()
	p, err := likelihood.Evaluate(m, ds, conv)
	if err != nil {
		return err
	}
	dataPath, _ := filepath.Abs(o.data)
	out := map[string]any{
		"model":            name,
		"source":           source,
		"data":             dataPath,
		"split":            o.split,
		"convention":       conv.String(),
		"loglik":           p.LogLik,
		"time_loglik":      p.TimeLL,
		"mark_loglik":      p.MarkLL,
		"num_events":       p.NumEvents,
		"num_sequences":    p.NumSeqs,
		"loglik_per_event": p.PerEvent(),
		"eval_seconds":     time.Since(start).Seconds(),
	}
	for _, h := range evalHooks {
		if err := h(cmd, m, ds, out); err != nil {
			return err
		}
	}
	if o.json {
		return writeEvalJSON(cmd.OutOrStdout(), out)
	}
	return writeEvalText(cmd.OutOrStdout(), out)
}

func writeEvalJSON(w io.Writer, out map[string]any) error {
	// NaN/Inf (e.g. a zero Poisson rate on an event of that type) are not
	// JSON numbers: write them as strings so that the object stays valid.
	clean := make(map[string]any, len(out))
	for k, v := range out {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			v = fmt.Sprint(f)
		}
		clean[k] = v
	}
	return json.NewEncoder(w).Encode(clean)
}

var evalTextOrder = []string{"model", "source", "data", "split", "convention", "num_sequences", "num_events", "loglik", "time_loglik", "mark_loglik", "loglik_per_event", "eval_seconds"}

func writeEvalText(w io.Writer, out map[string]any) error {
	seen := map[string]bool{}
	pr := func(k string) {
		v := out[k]
		if f, ok := v.(float64); ok {
			fmt.Fprintf(w, "%-18s %.6f\n", k+":", f)
		} else {
			fmt.Fprintf(w, "%-18s %v\n", k+":", v)
		}
		seen[k] = true
	}
	for _, k := range evalTextOrder {
		if _, ok := out[k]; ok {
			pr(k)
		}
	}
	var rest []string
	for k := range out {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		pr(k)
	}
	return nil
}
