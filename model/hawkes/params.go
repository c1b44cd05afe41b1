package hawkes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/gotpp/gotpp/internal/atomicfile"
)

// Params are the parameters of a K-type exponential-kernel Hawkes process:
//
//	λ_i(t) = Mu[i] + Σ_{t_j < t} Alpha[i][k_j] · Beta[i][k_j] · exp(−Beta[i][k_j] (t − t_j))
//
// Alpha[i][j] is the expected number of type-i children of one type-j event
// (the kernel integrates to Alpha[i][j]), Beta[i][j] the decay rate of that
// kernel. With ScalarBeta set every entry of Beta holds the same value and the
// JSON form writes it as one number.
//
// JSON form: {"mu": [K], "alpha": [[K]×K], "beta": number or [[K]×K]}.
type Params struct {
	Mu         []float64
	Alpha      [][]float64
	Beta       [][]float64
	ScalarBeta bool
}

// NewScalarParams builds Params with one decay rate shared by all kernels.
// The slices are copied.
func NewScalarParams(mu []float64, alpha [][]float64, beta float64) Params {
	k := len(mu)
	p := Params{Mu: append([]float64(nil), mu...), Alpha: cloneMatrix(alpha), ScalarBeta: true}
	p.Beta = make([][]float64, k)
	for i := range p.Beta {
		p.Beta[i] = make([]float64, k)
		for j := range p.Beta[i] {
			p.Beta[i][j] = beta
		}
	}
	return p
}

// NewMatrixParams builds Params with one decay rate per (target, source)
// pair. The slices are copied.
func NewMatrixParams(mu []float64, alpha, beta [][]float64) Params {
	return Params{Mu: append([]float64(nil), mu...), Alpha: cloneMatrix(alpha), Beta: cloneMatrix(beta)}
}

// K is the number of event types.
func (p Params) K() int { return len(p.Mu) }

// Clone returns a deep copy.
func (p Params) Clone() Params {
	return Params{Mu: append([]float64(nil), p.Mu...), Alpha: cloneMatrix(p.Alpha), Beta: cloneMatrix(p.Beta), ScalarBeta: p.ScalarBeta}
}

func cloneMatrix(a [][]float64) [][]float64 {
	if a == nil {
		return nil
	}
	out := make([][]float64, len(a))
	for i := range a {
		out[i] = append([]float64(nil), a[i]...)
	}
	return out
}

// Validate checks shapes and values: K ≥ 1, Alpha and Beta K×K, μ ≥ 0 and
// finite, α ≥ 0 and finite, β > 0 and finite, and (with ScalarBeta) all β
// entries equal. The error names the offending field and index.
func (p Params) Validate() error {
	k := len(p.Mu)
	if k == 0 {
		return errors.New("field mu: missing or empty")
	}
	for i, v := range p.Mu {
		if err := checkValue(v, false); err != nil {
			return fmt.Errorf("field mu[%d]: %v", i, err)
		}
	}
	if err := checkMatrix("alpha", p.Alpha, k, false); err != nil {
		return err
	}
	if err := checkMatrix("beta", p.Beta, k, true); err != nil {
		return err
	}
	if p.ScalarBeta {
		b := p.Beta[0][0]
		for i := range p.Beta {
			for j, v := range p.Beta[i] {
				if v != b {
					return fmt.Errorf("field beta[%d][%d]: %v differs from beta[0][0] = %v but beta is declared scalar", i, j, v, b)
				}
			}
		}
	}
	return nil
}

func checkValue(v float64, positive bool) error {
	switch {
	case math.IsNaN(v):
		return errors.New("is NaN")
	case math.IsInf(v, 0):
		return fmt.Errorf("not finite: %v", v)
	case positive && v <= 0:
		return fmt.Errorf("must be > 0, got %v", v)
	case v < 0:
		return fmt.Errorf("negative: %v", v)
	}
	return nil
}

