package data

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// realMeta is the part of the shared data sets' meta.json that was computed
// by their provider (independently of this package).
type realMeta struct {
	NumTypes int `json:"num_types"`
	Stats    struct {
		NumSequences map[string]int `json:"num_sequences"`
		NumEvents    map[string]int `json:"num_events"`
		Total        int            `json:"num_events_total"`
		SeqLenMean   float64        `json:"seq_len_mean"`
		SeqLenMin    int            `json:"seq_len_min"`
		SeqLenMax    int            `json:"seq_len_max"`
		GapMean      float64        `json:"mean_inter_event_gap"`
		Ties         int            `json:"zero_gaps_ties"`
		TypesUsed    int            `json:"types_used"`
	} `json:"stats"`
}

func realSets(t *testing.T) (string, []string) {
	root := sharedData(t)
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(root, e.Name(), MetaFile)); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Skipf("no data sets with meta.json under %s", root)
	}
	return root, names
}

func readRealMeta(t *testing.T, dir string) realMeta {
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	var m realMeta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every real data set goes through every format (each split written to a
// temporary directory and read back) and must keep its per-split counts from
// meta.json and every event bit for bit.
func TestRealDataAllFormats(t *testing.T) {
	root, names := realSets(t)
	// gzip is exercised on generated data (TestRoundTripAllFormats); here
	// every format once, and in -short mode the two least JSON-like.
	formats := []Format{CSV, HFJSON, Pickle}
	if testing.Short() {
		formats = []Format{CSV, Pickle}
	}
	for _, name := range names {
		dir := filepath.Join(root, name)
		m := readRealMeta(t, dir)
		orig, err := LoadDir(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check := func(what string, got map[string]*Dataset) {
			t.Helper()
			if len(got) != len(m.Stats.NumSequences) {
				t.Fatalf("%s %s: splits %v, meta has %v", name, what, SortedSplits(got), m.Stats.NumSequences)
			}
			for split, n := range m.Stats.NumSequences {
				ds := got[split]
				if ds == nil || len(ds.Seqs) != n || ds.NumEvents() != m.Stats.NumEvents[split] || ds.NumTypes != m.NumTypes {
					t.Fatalf("%s %s %s: got %d seqs / %d events / K=%d, meta says %d / %d / %d", name, what, split,
						len(ds.Seqs), ds.NumEvents(), ds.NumTypes, n, m.Stats.NumEvents[split], m.NumTypes)
				}
			}
		}
		check("jsonl", orig)
		meta, err := ReadMeta(dir)
		if err != nil {
			t.Fatal(err)
		}
		prev := orig
		for _, f := range formats {
			out := filepath.Join(t.TempDir(), name)
			// Write what the previous format read back: a chain
			// JSONL -> CSV -> HF JSON -> pickle, each link checked.
			if err := WriteDir(out, f, false, prev, meta); err != nil {
				t.Fatalf("%s -> %s: %v", name, f, err)
			}
			got, err := LoadDir(out)
			if err != nil {
				t.Fatalf("%s %s: %v", name, f, err)
			}
			check(string(f), got)
			for split := range orig {
				sameSeqs(t, name+" "+split+" via "+string(f), got[split], orig[split])
			}
			prev = got
		}
	}
}

// ComputeStats agrees with the statistics the data provider computed.
func TestRealDataStatsMatchMeta(t *testing.T) {
	root, names := realSets(t)
	for _, name := range names {
		dir := filepath.Join(root, name)
		m := readRealMeta(t, dir)
		all, err := LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		st := ComputeSplitStats(all)
		s := st.Stats
		used := 0
		for _, n := range s.EventsPerType {
			if n > 0 {
				used++
			}
		}
		if s.NumEvents != m.Stats.Total || s.SeqLenMin != m.Stats.SeqLenMin || s.SeqLenMax != m.Stats.SeqLenMax ||
			s.Ties != m.Stats.Ties || used != m.Stats.TypesUsed || s.NumTypes != m.NumTypes {
			t.Errorf("%s: stats %+v disagree with meta %+v", name, s, m.Stats)
		}
		if rel(s.SeqLenMean, m.Stats.SeqLenMean) > 1e-9 || rel(s.GapMean, m.Stats.GapMean) > 1e-9 {
			t.Errorf("%s: seq len mean %v vs %v, gap mean %v vs %v", name, s.SeqLenMean, m.Stats.SeqLenMean, s.GapMean, m.Stats.GapMean)
		}
		for split, n := range m.Stats.NumSequences {
			if st.Splits[split].NumSequences != n || st.Splits[split].NumEvents != m.Stats.NumEvents[split] {
				t.Errorf("%s %s: %d/%d vs meta %d/%d", name, split, st.Splits[split].NumSequences, st.Splits[split].NumEvents, n, m.Stats.NumEvents[split])
			}
		}
	}
}

func rel(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300)
}
