package evaluation

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/predict"
)

// pois is a homogeneous marked Poisson process written for this test.
type pois struct{ rate []float64 }

func (p *pois) NumTypes() int                              { return len(p.rate) }
func (p *pois) Intensities(_ float64, out []float64)       { copy(out, p.rate) }
func (p *pois) NextAfter(*data.Sequence, int) predict.Next { return p }
func (p *pois) total() float64 {
	s := 0.0
	for _, r := range p.rate {
		s += r
	}
	return s
}
func (p *pois) SequenceLogLik(s *data.Sequence, c likelihood.Convention) likelihood.Parts {
	first, a, b := likelihood.Scope(s, c)
	tot := p.total()
	var out likelihood.Parts
	n := s.Len() - first
	out.TimeLL = float64(n)*math.Log(tot) - tot*(b-a)
	for i := first; i < s.Len(); i++ {
		out.MarkLL += math.Log(p.rate[s.Types[i]] / tot)
	}
	out.LogLik = out.TimeLL + out.MarkLL
	out.NumEvents, out.NumSeqs = n, 1
	return out
}

func simulate(p *pois, n int, T float64, seed uint64) *data.Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	ds := &data.Dataset{NumTypes: len(p.rate)}
	tot := p.total()
	for i := 0; i < n; i++ {
		s := data.Sequence{End: T}
		t := r.ExpFloat64() / tot
		for t < T {
			u, k := r.Float64()*tot, 0
			for k < len(p.rate)-1 && u >= p.rate[k] {
				u -= p.rate[k]
				k++
			}
			s.Times, s.Types = append(s.Times, t), append(s.Types, k)
			t += r.ExpFloat64() / tot
		}
		ds.Seqs = append(ds.Seqs, s)
	}
	return ds
}

func TestRunPoissonClosedForms(t *testing.T) {
	p := &pois{rate: []float64{0.5, 1.0, 0.5}} // total 2, mean gap 0.5
	ds := simulate(p, 200, 30, 3)
	res, err := Run(p, ds, Options{Metrics: []string{"all"}, Seed: 1, MaxCases: 50, Samples: 2})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Values
	n := v["num_predictions"]
	// Gaps are Exp(2): RMSE of the mean 1/2 is the sd 1/2; MAE E|X-1/2| = 2/(2e).
	se := 0.5 * math.Sqrt(2/n) // loose standard error of the RMSE estimate
	if math.Abs(v["rmse"]-0.5) > 5*se {
		t.Errorf("rmse %.4f, want 0.5 ± %.4f", v["rmse"], 5*se)
	}
	if want := 1 / (2 * math.E) * 2; math.Abs(v["mae"]-want) > 0.03 {
		t.Errorf("mae %.4f, want %.4f", v["mae"], want)
	}
	// Draw RMSE is the sd of the difference of two Exp(2): √2/2.
	if math.Abs(v["rmse_draw"]-math.Sqrt2/2) > 0.05 {
		t.Errorf("rmse_draw %.4f, want %.4f", v["rmse_draw"], math.Sqrt2/2)
	}
	// The argmax mark is type 1, right with probability 1/2.
	if math.Abs(v["accuracy"]-0.5) > 5*math.Sqrt(0.25/n) || math.Abs(v["error_rate"]+v["accuracy"]-1) > 1e-12 {
		t.Errorf("accuracy %.4f error_rate %.4f", v["accuracy"], v["error_rate"])
	}
	if v["topk_accuracy"] != 1 { // K=3, top-3 always holds the truth
		t.Errorf("top-3 accuracy %v, want 1", v["topk_accuracy"])
	}
	if v["ks_pvalue"] < 1e-3 {
		t.Errorf("true model fails time rescaling: D=%v p=%v", v["ks_statistic"], v["ks_pvalue"])
	}
	ll := 0.0
	for i := range ds.Seqs {
		ll += p.SequenceLogLik(&ds.Seqs[i], likelihood.Full).LogLik
	}
	if math.Abs(v["loglik"]-ll) > 1e-9*math.Abs(ll) {
		t.Errorf("loglik %v, want %v", v["loglik"], ll)
	}
	if v["num_horizon_cases"] != 100 || !(v["otd"] > 0) || !(v["tmap"] >= 0 && v["tmap"] <= 1) {
		t.Errorf("horizon metrics: cases %v otd %v tmap %v", v["num_horizon_cases"], v["otd"], v["tmap"])
	}
	// A wrong model (rates doubled) is worse on loglik and fails KS.
	bad := &pois{rate: []float64{1, 2, 1}}
	rb, err := Run(bad, ds, Options{Metrics: []string{"loglik", "ks"}})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Values["loglik"] >= v["loglik"] || rb.Values["ks_pvalue"] > 1e-3 {
		t.Errorf("wrong model not detected: loglik %v vs %v, KS p %v", rb.Values["loglik"], v["loglik"], rb.Values["ks_pvalue"])
	}
	// Same seed, same numbers; worker count does not matter.
	again, _ := Run(p, ds, Options{Metrics: []string{"all"}, Seed: 1, MaxCases: 50, Samples: 2, Workers: 1})
	for k, x := range v {
		if again.Values[k] != x {
			t.Errorf("%s: %v then %v", k, x, again.Values[k])
		}
	}
}

func TestUnknownMetric(t *testing.T) {
	_, err := Run(&pois{rate: []float64{1}}, &data.Dataset{NumTypes: 1}, Options{Metrics: []string{"rsme"}})
	if err == nil || !strings.Contains(err.Error(), "rsme") {
		t.Fatalf("err = %v", err)
	}
}