func checkMatrix(name string, a [][]float64, k int, positive bool) error {
	if a == nil {
		return fmt.Errorf("field %s: missing", name)
	}
	if len(a) != k {
		return fmt.Errorf("field %s: has %d rows, want %d (one per event type, as mu)", name, len(a), k)
	}
	for i, row := range a {
		if len(row) != k {
			return fmt.Errorf("field %s[%d]: has %d entries, want %d", name, i, len(row), k)
		}
		for j, v := range row {
			if err := checkValue(v, positive); err != nil {
				return fmt.Errorf("field %s[%d][%d]: %v", name, i, j, err)
			}
		}
	}
	return nil
}

type paramsJSON struct {
	Mu    []float64       `json:"mu"`
	Alpha [][]float64     `json:"alpha"`
	Beta  json.RawMessage `json:"beta"`
}

// MarshalJSON writes {"mu":…, "alpha":…, "beta": number or matrix}.
func (p Params) MarshalJSON() ([]byte, error) {
	var beta any = p.Beta
	if p.ScalarBeta && len(p.Beta) > 0 && len(p.Beta[0]) > 0 {
		beta = p.Beta[0][0]
	}
	return json.Marshal(struct {
		Mu    []float64   `json:"mu"`
		Alpha [][]float64 `json:"alpha"`
		Beta  any         `json:"beta"`
	}{p.Mu, p.Alpha, beta})
}

// UnmarshalJSON reads the JSON form and validates it. A scalar beta is
// expanded to a K×K matrix with ScalarBeta set. Unknown keys are ignored.
func (p *Params) UnmarshalJSON(b []byte) error {
	var raw paramsJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.Mu == nil {
		return errors.New("field mu: missing")
	}
	if raw.Alpha == nil {
		return errors.New("field alpha: missing")
	}
	beta := bytes.TrimSpace(raw.Beta)
	if len(beta) == 0 || string(beta) == "null" {
		return errors.New("field beta: missing")
	}
	var q Params
	if beta[0] == '[' {
		var m [][]float64
		if err := json.Unmarshal(beta, &m); err != nil {
			return fmt.Errorf("field beta: want a number or a K×K matrix: %v", err)
		}
		q = NewMatrixParams(raw.Mu, raw.Alpha, m)
	} else {
		var s float64
		if err := json.Unmarshal(beta, &s); err != nil {
			return fmt.Errorf("field beta: want a number or a K×K matrix: %v", err)
		}
		q = NewScalarParams(raw.Mu, raw.Alpha, s)
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// ReadParams reads a parameter file. The file is either the JSON form of
// Params or a data-set meta.json whose "true_params" object holds it (as
// written by `tpp simulate`). Errors name the file (and line for syntax
// errors) and the field.
func ReadParams(path string) (Params, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Params{}, err
	}
	return ParseParams(path, b)
}

// ParseParams is ReadParams on bytes already read; name is used in errors.
func ParseParams(name string, b []byte) (Params, error) {
	if tb := bytes.TrimSpace(b); len(tb) > 0 && tb[0] != '{' {
		return Params{}, fmt.Errorf("%s: want a JSON object {\"mu\": ..., \"alpha\": ..., \"beta\": ...}", name)
	}
	var probe struct {
		TrueParams json.RawMessage `json:"true_params"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return Params{}, fmt.Errorf("%s: %s", name, describeJSONError(b, err))
	}
	src := b
	if len(probe.TrueParams) > 0 && string(probe.TrueParams) != "null" {
		src = probe.TrueParams
		name += ": true_params"
	}
	var p Params
	if err := json.Unmarshal(src, &p); err != nil {
		return Params{}, fmt.Errorf("%s: %s", name, describeJSONError(src, err))
	}
	return p, nil
}

// WriteParams writes p as indented JSON to path atomically.
func WriteParams(path string, p Params) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteJSON(path, p)
}

// describeJSONError turns encoding/json offsets into line:column positions.
func describeJSONError(b []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			return fmt.Sprintf("line %d: field %s: cannot use JSON %s as %s", lineOf(b, off), te.Field, te.Value, te.Type)
		}
	}
	if off >= 0 {
		return fmt.Sprintf("line %d: %v", lineOf(b, off), err)
	}
	return err.Error()
}

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + bytes.Count(b[:off], []byte{'\n'})
}
