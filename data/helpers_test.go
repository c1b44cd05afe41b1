package data

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// genOptions shapes a generated dataset.
type genOptions struct {
	seqs, maxLen, k int
	windows         bool // random non-default windows on some sequences
	ids             bool // non-default string IDs
	empty           bool // include sequences with no events
	offset          float64
}

// genDataset draws a random but valid dataset with awkward floats (long
// mantissas, ties, tiny gaps, large offsets).
func genDataset(seed uint64, g genOptions) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	ds := &Dataset{Name: "gen", NumTypes: g.k}
	for i := 0; i < g.seqs; i++ {
		n := 1 + rng.IntN(g.maxLen)
		if g.empty && i%7 == 3 {
			n = 0
		}
		s := Sequence{ID: strconv.Itoa(i), Times: make([]float64, n), Types: make([]int, n)}
		t := g.offset + rng.Float64()
		for j := 0; j < n; j++ {
			switch rng.IntN(10) {
			case 0: // tie
			case 1:
				t += math.Nextafter(t, math.Inf(1)) - t // smallest possible gap
			default:
				t += rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(5)-2))
			}
			s.Times[j] = t
			s.Types[j] = rng.IntN(g.k)
		}
		s.applyWindow(nil, nil)
		if g.windows && i%3 == 0 {
			s.Start = -rng.Float64() * 3
			if n > 0 {
				s.Start = math.Min(s.Start, s.Times[0])
			}
			s.End = DefaultEnd(s.Times, s.Start) + rng.Float64()*5
		}
		if g.ids && i%2 == 0 {
			s.ID = "user-" + strconv.Itoa(rng.IntN(1<<30)) + "-" + strconv.Itoa(i) + `,"x"`
		}
		ds.Seqs = append(ds.Seqs, s)
	}
	return ds
}

// sameSeqs fails the test unless a and b hold exactly the same sequences
// (float64 compared with ==, so every bit of every time must survive).
func sameSeqs(t *testing.T, what string, a, b *Dataset) {
	t.Helper()
	if a.NumTypes != b.NumTypes {
		t.Errorf("%s: NumTypes %d vs %d", what, a.NumTypes, b.NumTypes)
	}
	if len(a.Seqs) != len(b.Seqs) {
		t.Fatalf("%s: %d vs %d sequences", what, len(a.Seqs), len(b.Seqs))
	}
	for i := range a.Seqs {
		x, y := &a.Seqs[i], &b.Seqs[i]
		if x.ID != y.ID || x.Start != y.Start || x.End != y.End || len(x.Times) != len(y.Times) || len(x.Types) != len(y.Types) {
			t.Fatalf("%s: sequence %d differs:\n%+v\n%+v", what, i, *x, *y)
		}
		for j := range x.Times {
			if math.Float64bits(x.Times[j]) != math.Float64bits(y.Times[j]) || x.Types[j] != y.Types[j] {
				t.Fatalf("%s: sequence %d event %d: (%v,%d) vs (%v,%d)", what, i, j, x.Times[j], x.Types[j], y.Times[j], y.Types[j])
			}
		}
	}
}

// repoRoot walks up from the package directory to the one holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// sharedData returns ../shared/data relative to the repository root, or
// skips the test when it is absent.
func sharedData(t testing.TB) string {
	t.Helper()
	d := filepath.Join(repoRoot(t), "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("real data sets not available at %s (../shared/data from the repo root): %v", d, err)
	}
	return d
}

// wantLoadError checks err is a *LoadError mentioning the file, the line (if
// > 0) and the field (if non-empty), and that its message contains each of
// the extra fragments.
func wantLoadError(t *testing.T, err error, file string, line int, field string, frags ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error naming %s line %d field %q, got nil", file, line, field)
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("want *LoadError, got %T: %v", err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, file) {
		t.Errorf("error %q does not name file %s", msg, file)
	}
	if line > 0 {
		if le.Line != line || !strings.Contains(msg, "line "+strconv.Itoa(line)) {
			t.Errorf("error %q: line %d, want %d", msg, le.Line, line)
		}
	}
	if field != "" {
		if le.Field != field || !strings.Contains(msg, "field "+field) {
			t.Errorf("error %q: field %q, want %q", msg, le.Field, field)
		}
	}
	for _, f := range frags {
		if !strings.Contains(msg, f) {
			t.Errorf("error %q does not contain %q", msg, f)
		}
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func only(t *testing.T, m map[string]*Dataset) *Dataset {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("want one split, got %d", len(m))
	}
	for _, d := range m {
		return d
	}
	return nil
}
