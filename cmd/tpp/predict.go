package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/evaluation"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/predict"
)

// Prediction metrics for `tpp eval`, and the `tpp predict` / `tpp generate`
// commands. All of them take the model the way `tpp eval` does (--run, or
// --model hawkes|poisson --params FILE).

var evalMetricOpts struct {
	metrics  string
	horizon  int
	samples  int
	maxCases int
	seed     uint64
	topk     int
}

func init() {
	f := evalCmd.Flags()
	f.StringVar(&evalMetricOpts.metrics, "metrics", "loglik", "comma-separated metrics or groups: loglik, onestep (rmse, mae, accuracy, error_rate, macro_f1, topk_accuracy), draw (rmse_draw, accuracy_draw: EasyTPP's single-draw predictor), ks (ks_statistic), horizon (otd, tmap), all")
	f.IntVar(&evalMetricOpts.horizon, "horizon", 20, "events per long-horizon forecast (otd, tmap)")
	f.IntVar(&evalMetricOpts.samples, "samples", 1, "sampled continuations per long-horizon case")
	f.IntVar(&evalMetricOpts.maxCases, "max-cases", 0, "at most this many long-horizon cases (0 = every sequence longer than --horizon)")
	f.Uint64Var(&evalMetricOpts.seed, "seed", 2019, "seed of sampled draws and continuations")
	f.IntVar(&evalMetricOpts.topk, "topk", 3, "k of top-k accuracy")
	evalHooks = append(evalHooks, evalMetricsHook)
}

