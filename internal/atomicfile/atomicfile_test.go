package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestFailedWriteLeavesOldFile: a fill that fails half-way leaves the old
// content and no temporary file behind.
func TestFailedWriteLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	if err := WriteJSON(p, map[string]int{"v": 1}); err != nil {
		t.Fatal(err)
	}
	err := Write(p, func(w io.Writer) error {
		w.Write([]byte(`{"v": 2, "half`))
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("failed fill reported success")
	}
	b, _ := os.ReadFile(p)
	if string(b) != "{\n  \"v\": 1\n}\n" {
		t.Errorf("old content changed: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("replace: %q", b)
	}
}
