// Package poisson holds the homogeneous multivariate Poisson process: one
// constant rate per event type, its closed-form maximum-likelihood fit, its
// log-likelihood split into time and mark parts under both likelihood
// conventions, its parameter file ({"rate": [...]}) and its run-directory
// loader. It is the baseline every other model should beat.
package poisson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/likelihood"
	"github.com/gotpp/gotpp/runs"
)

// Name is the model's name in run directories.
const Name = "poisson"

// ParamsFile is the file holding the rates inside a run directory.
const ParamsFile = "params.json"

// Model is a homogeneous Poisson process with Rate[k] events of type k per
// unit time.
type Model struct {
	Rate []float64 `json:"rate"`
}

// New validates the rates (at least one, each finite and ≥ 0) and returns a
// model holding a copy.
func New(rate []float64) (*Model, error) {
	m := &Model{Rate: append([]float64(nil), rate...)}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate checks the rates; the error names the offending entry.
func (m *Model) Validate() error {
	if len(m.Rate) == 0 {
		return errors.New("field rate: missing or empty")
	}
	for i, r := range m.Rate {
		if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
			return fmt.Errorf("field rate[%d]: must be finite and ≥ 0, got %v", i, r)
		}
	}
	return nil
}

// NumTypes is K.
func (m *Model) NumTypes() int { return len(m.Rate) }

// TotalRate is Σ_k Rate[k].
func (m *Model) TotalRate() float64 {
	s := 0.0
	for _, r := range m.Rate {
		s += r
	}
	return s
}

// Fit returns the maximum-likelihood rates under convention c: the number
// of scored events of each type divided by the total compensator span
// (Σ over sequences of End − Start under Full, of t_{N−1} − t_0 under
// EasyTPP, whose first event per sequence is not scored). A type with no
// scored events gets rate 0 (its events then have log-likelihood −Inf).
func Fit(ds *data.Dataset, c likelihood.Convention) (*Model, error) {
	k := ds.NumTypes
	if k <= 0 {
		return nil, errors.New("poisson fit: data set has no event types (NumTypes = 0)")
	}
	counts := make([]float64, k)
	span := 0.0
	for si := range ds.Seqs {
		s := &ds.Seqs[si]
		if err := s.Validate(k); err != nil {
			return nil, fmt.Errorf("poisson fit: sequence %d (id %q): %w", si, s.ID, err)
		}
		first, from, to := likelihood.Scope(s, c)
		span += math.Max(to-from, 0)
		for i := first; i < len(s.Types); i++ {
			counts[s.Types[i]]++
		}
	}
	if span <= 0 {
		return nil, errors.New("poisson fit: total observation span is zero")
	}
	for i := range counts {
		counts[i] /= span
	}
	return &Model{Rate: counts}, nil
}

// SequenceLogLik is the log-likelihood of one sequence under convention c:
// TimeLL = n log Λ − Λ·(to − from) with Λ the total rate, and
// MarkLL = Σ log(Rate[k_i]/Λ).
func (m *Model) SequenceLogLik(s *data.Sequence, c likelihood.Convention) likelihood.Parts {
	first, from, to := likelihood.Scope(s, c)
	tot := m.TotalRate()
	lt := math.Log(tot)
	var p likelihood.Parts
	p.NumSeqs = 1
	for i := first; i < len(s.Types); i++ {
		p.TimeLL += lt
		p.MarkLL += math.Log(m.Rate[s.Types[i]]) - lt
		p.NumEvents++
	}
	p.TimeLL -= tot * math.Max(to-from, 0)
	p.LogLik = p.TimeLL + p.MarkLL
	return p
}

// Intensity writes the rates into out (the history is irrelevant) and
// returns it.
func (m *Model) Intensity(_ []float64, _ []int, _ float64, out []float64) []float64 {
	if cap(out) < len(m.Rate) {
		out = make([]float64, len(m.Rate))
	}
	out = out[:len(m.Rate)]
	copy(out, m.Rate)
	return out
}

// Compensator writes Rate[k]·(b − a) for every type into out and returns it.
func (m *Model) Compensator(_ []float64, _ []int, a, b float64, out []float64) []float64 {
	out = m.Intensity(nil, nil, 0, out)
	for i := range out {
		out[i] *= b - a
	}
	return out
}

// ReadParams reads a parameter file: {"rate": [...]}, or a data-set
// meta.json whose "true_params" holds it.
func ReadParams(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseParams(path, b)
}

// ParseParams is ReadParams on bytes already read; name is used in errors.
func ParseParams(name string, b []byte) (*Model, error) {
	if tb := bytes.TrimSpace(b); len(tb) == 0 || tb[0] != '{' {
		return nil, fmt.Errorf(`%s: want a JSON object {"rate": [...]}`, name)
	}
	var raw struct {
		Rate       []float64       `json:"rate"`
		TrueParams json.RawMessage `json:"true_params"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if raw.Rate == nil && len(raw.TrueParams) > 0 {
		return ParseParams(name+": true_params", raw.TrueParams)
	}
	if raw.Rate == nil {
		return nil, fmt.Errorf("%s: field rate: missing", name)
	}
	m := &Model{Rate: raw.Rate}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// WriteParams writes {"rate": [...]} to path atomically.
func (m *Model) WriteParams(path string) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteJSON(path, m)
}

// SaveParams writes RUNDIR/params.json atomically.
func (m *Model) SaveParams(dir string) error { return m.WriteParams(filepath.Join(dir, ParamsFile)) }

// LoadRun reads the model of a run directory (RUNDIR/params.json). info may
// be nil; when given, its NumTypes must match.
func LoadRun(dir string, info *runs.Info) (*Model, error) {
	path := filepath.Join(dir, ParamsFile)
	m, err := ReadParams(path)
	if err != nil {
		return nil, err
	}
	if info != nil && info.NumTypes != 0 && info.NumTypes != m.NumTypes() {
		return nil, fmt.Errorf("%s: %d types but run.json says num_types %d", path, m.NumTypes(), info.NumTypes)
	}
	return m, nil
}

func init() {
	runs.Register(Name, func(dir string, info *runs.Info) (any, error) { return LoadRun(dir, info) })
}
