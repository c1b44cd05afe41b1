package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gotpp/gotpp/data"
)

// dataCLIRun runs `tpp args...` in-process with every flag reset first and
// returns standard output.
func dataCLIRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var reset func(c *cobra.Command)
	reset = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				_ = sv.Replace(nil)
			} else {
				_ = f.Value.Set(f.DefValue)
			}
			f.Changed = false
		})
		for _, s := range c.Commands() {
			reset(s)
		}
	}
	reset(rootCmd)
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	return out.String(), err
}

func dataCLIFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ds")
	splits := map[string]*data.Dataset{
		"train": {NumTypes: 3, Seqs: []data.Sequence{
			{ID: "0", Times: []float64{0.5, 1, 1}, Types: []int{0, 2, 2}, End: 1},
			{ID: "1", Times: []float64{2}, Types: []int{1}, End: 2},
		}},
		"test": {NumTypes: 3, Seqs: []data.Sequence{
			{ID: "0", Times: []float64{0.1, 0.4}, Types: []int{2, 0}, Start: 0, End: 5},
		}},
	}
	meta := &data.Meta{Name: "cli", NumTypes: 3, TypeNames: []string{"buy", "cart", "view"}}
	if err := data.WriteDir(dir, data.JSONL, false, splits, meta); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDataStatsJSON(t *testing.T) {
	dir := dataCLIFixture(t)
	out, err := dataCLIRun(t, "data", "stats", dir, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	if m["num_sequences"] != 3.0 || m["num_events"] != 6.0 || m["num_types"] != 3.0 || m["ties"] != 1.0 {
		t.Errorf("totals: %v", m)
	}
	splits := m["splits"].(map[string]any)
	if splits["train"].(map[string]any)["num_events"] != 4.0 || splits["test"].(map[string]any)["num_sequences"] != 1.0 {
		t.Errorf("splits: %v", splits)
	}
	// --split gives that split's object only.
	out, err = dataCLIRun(t, "data", "stats", dir, "--json", "--split", "test")
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	if err := json.Unmarshal([]byte(out), &m); err != nil || m["num_sequences"] != 1.0 || m["splits"] != nil {
		t.Errorf("--split test: %v %v", err, m)
	}
	// Human table names the types.
	out, err = dataCLIRun(t, "data", "stats", filepath.Join(dir, "train.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2 view") || !strings.Contains(out, "sequences") {
		t.Errorf("table:\n%s", out)
	}
}

func TestDataConvertValidate(t *testing.T) {
	dir := dataCLIFixture(t)
	out := filepath.Join(t.TempDir(), "pkl")
	if _, err := dataCLIRun(t, "data", "convert", dir, out, "--format", "pkl"); err != nil {
		t.Fatal(err)
	}
	a, _ := data.LoadDir(dir)
	b, err := data.LoadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for s := range a {
		if len(a[s].Seqs) != len(b[s].Seqs) || a[s].NumEvents() != b[s].NumEvents() || b[s].TypeName(2) != "view" {
			t.Errorf("%s differs after convert", s)
		}
	}
	csv := filepath.Join(t.TempDir(), "train.csv")
	if _, err := dataCLIRun(t, "data", "convert", filepath.Join(out, "train.pkl"), csv); err != nil {
		t.Fatal(err)
	}
	if o, err := dataCLIRun(t, "data", "validate", dir); err != nil || !strings.Contains(o, "ok") {
		t.Errorf("validate clean dir: %v\n%s", err, o)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "train.jsonl"), []byte("{\"times\":[1],\"types\":[0]}\n{\"times\":[2,1],\"types\":[0,0]}\n{oops\n"), 0o644)
	o, err := dataCLIRun(t, "data", "validate", bad)
	if err == nil {
		t.Fatal("validate of a bad file exited zero")
	}
	if !strings.Contains(o, "line 2") || !strings.Contains(o, "times[1]") || !strings.Contains(o, "line 3") {
		t.Errorf("validate output lacks the problems:\n%s", o)
	}
}

func TestDataImportCLI(t *testing.T) {
	raw := filepath.Join(t.TempDir(), "log.csv")
	os.WriteFile(raw, []byte("u,ts,ev\na,2024-05-01T10:00:00Z,click\na,2024-05-01T09:00:00Z,view\nb,2024-05-01T11:30:00Z,click\nc,bad,click\n"), 0o644)
	out := filepath.Join(t.TempDir(), "imp")
	o, err := dataCLIRun(t, "data", "import", raw, "--seq", "u", "--time", "ts", "--type", "ev", "--time-unit", "h", "--split", "1,0,0", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(o, "dropped 1: unparsable time") {
		t.Errorf("report:\n%s", o)
	}
	ds, err := data.LoadSplit(out, "train")
	if err != nil {
		t.Fatal(err)
	}
	if ds.NumTypes != 2 || ds.TypeName(0) != "click" || len(ds.Seqs) != 2 || ds.Seqs[0].Times[1] != 1 || ds.Seqs[1].Times[0] != 2.5 {
		t.Errorf("imported %+v", ds)
	}
	if _, err := dataCLIRun(t, "data", "import", raw, "--seq", "u", "--time", "ts", "--type", "ev", "--split", "1,1", "--out", out); err == nil {
		t.Error("bad --split accepted")
	}
}
