package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/model/hawkes"
	"github.com/gotpp/gotpp/model/poisson"
	"github.com/gotpp/gotpp/sampler"
)

// tpp simulate: exact simulation of a Poisson or Hawkes data set (package
// sampler), written with package data.

var simOpts struct {
	model      string
	params     string
	k          int
	mu, alpha  string
	beta       string
	sequences  int
	window     float64
	seed       uint64
	out        string
	split      string
	maxEvents  int
	name       string
	convention string
}

var simulateCmd = &cobra.Command{
	Use:   "simulate --model hawkes|poisson (--params FILE | --mu ...) --out DIR",
	Short: "Simulate a Poisson or Hawkes data set (train/dev/test + meta.json)",
	Long: `Simulate --sequences independent sequences on the window [0, --window] and
write DIR/{train,dev,test}.jsonl (every sequence with its start/end window) and
DIR/meta.json (num_types, true_params, generator, seed, the true-parameter
log-likelihood of each split, stats). Sequence i is drawn from its own PCG
stream (seed, i), so a seed always gives the same data, and the first
sequences go to train, then dev, then test.

Parameters come from --params FILE (a Hawkes {"mu","alpha","beta"} or Poisson
{"rate"} file, or a meta.json whose true_params holds one) or from flags:
  --mu 0.2,0.1,0.15                      base rates (Poisson: the rates)
  --alpha "0.3,0.1,0;0.2,0.2,0.1;0,0.2,0.3"   rows separated by ';' (or K*K values)
  --beta 1.5                             one decay, or a K×K matrix like --alpha
Hawkes simulation is Ogata thinning with the exact bound of exponential
kernels; Poisson simulation draws exponential gaps directly.`,
	Args: cobra.NoArgs,
	RunE: runSimulate,
}

func init() {
	f := simulateCmd.Flags()
	f.StringVar(&simOpts.model, "model", "hawkes", "process to simulate: hawkes or poisson")
	f.StringVar(&simOpts.params, "params", "", "parameter file (JSON; or a meta.json with true_params)")
	f.IntVar(&simOpts.k, "k", 0, "number of event types (checked against --mu)")
	f.StringVar(&simOpts.mu, "mu", "", "comma-separated base rates (Poisson: rates)")
	f.StringVar(&simOpts.alpha, "alpha", "", "Hawkes branching matrix: rows separated by ';', entries by ','")
	f.StringVar(&simOpts.beta, "beta", "1", "Hawkes decay: a number or a K×K matrix")
	f.IntVar(&simOpts.sequences, "sequences", 1000, "number of sequences over all splits")
	f.Float64Var(&simOpts.window, "window", 100, "observation window length T: every sequence covers [0, T]")
	f.Uint64Var(&simOpts.seed, "seed", 1, "random seed")
	f.StringVar(&simOpts.out, "out", "", "output directory (required)")
	f.StringVar(&simOpts.split, "split", "0.7,0.1,0.2", "train,dev,test fractions of the sequences")
	f.IntVar(&simOpts.maxEvents, "max-events", 1_000_000, "cap on events per sequence (an explosive process stops with an error)")
	f.StringVar(&simOpts.name, "name", "", "data set name in meta.json (default: the output directory's name)")
	f.StringVar(&simOpts.convention, "convention", "full", "convention of the true log-likelihoods stored in meta.json: full or easytpp")
	_ = simulateCmd.MarkFlagRequired("out")
	rootCmd.AddCommand(simulateCmd)
}

