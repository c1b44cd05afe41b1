package params

import (
	"math"
	"strings"
	"testing"
)

func TestSnapshotRestore(t *testing.T) {
	a := &Param{Name: "w", Shape: []int{2}, Value: []float64{1, 2}, Grad: make([]float64, 2)}
	s, err := Snapshot("m", []*Param{a})
	if err != nil || len(s) != 1 || s[0].Name != "w" {
		t.Fatalf("%v %v", s, err)
	}
	b := &Param{Name: "w", Shape: []int{2}, Value: make([]float64, 2)}
	if err := Restore("f.json", s, []*Param{b}); err != nil || b.Value[1] != 2 {
		t.Fatalf("restore: %v %v", b.Value, err)
	}
	bad := []Saved{{Name: "w", Shape: []int{2}, Value: []float64{1, math.NaN()}}}
	if err := Restore("f.json", bad, []*Param{b}); err == nil || !strings.Contains(err.Error(), "f.json: field params[0] (w) value [1]") {
		t.Errorf("NaN: %v", err)
	}
	if err := Restore("f.json", []Saved{{Name: "v", Shape: []int{2}, Value: []float64{1, 2}}}, []*Param{b}); err == nil || !strings.Contains(err.Error(), "params[0].name") {
		t.Errorf("name: %v", err)
	}
	if err := Restore("f.json", nil, []*Param{b}); err == nil || !strings.Contains(err.Error(), "0 parameters, want 1") {
		t.Errorf("count: %v", err)
	}
	a.Value[0] = math.Inf(1)
	if _, err := Snapshot("m", []*Param{a}); err == nil || !strings.Contains(err.Error(), "m: parameter w[0]") {
		t.Errorf("Inf snapshot: %v", err)
	}
}
