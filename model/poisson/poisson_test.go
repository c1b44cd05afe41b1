package poisson

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/runs"
)

func randData(rng *rand.Rand, k, nseq int) *data.Dataset {
	ds := &data.Dataset{NumTypes: k}
	for s := 0; s < nseq; s++ {
		sq := data.Sequence{Start: rng.Float64()}
		t := sq.Start
		for n := 0; n < 5+rng.IntN(20); n++ {
			t += rng.ExpFloat64()
			sq.Times = append(sq.Times, t)
			sq.Types = append(sq.Types, rng.IntN(k))
		}
		sq.End = t + rng.ExpFloat64()
		ds.Seqs = append(ds.Seqs, sq)
	}
	return ds
}

// gapLogLik is the log-likelihood written as a product of exponential gap
// densities at the total rate, categorical marks and the survival of the
// last open gap: an independent route to the same number.
func gapLogLik(rates []float64, s *data.Sequence, c likelihood.Convention) float64 {
	tot := 0.0
	for _, r := range rates {
		tot += r
	}
	ll := 0.0
	prev := s.Start
	lo := 0
	if c == likelihood.EasyTPP {
		prev, lo = s.Times[0], 1
	}
	for i := lo; i < len(s.Times); i++ {
		gap := s.Times[i] - prev
		ll += math.Log(tot*math.Exp(-tot*gap)) + math.Log(rates[s.Types[i]]/tot)
		prev = s.Times[i]
	}
	if c == likelihood.Full {
		ll += -tot * (s.End - prev) // survival to the window end
	}
	return ll
}

func TestLogLikIndependentForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ds := randData(rng, 3, 10)
	m, err := New([]float64{0.3, 1.2, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		for i := range ds.Seqs {
			got := m.SequenceLogLik(&ds.Seqs[i], c)
			want := gapLogLik(m.Rate, &ds.Seqs[i], c)
			if math.Abs(got.LogLik-want) > 1e-10*math.Abs(want) {
				t.Errorf("%v seq %d: %v want %v", c, i, got.LogLik, want)
			}
			if math.Abs(got.TimeLL+got.MarkLL-got.LogLik) > 1e-12 {
				t.Errorf("parts do not add up: %+v", got)
			}
			// MarkLL is the categorical log-probability of the scored marks.
			mk := 0.0
			first, _, _ := likelihood.Scope(&ds.Seqs[i], c)
			for _, k := range ds.Seqs[i].Types[first:] {
				mk += math.Log(m.Rate[k] / 2.0)
			}
			if math.Abs(got.MarkLL-mk) > 1e-10*math.Abs(mk) {
				t.Errorf("MarkLL %v want %v", got.MarkLL, mk)
			}
		}
	}
}

func TestFitIsMLE(t *testing.T) {
	// Hand-countable data: 2 sequences, windows [0,4] and [1,7].
	ds := &data.Dataset{NumTypes: 2, Seqs: []data.Sequence{
		{Times: []float64{1, 2, 3}, Types: []int{0, 1, 0}, Start: 0, End: 4},
		{Times: []float64{2, 5}, Types: []int{1, 1}, Start: 1, End: 7},
	}}
	m, err := Fit(ds, likelihood.Full)
	if err != nil {
		t.Fatal(err)
	}
	// Full: type 0 has 2 events, type 1 has 3, window length 4 + 6 = 10.
	if math.Abs(m.Rate[0]-0.2) > 1e-15 || math.Abs(m.Rate[1]-0.3) > 1e-15 {
		t.Errorf("Full MLE %v, want [0.2 0.3]", m.Rate)
	}
	me, err := Fit(ds, likelihood.EasyTPP)
	if err != nil {
		t.Fatal(err)
	}
	// EasyTPP: scored events (2,0),(3,0) | (5,1) → type 0: 1... see below.
	// Seq 1 scores t=2 (type 1), t=3 (type 0); seq 2 scores t=5 (type 1).
	// Spans 3−1 = 2 and 5−2 = 3: rates [1/5, 2/5].
	if math.Abs(me.Rate[0]-0.2) > 1e-15 || math.Abs(me.Rate[1]-0.4) > 1e-15 {
		t.Errorf("EasyTPP MLE %v, want [0.2 0.4]", me.Rate)
	}
	// On random data: the gradient of the total log-likelihood vanishes at
	// the MLE (central finite differences).
	rng := rand.New(rand.NewPCG(2, 2))
	big := randData(rng, 4, 30)
	for _, c := range []likelihood.Convention{likelihood.Full, likelihood.EasyTPP} {
		fit, err := Fit(big, c)
		if err != nil {
			t.Fatal(err)
		}
		ll := func(r []float64) float64 {
			p, _ := likelihood.Evaluate(&Model{Rate: r}, big, c)
			return p.LogLik
		}
		for k := range fit.Rate {
			h := 1e-6
			up := append([]float64(nil), fit.Rate...)
			dn := append([]float64(nil), fit.Rate...)
			up[k] += h
			dn[k] -= h
			if d := (ll(up) - ll(dn)) / (2 * h); math.Abs(d) > 1e-4 {
				t.Errorf("%v: dLL/drate[%d] = %v at the MLE", c, k, d)
			}
		}
	}
}

func TestParamsFileAndRun(t *testing.T) {
	dir := t.TempDir()
	m, _ := New([]float64{0.5, 1})
	if err := m.SaveParams(dir); err != nil {
		t.Fatal(err)
	}
	if err := runs.WriteInfo(dir, &runs.Info{Model: Name, NumTypes: 2}); err != nil {
		t.Fatal(err)
	}
	got, _, err := runs.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.(*Model); g.Rate[0] != 0.5 || g.Rate[1] != 1 {
		t.Errorf("loaded %v", g.Rate)
	}
	meta := filepath.Join(dir, "meta.json")
	os.WriteFile(meta, []byte(`{"num_types":2,"true_params":{"rate":[1,2]}}`), 0o644)
	if g, err := ReadParams(meta); err != nil || g.Rate[1] != 2 {
		t.Errorf("meta true_params: %v %v", g, err)
	}
	for in, want := range map[string]string{
		`{"rate":[1,-2]}`: "field rate[1]: must be finite and ≥ 0",
		`{"rates":[1]}`:   "field rate: missing",
		`[1]`:             "want a JSON object",
		`{"rate":[]}`:     "field rate: missing or empty",
	} {
		if _, err := ParseParams("p.json", []byte(in)); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "p.json") {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