func runSimulate(cmd *cobra.Command, _ []string) error {
	o := &simOpts
	fr, err := simParseFractions("--split", o.split)
	if err != nil {
		return err
	}
	conv, err := likelihood.ParseConvention(o.convention)
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		name = filepath.Base(filepath.Clean(o.out))
	}
	dopt := sampler.DatasetOptions{Name: name, Sequences: o.sequences, Start: 0, End: o.window, Seed: o.seed, Split: fr, MaxEvents: o.maxEvents}
	var (
		splits    map[string]*data.Dataset
		scorer    likelihood.SequenceScorer
		trueJSON  map[string]any
		k         int
		generator string
	)
	switch o.model {
	case "hawkes":
		p, err := simHawkesParams()
		if err != nil {
			return err
		}
		m, err := hawkes.New(p)
		if err != nil {
			return err
		}
		if r := m.SpectralRadius(); !(r < 1) {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: spectral radius of alpha is %.4f ≥ 1: the process is explosive; sequences may hit --max-events\n", r)
		}
		if splits, err = sampler.HawkesDataset(m, dopt); err != nil {
			return err
		}
		scorer, k = m, m.NumTypes()
		if trueJSON, err = simJSONObject(p); err != nil {
			return err
		}
		trueJSON["spectral_radius_alpha"] = m.SpectralRadius()
		trueJSON["kernel"] = "lambda_i(t) = mu_i + sum_{t_j < t} alpha[i][k_j] * beta[i][k_j] * exp(-beta[i][k_j] * (t - t_j)); alpha[i][j] = expected type-i children of a type-j event"
		generator = "gotpp tpp simulate: Ogata thinning with the exact exponential-kernel bound (package sampler), empty history at t=0"
	case "poisson":
		m, err := simPoissonParams()
		if err != nil {
			return err
		}
		if splits, err = sampler.PoissonDataset(m.Rate, dopt); err != nil {
			return err
		}
		scorer, k = m, m.NumTypes()
		trueJSON = map[string]any{"rate": m.Rate}
		generator = "gotpp tpp simulate: homogeneous Poisson, exponential gaps at the total rate, types in proportion to the rates (package sampler)"
	default:
		return fmt.Errorf("--model %q: simulate knows hawkes and poisson", o.model)
	}
	trueJSON["K"] = k
	trueJSON["window"] = []float64{0, o.window}

	sum, err := writeSimulatedDir(o.out, simulatedSet{
		name: name, model: o.model, generator: generator, seed: o.seed, window: o.window,
		split: fr, trueParams: trueJSON, splits: splits, scorer: scorer, conv: conv,
	})
	if err != nil {
		return err
	}
	nseq, nev, llSums := sum.nseq, sum.nev, sum.llSums
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "simulated %s (K=%d, window [0, %g], seed %d) into %s\n", o.model, k, o.window, o.seed, o.out)
	for _, split := range data.Splits {
		if ds, ok := splits[split]; ok {
			fmt.Fprintf(w, "  %-5s %6d sequences %8d events  true LL/event (%s) %.4f\n", split, nseq[split], nev[split], conv, llSums[split]/float64(max(ds.NumEvents(), 1)))
		}
	}
	return nil
}

// simJSONObject turns v's JSON form into a map so that keys can be added.
func simJSONObject(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func simHawkesParams() (hawkes.Params, error) {
	o := &simOpts
	if o.params != "" {
		if o.mu != "" || o.alpha != "" {
			return hawkes.Params{}, fmt.Errorf("give either --params or --mu/--alpha/--beta, not both")
		}
		p, err := hawkes.ReadParams(o.params)
		if err != nil {
			return p, err
		}
		if o.k != 0 && o.k != p.K() {
			return p, fmt.Errorf("--k %d but %s has %d types", o.k, o.params, p.K())
		}
		return p, nil
	}
	if o.mu == "" || o.alpha == "" {
		return hawkes.Params{}, fmt.Errorf("hawkes: give --params FILE, or --mu and --alpha (and --beta)")
	}
	mu, err := simParseFloats("--mu", o.mu)
	if err != nil {
		return hawkes.Params{}, err
	}
	k := len(mu)
	if o.k != 0 && o.k != k {
		return hawkes.Params{}, fmt.Errorf("--k %d but --mu has %d values", o.k, k)
	}
	alpha, err := simParseMatrix("--alpha", o.alpha, k)
	if err != nil {
		return hawkes.Params{}, err
	}
	var p hawkes.Params
	if strings.ContainsAny(o.beta, ",;") {
		beta, err := simParseMatrix("--beta", o.beta, k)
		if err != nil {
			return p, err
		}
		p = hawkes.NewMatrixParams(mu, alpha, beta)
	} else {
		b, err := strconv.ParseFloat(strings.TrimSpace(o.beta), 64)
		if err != nil {
			return p, fmt.Errorf("--beta %q: not a number", o.beta)
		}
		p = hawkes.NewScalarParams(mu, alpha, b)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("parameters from flags: %w", err)
	}
	return p, nil
}

func simPoissonParams() (*poisson.Model, error) {
	o := &simOpts
	if o.params != "" {
		if o.mu != "" {
			return nil, fmt.Errorf("give either --params or --mu, not both")
		}
		m, err := poisson.ReadParams(o.params)
		if err != nil {
			return nil, err
		}
		if o.k != 0 && o.k != m.NumTypes() {
			return nil, fmt.Errorf("--k %d but %s has %d types", o.k, o.params, m.NumTypes())
		}
		return m, nil
	}
	if o.mu == "" {
		return nil, fmt.Errorf("poisson: give --params FILE or --mu RATES")
	}
	if o.alpha != "" {
		return nil, fmt.Errorf("--alpha is a Hawkes parameter; a Poisson process has only --mu (rates)")
	}
	rates, err := simParseFloats("--mu", o.mu)
	if err != nil {
		return nil, err
	}
	if o.k != 0 && o.k != len(rates) {
		return nil, fmt.Errorf("--k %d but --mu has %d values", o.k, len(rates))
	}
	m, err := poisson.New(rates)
	if err != nil {
		return nil, fmt.Errorf("--mu: %w", err)
	}
	return m, nil
}

func simParseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for i, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%s %q: value %d (%q) is not a number", flag, s, i, strings.TrimSpace(p))
		}
		out = append(out, v)
	}
	return out, nil
}

