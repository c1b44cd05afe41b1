// Package bench is gotpp's benchmark runner: it trains and evaluates every
// model × data set × seed ("cell") of a benchmark, resumably, and writes the
// results as JSON, CSV, Markdown tables, PNG figures and a self-contained
// HTML report. A throughput mode (Speed) measures training and prediction
// speed per model for comparing machines and versions.
//
// # Cells
//
// A cell trains one model on a data set's train split and evaluates it on
// the test split:
//
//   - classical models (poisson, hawkes) are fitted by maximum likelihood
//     (poisson.Fit, hawkes.Fit with one learned decay rate) under the full
//     convention;
//   - neural models (every model registered with package model) are trained
//     with train.Run, keeping the parameters of the best dev epoch (the last
//     epoch when the data set has no dev split); their run directory
//     BENCHDIR/runs/<data>/<model>/seed<k> holds the per-epoch checkpoint, so
//     a killed cell resumes from its last completed epoch bit for bit.
//
// Evaluation (evaluation.Run) gives the log-likelihood under both
// conventions (full: every event, window [start, end]; easytpp: the first
// event is history, compensator to the last event) and, for models that
// predict (predict.Model), one-step prediction (RMSE, MAE, accuracy,
// macro-F1, ...), the KS statistic of the time-rescaled gaps and long-horizon
// OTD/T-mAP on at most Options.MaxCases sequences (Options.MaxPredictSeqs
// can also limit one-step prediction and the KS statistic to the first test
// sequences, for slow predictors). Prediction, calibration
// and horizon metrics use the easytpp convention (event 0 is history), as
// EasyTPP's evaluation does.
//
// Seed k (k = 0, 1, ...) of every cell is Options.BaseSeed + k: it seeds the
// model's initialisation, the batch order and the evaluation's sampled
// continuations, so a rerun gives bit-identical results. A finished cell is
// written to BENCHDIR/cells/<data>/<model>/seed<k>.json and skipped by later
// runs; the benchmark's settings are kept in BENCHDIR/settings.json and a
// rerun with different settings is refused rather than mixing results.
//
// # Timing and memory
//
// Everything that depends on the machine or the moment — seconds, events
// per second, memory — lives in a separate "timing" object of each cell and
// summary, so two results.json files can be compared exactly after dropping
// the timing objects; every other value is deterministic (keys sorted,
// floats in Go's shortest round-trip form, non-finite values as null).
//
// Peak memory is measured two ways, both process-wide (the runner and any
// other goroutine of the process count too): peak_rss_bytes is Linux's
// resident-set high-water mark (VmHWM in /proc/self/status), reset at the
// start of each cell by writing 5 to /proc/self/clear_refs after returning
// freed heap to the operating system, so it is the cell's peak RSS
// (peak_rss_reset says whether the reset worked; without it the value is
// the process's peak so far); peak_go_bytes is the largest Go runtime
// memory in use (runtime/metrics /memory/classes/total:bytes minus
// /memory/classes/heap/released:bytes) sampled every 10 ms during the cell.
//
// # Outputs
//
//	BENCHDIR/settings.json            the benchmark settings (checked on rerun)
//	BENCHDIR/cells/<data>/<model>/seed<k>.json
//	BENCHDIR/runs/<data>/<model>/seed<k>/   run directories (tpp eval --run reads them)
//	BENCHDIR/results.json             every cell and a mean ± std summary per data set × model
//	BENCHDIR/results.csv              one row per cell
//	BENCHDIR/results.md               one table per data set, best value per column in bold
//	BENCHDIR/figures/*.png            learning curves, intensities, QQ plots, throughput
//	BENCHDIR/report.html              all tables and figures in one self-contained file
//
// Every file is written atomically.
package bench
