package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/gotpp/gotpp/batch"
	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/params"
)

// poisson is the test model: a marked homogeneous Poisson process with rates
// μ_k = exp(θ_k). Under the Full convention its log-likelihood is
// Σ_i θ_{k_i} − Σ_k μ_k (End − Start), with the closed-form MLE
// μ_k = N_k / Σ_seq (End − Start).
type poisson struct {
	theta *params.Param
	extra []*params.Param // optional additional parameters (unused by the loss)
}

func newPoisson(k int, init float64) *poisson {
	p := &poisson{theta: &params.Param{Name: "log_rate", Shape: []int{k}, Value: make([]float64, k), Grad: make([]float64, k)}}
	for i := range p.theta.Value {
		p.theta.Value[i] = init
	}
	return p
}

func (m *poisson) Params() []*params.Param { return append([]*params.Param{m.theta}, m.extra...) }

func (m *poisson) LossAndGrad(b *batch.Batch) (float64, int) {
	k := len(m.theta.Value)
	nll := 0.0
	for c := 0; c < b.B; c++ {
		T := b.End[c] - b.Start[c]
		for j := 0; j < k; j++ {
			mu := math.Exp(m.theta.Value[j])
			nll += mu * T
			m.theta.Grad[j] += mu * T
		}
		for i := 0; i < b.Lens[c]; i++ {
			ty := b.Types[b.At(i, c)]
			nll -= m.theta.Value[ty]
			m.theta.Grad[ty]--
		}
	}
	return nll, b.NumEvents()
}

func (m *poisson) DatasetLogLik(ds *data.Dataset, c likelihood.Convention) (likelihood.Parts, error) {
	var tot likelihood.Parts
	lam := 0.0
	for _, th := range m.theta.Value {
		lam += math.Exp(th)
	}
	for i := range ds.Seqs {
		s := &ds.Seqs[i]
		first, from, to := likelihood.Scope(s, c)
		var p likelihood.Parts
		p.NumSeqs = 1
		for j := first; j < len(s.Times); j++ {
			p.TimeLL += math.Log(lam)
			p.MarkLL += m.theta.Value[s.Types[j]] - math.Log(lam)
			p.NumEvents++
		}
		p.TimeLL -= lam * (to - from)
		p.LogLik = p.TimeLL + p.MarkLL
		tot.Add(p)
	}
	return tot, nil
}

func (m *poisson) Save(dir string) error {
	return atomicfile.WriteJSON(filepath.Join(dir, "poisson.json"), map[string]any{"log_rate": m.theta.Value})
}

func (m *poisson) Clone() Model {
	c := &poisson{theta: &params.Param{Name: m.theta.Name, Shape: m.theta.Shape, Value: m.theta.Value, Grad: make([]float64, len(m.theta.Grad))}}
	for _, e := range m.extra {
		c.extra = append(c.extra, &params.Param{Name: e.Name, Shape: e.Shape, Value: e.Value, Grad: make([]float64, len(e.Grad))})
	}
	return c
}

// simulatePoisson draws n sequences of a marked Poisson process with the
// given rates on windows [Start, Start+T] with T uniform in [5, 15].
func simulatePoisson(seed uint64, n int, rates []float64) *data.Dataset {
	r := rand.New(rand.NewPCG(seed, 3))
	total := 0.0
	for _, x := range rates {
		total += x
	}
	ds := &data.Dataset{Name: "poisson", NumTypes: len(rates)}
	for i := 0; i < n; i++ {
		s := data.Sequence{ID: fmt.Sprint(i), Start: 10 * r.Float64()}
		s.End = s.Start + 5 + 10*r.Float64()
		for t := s.Start + r.ExpFloat64()/total; t < s.End; t += r.ExpFloat64() / total {
			u := r.Float64() * total
			k := 0
			for u > rates[k] && k < len(rates)-1 {
				u -= rates[k]
				k++
			}
			s.Times = append(s.Times, t)
			s.Types = append(s.Types, k)
		}
		ds.Seqs = append(ds.Seqs, s)
	}
	return ds
}

// poissonMLE is the closed-form maximum-likelihood rate of each type.
func poissonMLE(ds *data.Dataset) []float64 {
	counts := make([]float64, ds.NumTypes)
	T := 0.0
	for _, s := range ds.Seqs {
		T += s.End - s.Start
		for _, k := range s.Types {
			counts[k]++
		}
	}
	for k := range counts {
		counts[k] /= T
	}
	return counts
}

// faulty wraps poisson and poisons one call of LossAndGrad.
type faulty struct {
	*poisson
	calls   int
	badCall int    // 1-based call that goes wrong
	mode    string // "grad" (NaN in the extra parameter's gradient) or "loss" (+Inf loss)
}

func newFaulty(k, badCall int, mode string) *faulty {
	p := newPoisson(k, 0)
	p.extra = []*params.Param{{Name: "unused_bias", Shape: []int{2}, Value: []float64{0, 0}, Grad: []float64{0, 0}}}
	return &faulty{poisson: p, badCall: badCall, mode: mode}
}

func (f *faulty) LossAndGrad(b *batch.Batch) (float64, int) {
	f.calls++
	loss, n := f.poisson.LossAndGrad(b)
	if f.calls == f.badCall {
		switch f.mode {
		case "grad":
			f.extra[0].Grad[1] = math.NaN()
		case "loss":
			loss = math.Inf(1)
		}
	}
	return loss, n
}