// simParseMatrix reads a K×K matrix given as ';'-separated rows of
// ','-separated values, or as K*K comma-separated values (row-major).
func simParseMatrix(flag, s string, k int) ([][]float64, error) {
	var rows []string
	if strings.Contains(s, ";") {
		rows = strings.Split(strings.Trim(strings.TrimSpace(s), ";"), ";")
	} else {
		vals, err := simParseFloats(flag, s)
		if err != nil {
			return nil, err
		}
		if len(vals) != k*k {
			return nil, fmt.Errorf("%s: %d values, want %d (K×K with K=%d from --mu; separate rows with ';')", flag, len(vals), k*k, k)
		}
		out := make([][]float64, k)
		for i := range out {
			out[i] = vals[i*k : (i+1)*k]
		}
		return out, nil
	}
	if len(rows) != k {
		return nil, fmt.Errorf("%s: %d rows, want %d (K from --mu)", flag, len(rows), k)
	}
	out := make([][]float64, k)
	for i, r := range rows {
		v, err := simParseFloats(fmt.Sprintf("%s row %d", flag, i), r)
		if err != nil {
			return nil, err
		}
		if len(v) != k {
			return nil, fmt.Errorf("%s row %d: %d values, want %d", flag, i, len(v), k)
		}
		out[i] = v
	}
	return out, nil
}

// simParseFractions reads "a,b,c" train/dev/test fractions.
func simParseFractions(flag, s string) ([3]float64, error) {
	var out [3]float64
	v, err := simParseFloats(flag, s)
	if err != nil {
		return out, err
	}
	if len(v) != 3 {
		return out, fmt.Errorf("%s %q: want three comma-separated fractions train,dev,test", flag, s)
	}
	copy(out[:], v)
	if _, err := sampler.SplitCounts(1, out); err != nil {
		return out, fmt.Errorf("%s %q: %w", flag, s, err)
	}
	return out, nil
}

// simulatedSet is a simulated data set and what its meta.json records.
type simulatedSet struct {
	name, model, generator string
	seed                   uint64
	window                 float64
	split                  [3]float64
	trueParams             map[string]any
	splits                 map[string]*data.Dataset
	scorer                 likelihood.SequenceScorer
	conv                   likelihood.Convention
}

type simulatedSummary struct {
	nseq, nev map[string]int
	llSums    map[string]float64
}

// writeSimulatedDir writes the splits as JSONL and a meta.json with the true
// parameters, the generator, the seed, the true-parameter log-likelihood of
// each split and counts (through package data, atomically).
func writeSimulatedDir(dir string, s simulatedSet) (*simulatedSummary, error) {
	k := 0
	sum := &simulatedSummary{nseq: map[string]int{}, nev: map[string]int{}, llSums: map[string]float64{}}
	for split, ds := range s.splits {
		p, err := likelihood.Evaluate(s.scorer, ds, s.conv)
		if err != nil {
			return nil, err
		}
		sum.llSums[split] = p.LogLik
		sum.nseq[split] = len(ds.Seqs)
		sum.nev[split] = ds.NumEvents()
		k = max(k, ds.NumTypes)
	}
	meta := &data.Meta{Name: s.name, NumTypes: k}
	for key, v := range map[string]any{
		"source":             "simulated with gotpp (tpp simulate)",
		"model":              s.model,
		"generator":          s.generator,
		"seed":               s.seed,
		"true_params":        s.trueParams,
		"observation_window": []float64{0, s.window},
		"split_fractions":    s.split,
		"true_loglik_sum":    sum.llSums,
		"loglik_convention":  s.conv.String(),
		"stats":              map[string]any{"num_sequences": sum.nseq, "num_events": sum.nev},
		"format":             data.FormatNote(data.JSONL, false),
	} {
		if err := meta.SetExtra(key, v); err != nil {
			return nil, err
		}
	}
	if err := data.WriteDir(dir, data.JSONL, false, s.splits, meta); err != nil {
		return nil, fmt.Errorf("writing %s: %w", dir, err)
	}
	return sum, nil
}
