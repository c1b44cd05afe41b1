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
	"github.com/gotpp/gotpp/plots"
	"github.com/gotpp/gotpp/runs"
	"github.com/gotpp/gotpp/sampler"
)

// tpp demo: the first-contact command. Simulates a 3-type Hawkes data set,
// fits Poisson and Hawkes models, compares them with the truth and plots one
// test sequence's intensity; all through the library packages.

// demoParams are the demo's true parameters (the same process as the shared
// hawkes_synth data set).
var demoParams = hawkes.NewScalarParams(
	[]float64{0.2, 0.1, 0.15},
	[][]float64{{0.3, 0.1, 0}, {0.2, 0.2, 0.1}, {0, 0.2, 0.3}},
	1.5)

var demoOpts struct {
	out       string
	seed      uint64
	sequences int
	window    float64
}

var demoCmd = &cobra.Command{
	Use:   "demo",
	Short: "Simulate a 3-type Hawkes data set, fit Poisson and Hawkes, compare with the truth, plot",
	Long: `A self-contained tour that needs no data: simulate a 3-type Hawkes process
(built-in parameters) on [0, 100], fit a homogeneous Poisson process and a
Hawkes process (decay learned) on the train split, print the true and fitted
parameters and the test log-likelihood per event of the truth and both fits,
and draw the true and fitted total intensity of one test sequence.

Writes OUT/data (the data set), OUT/runs/{poisson,hawkes} (run directories
that 'tpp eval --run' reads) and OUT/intensity.png.`,
	Args: cobra.NoArgs,
	RunE: runDemo,
}

func init() {
	f := demoCmd.Flags()
	f.StringVar(&demoOpts.out, "out", "demo-out", "output directory")
	f.Uint64Var(&demoOpts.seed, "seed", 1, "random seed of the simulation")
	f.IntVar(&demoOpts.sequences, "sequences", 500, "number of simulated sequences (70% train, 10% dev, 20% test)")
	f.Float64Var(&demoOpts.window, "window", 100, "observation window length")
	rootCmd.AddCommand(demoCmd)
}

