package hawkes

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/runs"
)

func TestParamsJSONRoundTrip(t *testing.T) {
	for _, p := range []Params{
		NewScalarParams([]float64{0.2, 0.1}, [][]float64{{0.3, 0.1}, {0, 0.2}}, 1.5),
		NewMatrixParams([]float64{0.2, 0.1}, [][]float64{{0.3, 0.1}, {0, 0.2}}, [][]float64{{1, 2}, {3, 4}}),
	} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		if _, isNum := raw["beta"].(float64); isNum != p.ScalarBeta {
			t.Errorf("beta written as %T for ScalarBeta=%v: %s", raw["beta"], p.ScalarBeta, b)
		}
		var q Params
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("round trip changed params:\n%+v\n%+v", p, q)
		}
	}
}

func TestParamsValidationErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"alpha":[[0.1]],"beta":1}`, "field mu: missing"},
		{`{"mu":[0.1],"beta":1}`, "field alpha: missing"},
		{`{"mu":[0.1],"alpha":[[0.1]]}`, "field beta: missing"},
		{`{"mu":[0.1,0.2],"alpha":[[0.1,0.1]],"beta":1}`, "field alpha: has 1 rows, want 2"},
		{`{"mu":[0.1,0.2],"alpha":[[0.1,0.1],[0.1]],"beta":1}`, "field alpha[1]: has 1 entries, want 2"},
		{`{"mu":[0.1],"alpha":[[-0.1]],"beta":1}`, "field alpha[0][0]: negative"},
		{`{"mu":[-1],"alpha":[[0.1]],"beta":1}`, "field mu[0]: negative"},
		{`{"mu":[1],"alpha":[[0.1]],"beta":0}`, "field beta[0][0]: must be > 0"},
		{`{"mu":[1],"alpha":[[0.1]],"beta":[[1,2]]}`, "field beta[0]: has 2 entries, want 1"},
		{`{"mu":[1],"alpha":[[0.1]],"beta":"x"}`, "field beta: want a number or a K×K matrix"},
		{"{\"mu\":[1],\n\"alpha\":[[0.1]],\n\"beta\":1,}", "line 3"},
		{`{"mu":[1],"alpha":[["a"]],"beta":1}`, "field alpha"},
	}
	for _, c := range cases {
		_, err := ParseParams("p.json", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "p.json") {
			t.Errorf("ParseParams(%s): error %v, want one naming p.json and containing %q", c.in, err, c.want)
		}
	}
	// NaN cannot be written in JSON; check Validate directly.
	p := NewScalarParams([]float64{math.NaN()}, [][]float64{{0.1}}, 1)
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "mu[0]: is NaN") {
		t.Errorf("Validate(NaN mu) = %v", err)
	}
	p = NewScalarParams([]float64{1}, [][]float64{{math.Inf(1)}}, 1)
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "alpha[0][0]: not finite") {
		t.Errorf("Validate(Inf alpha) = %v", err)
	}
	p = NewScalarParams([]float64{1, 1}, [][]float64{{0, 0}, {0, 0}}, 1)
	p.Beta[1][0] = 2
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "beta[1][0]") {
		t.Errorf("Validate(scalar beta with differing entries) = %v", err)
	}
}

func TestParamsFromMetaAndRunDir(t *testing.T) {
	dir := t.TempDir()
	meta := `{"name":"x","num_types":2,"true_params":{"K":2,"mu":[0.2,0.1],"alpha":[[0.3,0.1],[0.2,0.2]],"beta":1.5,"window":[0,100]}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadParams(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.ScalarBeta || p.Beta[1][1] != 1.5 || p.Alpha[1][0] != 0.2 || p.Mu[1] != 0.1 {
		t.Fatalf("read %+v", p)
	}
	m := MustNew(p)
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveParams(run); err != nil {
		t.Fatal(err)
	}
	if err := runs.WriteInfo(run, &runs.Info{Model: Name, NumTypes: 2}); err != nil {
		t.Fatal(err)
	}
	got, info, err := runs.Load(run)
	if err != nil {
		t.Fatal(err)
	}
	gm, ok := got.(*Model)
	if !ok || info.Model != "hawkes" {
		t.Fatalf("runs.Load gave %T, %+v", got, info)
	}
	if !reflect.DeepEqual(gm.Params(), p) {
		t.Errorf("run directory round trip: %+v want %+v", gm.Params(), p)
	}
	// A run.json disagreeing on num_types is refused.
	if err := runs.WriteInfo(run, &runs.Info{Model: Name, NumTypes: 3}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runs.Load(run); err == nil || !strings.Contains(err.Error(), "num_types 3") {
		t.Errorf("mismatched num_types: %v", err)
	}
}
