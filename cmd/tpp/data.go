package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gotpp/gotpp/data"
)

// tpp data: stats, convert, validate, import. The logic lives in package data.

func init() {
	dataCmd := &cobra.Command{
		Use:   "data",
		Short: "Inspect, validate, convert and import event-sequence data",
		Long: `Data files: JSON Lines (.jsonl), CSV (.csv, sequence_id,time,type), EasyTPP
Hugging Face JSON (.json) and EasyTPP Gatech pickles (.pkl), each optionally
gzip-compressed (.gz). A data-set directory holds train/dev/test files of one
format plus an optional meta.json (num_types, type_names).`,
	}
	dataCmd.AddCommand(dataStatsCmd(), dataConvertCmd(), dataValidateCmd(), dataImportCmd())
	rootCmd.AddCommand(dataCmd)
}

func dataStatsCmd() *cobra.Command {
	var asJSON bool
	var split string
	cmd := &cobra.Command{
		Use:   "stats PATH",
		Short: "Print statistics of a data file or data-set directory",
		Long: `Print sequence, event, gap, tie and per-type statistics.

PATH is a file or a data-set directory. For a directory every split is
printed, then the totals over all splits; --split restricts to one split.
With --json one JSON object is printed: for a single split (a file, or
--split) the split's statistics; for a directory the totals as top-level keys
(num_sequences, num_events, num_types, ...) and each split under "splits".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			path := args[0]
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			if split != "" || !st.IsDir() {
				var ds *data.Dataset
				if st.IsDir() {
					ds, err = data.LoadSplit(path, split)
				} else {
					var all map[string]*data.Dataset
					all, err = data.LoadFile(path)
					if err == nil && len(all) > 1 && split == "" {
						return statsOut(out, asJSON, data.ComputeSplitStats(all))
					}
					if err == nil {
						ds, err = pickSplit(path, all, split)
					}
				}
				if err != nil {
					return err
				}
				s := data.ComputeStats(ds)
				if asJSON {
					return writeJSON(out, s)
				}
				title := path
				if split != "" {
					title += " (split " + split + ")"
				}
				return s.WriteText(out, title)
			}
			all, err := data.LoadDir(path)
			if err != nil {
				return err
			}
			return statsOut(out, asJSON, data.ComputeSplitStats(all))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of a table")
	cmd.Flags().StringVar(&split, "split", "", "only this split (train, dev, test)")
	return cmd
}

func pickSplit(path string, all map[string]*data.Dataset, split string) (*data.Dataset, error) {
	if split == "" && len(all) == 1 {
		for _, ds := range all {
			return ds, nil
		}
	}
	if ds, ok := all[split]; ok {
		return ds, nil
	}
	if len(all) == 1 {
		for _, ds := range all {
			return ds, nil
		}
	}
	return nil, fmt.Errorf("%s: no split %q (has %s)", path, split, strings.Join(data.SortedSplits(all), ", "))
}

func statsOut(w io.Writer, asJSON bool, s data.SplitStats) error {
	if asJSON {
		return writeJSON(w, s)
	}
	return s.WriteText(w)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dataConvertCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Convert a data file or data-set directory to another format",
		Long: `Convert IN to OUT. For files the formats come from the extensions
(.jsonl, .csv, .json, .pkl, each optionally .gz); a multi-split pickle converts
only to a .pkl or to a directory. For a directory every split is converted
into OUT (created) in --format, and a meta.json is written that keeps the
input's fields. Times are written in the shortest form that reads back to the
same float64, so conversions are lossless.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, gz, err := data.ParseFormat(format)
			if err != nil {
				return err
			}
			if err := data.Convert(args[0], args[1], f, gz); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "output format for a directory: jsonl, csv, json or pkl, optionally with .gz")
	return cmd
}

// maxShownProblems caps the problems printed by validate.
const maxShownProblems = 200

func dataValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate PATH",
		Short: "Check a data file or data-set directory; exit non-zero on any problem",
		Long: `Read every record of PATH (a file, or each split file and meta.json of a
directory) and print every problem with its file, line or record and field:
malformed JSON/CSV/pickle, decreasing or non-finite times, types out of range,
mismatched lengths, events outside the observation window, truncated gzip,
empty files. Tied event times are legal and only counted. Exits with a
non-zero status when there is any problem.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := data.ValidatePath(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for i, p := range rep.Problems {
				if i == maxShownProblems {
					fmt.Fprintf(out, "... and %d more problems\n", len(rep.Problems)-maxShownProblems)
					break
				}
				fmt.Fprintln(out, p.Error())
			}
			for _, f := range rep.Files {
				fmt.Fprintf(out, "%s: %d sequences, %d events, %d ties (legal), %d problems\n", f.File, f.NumSequences, f.NumEvents, f.Ties, f.Problems)
			}
			if n := len(rep.Problems); n > 0 {
				return fmt.Errorf("%d problem(s) in %s", n, args[0])
			}
			fmt.Fprintln(out, "ok")
			return nil
		},
	}
}

func dataImportCmd() *cobra.Command {
	var o data.ImportOptions
	var split string
	cmd := &cobra.Command{
		Use:   "import RAW.csv --seq COL --time COL --type COL --out DIR",
		Short: "Turn a raw event-log CSV into a train/dev/test data set",
		Long: `Read a CSV event log (one event per row, any row order, header required),
group rows into sequences by --seq, map the --type strings to ids (sorted; the
names go to meta.json type_names), parse --time as a number (in
--numeric-unit) or an RFC 3339 timestamp (relative to the earliest one), write
times in --time-unit, sort each sequence's events by time, split the
sequences with a seeded shuffle, and write DIR/{train,dev,test}.jsonl and
DIR/meta.json. Dropped rows are counted by reason, printed, and stored in
meta.json under "import".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Input = args[0]
			fr, err := parseSplit(split)
			if err != nil {
				return err
			}
			o.Split = fr
			rep, err := data.Import(o)
			if err != nil {
				return err
			}
			rep.WriteText(cmd.OutOrStdout())
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", o.OutDir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.SeqCol, "seq", "", "column holding the sequence key (required)")
	f.StringVar(&o.TimeCol, "time", "", "column holding the timestamp (required)")
	f.StringVar(&o.TypeCol, "type", "", "column holding the event type (required)")
	f.StringVar(&o.TimeUnit, "time-unit", "s", "unit of the written times: s, min, h, d")
	f.StringVar(&o.NumericUnit, "numeric-unit", "s", "unit of numeric input timestamps: s, min, h, d")
	f.StringVar(&split, "split", "0.7,0.1,0.2", "train,dev,test fractions of the sequences")
	f.Uint64Var(&o.Seed, "seed", 0, "seed of the split shuffle")
	f.StringVar(&o.OutDir, "out", "", "output directory (required)")
	f.StringVar(&o.Name, "name", "", "data set name in meta.json (default: the output directory's name)")
	for _, n := range []string{"seq", "time", "type", "out"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func parseSplit(s string) ([3]float64, error) {
	var out [3]float64
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return out, fmt.Errorf("--split %q: want three comma-separated fractions train,dev,test", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return out, fmt.Errorf("--split %q: %q is not a number", s, p)
		}
		out[i] = v
	}
	return out, nil
}
