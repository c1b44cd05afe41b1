package data

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Stats summarises a dataset. Gaps are inter-event times inside a sequence
// (t_i - t_{i-1}, i >= 1); ties are gaps equal to zero (legal, counted).
// Quantities that are undefined (no gaps, no sequences) are 0, so the JSON
// never holds NaN.
type Stats struct {
	NumSequences   int      `json:"num_sequences"`
	NumEvents      int      `json:"num_events"`
	NumTypes       int      `json:"num_types"`
	SeqLenMean     float64  `json:"seq_len_mean"`
	SeqLenMin      int      `json:"seq_len_min"`
	SeqLenMax      int      `json:"seq_len_max"`
	EmptySequences int      `json:"empty_sequences"`
	NumGaps        int      `json:"num_gaps"`
	GapMean        float64  `json:"gap_mean"`
	GapMedian      float64  `json:"gap_median"`
	GapMax         float64  `json:"gap_max"`
	Ties           int      `json:"ties"`
	TimeMin        float64  `json:"time_min"` // earliest event time
	TimeMax        float64  `json:"time_max"` // latest event time
	WindowMean     float64  `json:"window_mean"`
	EventsPerType  []int    `json:"events_per_type"`
	TypeNames      []string `json:"type_names,omitempty"`
}

// ComputeStats summarises ds. NumTypes is ds.NumTypes, widened when a type
// at or above it occurs.
func ComputeStats(ds *Dataset) Stats {
	return computeStats(ds.Seqs, ds.NumTypes, ds.TypeNames)
}

func computeStats(seqs []Sequence, k int, names []string) Stats {
	st := Stats{NumSequences: len(seqs), NumTypes: k}
	var gaps []float64
	var window float64
	st.TimeMin, st.TimeMax = math.Inf(1), math.Inf(-1)
	st.SeqLenMin = math.MaxInt
	counts := make([]int, max(k, 0))
	for i := range seqs {
		s := &seqs[i]
		n := len(s.Times)
		st.NumEvents += n
		st.SeqLenMin = min(st.SeqLenMin, n)
		st.SeqLenMax = max(st.SeqLenMax, n)
		if n == 0 {
			st.EmptySequences++
		} else {
			st.TimeMin = min(st.TimeMin, s.Times[0])
			st.TimeMax = max(st.TimeMax, s.Times[n-1])
		}
		window += s.End - s.Start
		for j := 1; j < n; j++ {
			g := s.Times[j] - s.Times[j-1]
			gaps = append(gaps, g)
			if g == 0 {
				st.Ties++
			}
		}
		for _, t := range s.Types {
			if t >= len(counts) {
				counts = append(counts, make([]int, t+1-len(counts))...)
			}
			if t >= 0 {
				counts[t]++
			}
		}
	}
	st.EventsPerType = counts
	st.NumTypes = max(st.NumTypes, len(counts))
	if len(names) == st.NumTypes {
		st.TypeNames = names
	}
	if st.NumSequences == 0 {
		st.SeqLenMin = 0
	} else {
		st.SeqLenMean = float64(st.NumEvents) / float64(st.NumSequences)
		st.WindowMean = window / float64(st.NumSequences)
	}
	if st.NumEvents == 0 {
		st.TimeMin, st.TimeMax = 0, 0
	}
	st.NumGaps = len(gaps)
	if len(gaps) > 0 {
		sum := 0.0
		for _, g := range gaps {
			sum += g
			st.GapMax = max(st.GapMax, g)
		}
		st.GapMean = sum / float64(len(gaps))
		slices.Sort(gaps)
		m := len(gaps) / 2
		if len(gaps)%2 == 1 {
			st.GapMedian = gaps[m]
		} else {
			st.GapMedian = (gaps[m-1] + gaps[m]) / 2
		}
	}
	return st
}

// SplitStats holds the statistics of every split of a data set and their
// totals. In JSON the totals are top-level keys (num_sequences, num_events,
// num_types, ...) and the splits are under "splits".
type SplitStats struct {
	Stats
	Splits map[string]Stats `json:"splits"`
}

// ComputeSplitStats summarises each split and all splits together (the
// totals use the largest NumTypes of the splits).
func ComputeSplitStats(splits map[string]*Dataset) SplitStats {
	out := SplitStats{Splits: map[string]Stats{}}
	var all []Sequence
	k := 0
	var names []string
	for name, ds := range splits {
		out.Splits[name] = ComputeStats(ds)
		all = append(all, ds.Seqs...)
		k = max(k, ds.NumTypes)
		if len(ds.TypeNames) > len(names) {
			names = ds.TypeNames
		}
	}
	out.Stats = computeStats(all, k, names)
	return out
}

// WriteText prints s as a human-readable table under a title.
func (s Stats) WriteText(w io.Writer, title string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if title != "" {
		fmt.Fprintf(tw, "%s\n", title)
	}
	row := func(k string, v any) { fmt.Fprintf(tw, "  %s\t%v\n", k, v) }
	row("sequences", s.NumSequences)
	row("events", s.NumEvents)
	row("types", s.NumTypes)
	row("seq len mean / min / max", fmt.Sprintf("%.4g / %d / %d", s.SeqLenMean, s.SeqLenMin, s.SeqLenMax))
	if s.EmptySequences > 0 {
		row("empty sequences", s.EmptySequences)
	}
	row("gap mean / median / max", fmt.Sprintf("%.6g / %.6g / %.6g", s.GapMean, s.GapMedian, s.GapMax))
	row("ties (zero gaps)", s.Ties)
	row("event times min / max", fmt.Sprintf("%.6g / %.6g", s.TimeMin, s.TimeMax))
	row("mean window length", fmt.Sprintf("%.6g", s.WindowMean))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  events per type\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for k, n := range s.EventsPerType {
		name := fmt.Sprint(k)
		if k < len(s.TypeNames) && s.TypeNames[k] != "" && s.TypeNames[k] != name {
			name = fmt.Sprintf("%d %s", k, s.TypeNames[k])
		}
		share := 0.0
		if s.NumEvents > 0 {
			share = 100 * float64(n) / float64(s.NumEvents)
		}
		fmt.Fprintf(tw, "    %s\t  %d\t  %.1f%%\t\n", name, n, share)
	}
	return tw.Flush()
}

// WriteText prints each split, then the totals.
func (s SplitStats) WriteText(w io.Writer) error {
	names := SortedSplits(s.Splits)
	for _, name := range names {
		if err := s.Splits[name].WriteText(w, "split "+name); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return s.Stats.WriteText(w, "all splits ("+strings.Join(names, ", ")+")")
}
