// Package metrics holds gotpp's evaluation metrics for temporal point
// process predictions and a registry that names them, so that commands and
// benchmarks can compute any set of metrics by name.
//
// The metrics fall in four groups:
//
//   - next-event time: RMSE and MAE of predicted against true inter-event
//     times (micro-averaged over events, raw time units, as EasyTPP does);
//   - next-event mark: accuracy, error rate, macro-F1 (averaged over the
//     classes present in the truth or the predictions) and top-k accuracy
//     (from per-event probability vectors);
//   - long horizon: the optimal-transport distance (OTD) of Mei, Qin and
//     Eisner (2019) between two event sequences, solved exactly per mark type
//     by dynamic programming, and T-mAP of the HoTPP benchmark (Karpukhin et
//     al. 2024), a detection-style mean average precision with a time
//     tolerance;
//   - calibration: the Kolmogorov-Smirnov statistic (with its asymptotic
//     p-value) of time-rescaled gaps against Exp(1), and QQ-plot data.
//
// Every metric is also a plain function (RMSE, OTD, TMAP, KSExp1, ...). The
// registry (Register, Get, Names, Evaluate) wraps them behind one Input
// struct; a new metric is added with one Register call.
//
// Everything here is hand-written: gonum's stat package has no one-sample
// Kolmogorov-Smirnov test against a given distribution, no optimal
// transport between event sequences and no detection-style AP; the
// assignment problem inside T-mAP is small (a few dozen events) and is solved
// exactly by successive shortest augmenting paths.
package metrics
