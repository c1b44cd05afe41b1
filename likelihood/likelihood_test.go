package likelihood

import (
	"math"
	"testing"

	"github.com/gotpp/gotpp/data"
)

func TestScope(t *testing.T) {
	s := &data.Sequence{Times: []float64{2, 3, 7}, Types: []int{0, 1, 0}, Start: 1, End: 9}
	if f, a, b := Scope(s, Full); f != 0 || a != 1 || b != 9 {
		t.Errorf("full: %d [%v, %v]", f, a, b)
	}
	if f, a, b := Scope(s, EasyTPP); f != 1 || a != 2 || b != 7 {
		t.Errorf("easytpp: %d [%v, %v]", f, a, b)
	}
	empty := &data.Sequence{Start: 4, End: 5}
	if f, a, b := Scope(empty, EasyTPP); f != 0 || a != b {
		t.Errorf("empty easytpp: %d [%v, %v]", f, a, b)
	}
}

func TestParseConvention(t *testing.T) {
	for in, want := range map[string]Convention{"full": Full, "": Full, "EasyTPP": EasyTPP, " easytpp ": EasyTPP} {
		if got, err := ParseConvention(in); err != nil || got != want {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	if _, err := ParseConvention("hypro"); err == nil {
		t.Error("unknown convention accepted")
	}
	if Full.String() != "full" || EasyTPP.String() != "easytpp" {
		t.Error("String")
	}
}

// unit is a homogeneous Poisson process of rate 1 with one mark: per
// sequence LL = −(window length) for every event's log 1 = 0.
type unit struct{}

func (unit) SequenceLogLik(s *data.Sequence, c Convention) Parts {
	f, a, b := Scope(s, c)
	return Parts{LogLik: -(b - a), TimeLL: -(b - a), NumEvents: s.Len() - f, NumSeqs: 1}
}

func TestEvaluateSumsSequences(t *testing.T) {
	ds := &data.Dataset{NumTypes: 1, Seqs: []data.Sequence{
		{Times: []float64{1, 2}, Types: []int{0, 0}, End: 4},
		{Times: []float64{0.5}, Types: []int{0}, End: 1},
	}}
	p, err := Evaluate(unit{}, ds, Full)
	if err != nil {
		t.Fatal(err)
	}
	if p.LogLik != -5 || p.NumEvents != 3 || p.NumSeqs != 2 || math.Abs(p.PerEvent()+5.0/3) > 1e-15 {
		t.Errorf("%+v", p)
	}
	if _, err := Evaluate(struct{}{}, ds, Full); err == nil {
		t.Error("a value that cannot score was accepted")
	}
}