func evalMetricsHook(cmd *cobra.Command, m any, ds *data.Dataset, out map[string]any) error {
	var names []string
	for _, n := range strings.Split(evalMetricOpts.metrics, ",") {
		if n = strings.TrimSpace(n); n != "" && n != "loglik" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	conv, err := likelihood.ParseConvention(evalOpts.convention)
	if err != nil {
		return err
	}
	res, err := evaluation.Run(m, ds, evaluation.Options{
		Metrics: names, Convention: conv, Horizon: evalMetricOpts.horizon, Samples: evalMetricOpts.samples,
		MaxCases: evalMetricOpts.maxCases, Seed: evalMetricOpts.seed, TopK: evalMetricOpts.topk,
	})
	if err != nil {
		return err
	}
	for k, v := range res.Values {
		if _, dup := out[k]; !dup {
			out[k] = v
		}
	}
	for k, v := range res.Seconds {
		out[k+"_seconds"] = v
	}
	return nil
}

var predictOpts struct {
	out  string
	topk int
	draw bool
	seed uint64
}

var predictCmd = &cobra.Command{
	Use:   "predict (--run RUNDIR | --model hawkes|poisson --params FILE) --data DIR --out preds.jsonl",
	Short: "Predict the next event at every event of a split",
	Long: `For every event of the split, predict it from its history: the mean and median
of the waiting time (E[Δt] = ∫S, by adaptive Gauss–Kronrod quadrature, not
sampling), the most probable mark and the top-k marks with their
probabilities, next to the true event. --draw adds EasyTPP's single-random-draw
prediction for like-for-like comparison. One JSON object per line.`,
	Args: cobra.NoArgs,
	RunE: runPredict,
}

func init() {
	f := predictCmd.Flags()
	f.StringVar(&evalOpts.run, "run", "", "run directory written by tpp train")
	f.StringVar(&evalOpts.model, "model", "", "classical model given by --params: hawkes or poisson")
	f.StringVar(&evalOpts.params, "params", "", "parameter file of --model")
	f.StringVar(&evalOpts.data, "data", "", "data-set directory or data file (required)")
	f.StringVar(&evalOpts.split, "split", "test", "split: train, dev or test")
	f.StringVar(&evalOpts.convention, "convention", "full", "full: predict every event; easytpp: the first event of each sequence is history only")
	f.StringVar(&predictOpts.out, "out", "", "output JSON Lines file (required; .csv writes CSV)")
	f.IntVar(&predictOpts.topk, "topk", 3, "number of top marks to report")
	f.BoolVar(&predictOpts.draw, "draw", false, "add EasyTPP's single-draw prediction")
	f.Uint64Var(&predictOpts.seed, "seed", 2019, "seed of the draws")
	f.StringVar(&dataOrigin, "origin", "", originHelp)
	_ = predictCmd.MarkFlagRequired("data")
	_ = predictCmd.MarkFlagRequired("out")
	rootCmd.AddCommand(predictCmd)
}

func loadPredictModel() (predict.Model, *data.Dataset, likelihood.Convention, error) {
	conv, err := likelihood.ParseConvention(evalOpts.convention)
	if err != nil {
		return nil, nil, conv, err
	}
	m, _, source, err := loadEvalModel()
	if err != nil {
		return nil, nil, conv, err
	}
	pm, ok := m.(predict.Model)
	if !ok {
		return nil, nil, conv, fmt.Errorf("model from %s cannot predict", source)
	}
	ds, err := loadSplit(evalOpts.data, evalOpts.split)
	if err != nil {
		return nil, nil, conv, err
	}
	if ds.NumTypes > pm.NumTypes() {
		return nil, nil, conv, fmt.Errorf("%s: data has %d event types but the model has %d", evalOpts.data, ds.NumTypes, pm.NumTypes())
	}
	return pm, ds, conv, nil
}

func runPredict(cmd *cobra.Command, _ []string) error {
	pm, ds, conv, err := loadPredictModel()
	if err != nil {
		return err
	}
	start, cpu0 := time.Now(), cpuSeconds()
	rows, err := predict.Dataset(pm, ds, predict.Options{Convention: conv, TopK: predictOpts.topk, Draw: predictOpts.draw, Seed: predictOpts.seed})
	if err != nil {
		return err
	}
	pass, passCPU := time.Since(start).Seconds(), cpuSeconds()-cpu0
	evals := 0
	for i := range rows {
		evals += rows[i].Evals
	}
	if strings.HasSuffix(predictOpts.out, ".csv") {
		err = predict.WriteCSVFile(predictOpts.out, rows)
	} else {
		err = atomicfile.Write(predictOpts.out, func(w io.Writer) error {
			bw := bufio.NewWriter(w)
			enc := json.NewEncoder(bw)
			for i := range rows {
				if err := enc.Encode(&rows[i]); err != nil {
					return err
				}
			}
			return bw.Flush()
		})
	}
	if err != nil {
		return err
	}
	s, err := predict.Summarize(rows)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d predictions: RMSE %.4f (mean), %.4f (median); accuracy %.4f; top-%d accuracy %.4f",
		s.N, s.RMSEMean, s.RMSEMedian, s.Accuracy, s.TopK, s.TopKAccuracy)
	if s.HasDraw {
		fmt.Fprintf(cmd.OutOrStdout(), "; single draw RMSE %.4f accuracy %.4f", s.RMSEDraw, s.AccuracyDraw)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nprediction pass %.3f s, %.3f CPU s (%.0f events/s, %.1f intensity evaluations per event; loading and writing not included)\nwrote %s\n", pass, passCPU, float64(s.N)/pass, float64(evals)/float64(max(1, s.N)), predictOpts.out)
	return nil
}

var generateOpts struct {
	out              string
	horizon, samples int
	prefix           int
	seed             uint64
}

var generateCmd = &cobra.Command{
	Use:   "generate (--run RUNDIR | --model hawkes|poisson --params FILE) --data DIR --horizon N --samples M --out gen.jsonl",
	Short: "Continue every sequence of a split by N sampled events, M times",
	Long: `Continue a prefix of every sequence of the split by --horizon events, --samples
times, each event drawn exactly from the model (compensator inversion). The
prefix is the whole sequence by default, or its first --prefix events (a
negative --prefix leaves that many events out, e.g. -20 to forecast the last
20). Sequences are streamed: memory stays bounded whatever the data size.
Output: one JSON object per sequence and sample with the prefix length and the
generated times, types and mark probabilities.`,
	Args: cobra.NoArgs,
	RunE: runGenerate,
}

func init() {
	f := generateCmd.Flags()
	f.StringVar(&evalOpts.run, "run", "", "run directory written by tpp train")
	f.StringVar(&evalOpts.model, "model", "", "classical model given by --params: hawkes or poisson")
	f.StringVar(&evalOpts.params, "params", "", "parameter file of --model")
	f.StringVar(&evalOpts.data, "data", "", "data-set directory or data file (required)")
	f.StringVar(&evalOpts.split, "split", "test", "split: train, dev or test")
	f.StringVar(&generateOpts.out, "out", "", "output JSON Lines file (required)")
	f.IntVar(&generateOpts.horizon, "horizon", 20, "events to generate per continuation")
	f.IntVar(&generateOpts.samples, "samples", 1, "continuations per sequence")
	f.IntVar(&generateOpts.prefix, "prefix", 0, "prefix length (0 = whole sequence; negative = all but that many)")
	f.Uint64Var(&generateOpts.seed, "seed", 2019, "seed (sequence i uses the PCG stream (seed, i))")
	f.StringVar(&dataOrigin, "origin", "", originHelp)
	_ = generateCmd.MarkFlagRequired("data")
	_ = generateCmd.MarkFlagRequired("out")
	rootCmd.AddCommand(generateCmd)
}

type generatedRecord struct {
	Seq    int    `json:"seq"`
	SeqID  string `json:"seq_id,omitempty"`
	Sample int    `json:"sample"`
	Prefix int    `json:"prefix"`
	predict.Generated
}

func runGenerate(cmd *cobra.Command, _ []string) error {
	pm, ds, _, err := loadPredictModel()
	if err != nil {
		return err
	}
	o := generateOpts
	if o.horizon <= 0 || o.samples <= 0 {
		return fmt.Errorf("generate: --horizon and --samples must be positive")
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	total := 0
	err = atomicfile.Write(o.out, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		// Two workers over a sliding window of sequences; output in order.
		const window = 64
		for lo := 0; lo < len(ds.Seqs); lo += window {
			hi := min(lo+window, len(ds.Seqs))
			recs := make([][]generatedRecord, hi-lo)
			errs := make([]error, hi-lo)
			var wg sync.WaitGroup
			for wk := 0; wk < 2; wk++ {
				wg.Add(1)
				go func(wk int) {
					defer wg.Done()
					for i := lo + wk; i < hi; i += 2 {
						seq := &ds.Seqs[i]
						p := o.prefix
						if p == 0 || p > seq.Len() {
							p = seq.Len()
						} else if p < 0 {
							p = max(0, seq.Len()+p)
						}
						rng := rand.New(rand.NewPCG(o.seed, uint64(i)))
						gens, err := predict.Generate(pm, seq, p, o.horizon, o.samples, rng, predict.Options{})
						if err != nil {
							errs[i-lo] = err
							return
						}
						for s, g := range gens {
							recs[i-lo] = append(recs[i-lo], generatedRecord{Seq: i, SeqID: seq.ID, Sample: s, Prefix: p, Generated: g})
						}
					}
				}(wk)
			}
			wg.Wait()
			for j := range recs {
				if errs[j] != nil {
					return errs[j]
				}
				for r := range recs[j] {
					if err := enc.Encode(&recs[j][r]); err != nil {
						return err
					}
					total++
				}
			}
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %d continuations of %d sequences to %s\n", total, len(ds.Seqs), o.out)
	return nil
}