func runDemo(cmd *cobra.Command, _ []string) error {
	o := &demoOpts
	w := cmd.OutOrStdout()
	t0 := time.Now()
	truth := hawkes.MustNew(demoParams)
	k := truth.NumTypes()
	conv := likelihood.Full

	// 1. Simulate and write the data set.
	fr := [3]float64{0.7, 0.1, 0.2}
	splits, err := sampler.HawkesDataset(truth, sampler.DatasetOptions{Name: "demo", Sequences: o.sequences, Start: 0, End: o.window, Seed: o.seed, Split: fr})
	if err != nil {
		return err
	}
	if splits["train"] == nil || splits["test"] == nil {
		return fmt.Errorf("--sequences %d is too few for a train and a test split", o.sequences)
	}
	trueJSON, err := simJSONObject(demoParams)
	if err != nil {
		return err
	}
	trueJSON["K"], trueJSON["window"], trueJSON["spectral_radius_alpha"] = k, []float64{0, o.window}, truth.SpectralRadius()
	dataDir := filepath.Join(o.out, "data")
	if _, err := writeSimulatedDir(dataDir, simulatedSet{
		name: "demo", model: hawkes.Name, seed: o.seed, window: o.window, split: fr, trueParams: trueJSON,
		generator: "gotpp tpp demo: Ogata thinning with the exact exponential-kernel bound (package sampler)",
		splits:    splits, scorer: truth, conv: conv,
	}); err != nil {
		return err
	}
	train, test := splits["train"], splits["test"]

	// 2. Fit.
	ts := time.Now()
	pm, err := poisson.Fit(train, conv)
	if err != nil {
		return err
	}
	pSecs := time.Since(ts).Seconds()
	hm, hres, err := hawkes.Fit(train, hawkes.FitOptions{ScalarBeta: true, Convention: conv})
	if err != nil {
		return err
	}
	for _, r := range []struct {
		name  string
		saver interface{ SaveParams(string) error }
		res   map[string]any
	}{
		{poisson.Name, pm, map[string]any{"fit_seconds": pSecs}},
		{hawkes.Name, hm, map[string]any{"fit_seconds": hres.Seconds, "iterations": hres.Iterations, "spectral_radius": hres.SpectralRadius, "status": hres.Status}},
	} {
		dir := filepath.Join(o.out, "runs", r.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := r.saver.SaveParams(dir); err != nil {
			return err
		}
		abs, _ := filepath.Abs(dataDir)
		if err := runs.WriteInfo(dir, &runs.Info{Model: r.name, Data: abs, NumTypes: k, Seed: int64(o.seed),
			Created: time.Now().UTC().Format(time.RFC3339), Command: os.Args,
			Options: map[string]any{"convention": conv.String(), "beta": "scalar"}, Results: r.res}); err != nil {
			return err
		}
	}

	// 3. Score the test split.
	ll := map[string]likelihood.Parts{}
	for name, m := range map[string]any{"true": truth, "hawkes": hm, "poisson": pm} {
		p, err := likelihood.Evaluate(m, test, conv)
		if err != nil {
			return err
		}
		ll[name] = p
	}

	// 4. Plot the first test sequence.
	seq := &test.Seqs[0]
	grid := plots.EventGrid(seq.Start, seq.End, seq.Times, 1500)
	total := func(rows [][]float64) []float64 {
		out := make([]float64, len(grid))
		for _, r := range rows {
			for i, v := range r {
				out[i] += v
			}
		}
		return out
	}
	pois := make([]float64, len(grid))
	for i := range pois {
		pois[i] = pm.TotalRate()
	}
	png := filepath.Join(o.out, "intensity.png")
	fig := &plots.IntensityFigure{
		Title: fmt.Sprintf("Total intensity, test sequence %s (%d events)", seq.ID, len(seq.Times)),
		Series: []plots.Series{
			{Label: "Hawkes fit", X: grid, Y: total(hm.IntensityOnGrid(seq, grid))},
			{Label: "true", X: grid, Y: total(truth.IntensityOnGrid(seq, grid)), Dashed: true},
			{Label: "Poisson fit", X: grid, Y: pois},
		},
		Seq: seq, NumTypes: k,
	}
	if err := fig.Save(png); err != nil {
		return err
	}

	printDemo(w, demoReport{
		k: k, seed: o.seed, window: o.window, splits: splits, truth: truth, fit: hm, res: hres, pois: pm, pSecs: pSecs, ll: ll,
	})
	fmt.Fprintf(w, "\nfiles (%.1fs in all):\n", time.Since(t0).Seconds())
	fmt.Fprintf(w, "  %-22s data set (train/dev/test.jsonl, meta.json with the true parameters)\n", dataDir)
	fmt.Fprintf(w, "  %-22s run directories (params.json, run.json)\n", filepath.Join(o.out, "runs", "{poisson,hawkes}"))
	fmt.Fprintf(w, "  %-22s true vs fitted total intensity of test sequence %s, events as ticks\n", png, seq.ID)
	fmt.Fprintf(w, "next: tpp eval --run %s --data %s --split test\n", filepath.Join(o.out, "runs", "hawkes"), dataDir)
	return nil
}

type demoReport struct {
	k      int
	seed   uint64
	window float64
	splits map[string]*data.Dataset
	truth  *hawkes.Model
	fit    *hawkes.Model
	res    *hawkes.FitResult
	pois   *poisson.Model
	pSecs  float64
	ll     map[string]likelihood.Parts
}

func printDemo(w io.Writer, r demoReport) {
	tr := r.splits["train"]
	fmt.Fprintf(w, "Simulated a %d-type Hawkes process on [0, %g] (seed %d): ", r.k, r.window, r.seed)
	for i, s := range data.Splits {
		if ds, ok := r.splits[s]; ok {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "%s %d sequences / %d events", s, len(ds.Seqs), ds.NumEvents())
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Fitted on train (%d events): Poisson in %.3fs, Hawkes (β learned) in %.3fs, %d L-BFGS iterations (%s)\n\n",
		tr.NumEvents(), r.pSecs, r.res.Seconds, r.res.Iterations, r.res.Status)
	tp, fp := r.truth.Params(), r.fit.Params()
	fmt.Fprintf(w, "%-18s %10s %12s %12s\n", "parameter", "true", "Hawkes fit", "Poisson fit")
	for i := 0; i < r.k; i++ {
		fmt.Fprintf(w, "%-18s %10.4f %12.4f %12s\n", fmt.Sprintf("mu[%d]", i), tp.Mu[i], fp.Mu[i], "")
	}
	for i := 0; i < r.k; i++ {
		for j := 0; j < r.k; j++ {
			fmt.Fprintf(w, "%-18s %10.4f %12.4f %12s\n", fmt.Sprintf("alpha[%d][%d]", i, j), tp.Alpha[i][j], fp.Alpha[i][j], "")
		}
	}
	fmt.Fprintf(w, "%-18s %10.4f %12.4f %12s\n", "beta", tp.Beta[0][0], fp.Beta[0][0], "")
	fmt.Fprintf(w, "%-18s %10.4f %12.4f %12s\n", "spectral radius", r.truth.SpectralRadius(), r.res.SpectralRadius, "")
	ts, _ := r.truth.StationaryRates()
	fs, _ := r.fit.StationaryRates()
	for i := 0; i < r.k; i++ {
		fv := "n/a"
		if fs != nil {
			fv = fmt.Sprintf("%.4f", fs[i])
		}
		fmt.Fprintf(w, "%-18s %10.4f %12s %12.4f\n", fmt.Sprintf("long-run rate[%d]", i), ts[i], fv, r.pois.Rate[i])
	}
	test := r.ll["true"]
	fmt.Fprintf(w, "\ntest log-likelihood per event (%d sequences, %d events, full window):\n", test.NumSeqs, test.NumEvents)
	fmt.Fprintf(w, "  %-16s %9s %9s %9s\n", "", "total", "time", "mark")
	for _, n := range []struct{ key, label string }{{"true", "true parameters"}, {"hawkes", "Hawkes fit"}, {"poisson", "Poisson fit"}} {
		p := r.ll[n.key]
		ne := float64(p.NumEvents)
		fmt.Fprintf(w, "  %-16s %9.4f %9.4f %9.4f\n", n.label, p.PerEvent(), p.TimeLL/ne, p.MarkLL/ne)
	}
	for _, warn := range r.res.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}
