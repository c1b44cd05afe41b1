package runs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReadLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	info := &Info{Model: "unit-test-model", NumTypes: 3, Seed: 7, Options: map[string]any{"a": 1.5}}
	if err := WriteInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	got, err := ReadInfo(dir)
	if err != nil || got.Model != info.Model || got.NumTypes != 3 || got.Seed != 7 || got.Options["a"] != 1.5 {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Fatalf("unregistered model: %v", err)
	}
	Register("unit-test-model", func(d string, i *Info) (any, error) { return i.NumTypes * 2, nil })
	m, _, err := Load(dir)
	if err != nil || m.(int) != 6 {
		t.Fatalf("Load: %v, %v", m, err)
	}
	Register("unit-test-failing", func(string, *Info) (any, error) { return nil, errors.New("boom") })
	_ = WriteInfo(dir, &Info{Model: "unit-test-failing"})
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("loader error not wrapped with the directory: %v", err)
	}
}

func TestReadInfoErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadInfo(dir); err == nil {
		t.Error("missing run.json accepted")
	}
	os.WriteFile(filepath.Join(dir, InfoFile), []byte(`{"num_types": 2}`), 0o644)
	if _, err := ReadInfo(dir); err == nil || !strings.Contains(err.Error(), "field model") {
		t.Errorf("missing model field: %v", err)
	}
	os.WriteFile(filepath.Join(dir, InfoFile), []byte(`{"model": `), 0o644)
	if _, err := ReadInfo(dir); err == nil || !strings.Contains(err.Error(), InfoFile) {
		t.Errorf("truncated run.json: %v", err)
	}
}
