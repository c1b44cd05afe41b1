package data

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchData is a generated data set of 2000 sequences, about 100k events.
func benchData() *Dataset {
	return genDataset(42, genOptions{seqs: 2000, maxLen: 100, k: 20, offset: 1e3})
}

func benchRead(b *testing.B, f Format, gz bool) {
	ds := benchData()
	var buf bytes.Buffer
	if err := Write(&buf, f, gz, map[string]*Dataset{"train": ds}); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "train"+f.Ext(gz))
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	n := ds.NumEvents()
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ReadFile(p, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func benchWrite(b *testing.B, f Format, gz bool) {
	ds := benchData()
	n := ds.NumEvents()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Write(io.Discard, f, gz, map[string]*Dataset{"train": ds}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkLoadJSONL(b *testing.B)    { benchRead(b, JSONL, false) }
func BenchmarkLoadJSONLGz(b *testing.B)  { benchRead(b, JSONL, true) }
func BenchmarkLoadCSV(b *testing.B)      { benchRead(b, CSV, false) }
func BenchmarkLoadHFJSON(b *testing.B)   { benchRead(b, HFJSON, false) }
func BenchmarkLoadPickle(b *testing.B)   { benchRead(b, Pickle, false) }
func BenchmarkWriteJSONL(b *testing.B)   { benchWrite(b, JSONL, false) }
func BenchmarkWriteJSONLGz(b *testing.B) { benchWrite(b, JSONL, true) }
func BenchmarkWriteCSV(b *testing.B)     { benchWrite(b, CSV, false) }
func BenchmarkWriteHFJSON(b *testing.B)  { benchWrite(b, HFJSON, false) }
func BenchmarkWritePickle(b *testing.B)  { benchWrite(b, Pickle, false) }

// BenchmarkLoadRealDir loads the largest shared data set (stackoverflow,
// ~330k events) when it is present.
func BenchmarkLoadRealDir(b *testing.B) {
	dir := filepath.Join(sharedData(b), "stackoverflow")
	if _, err := os.Stat(dir); err != nil {
		b.Skip("stackoverflow data set absent")
	}
	n := 0
	for i := 0; i < b.N; i++ {
		all, err := LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for _, ds := range all {
			n += ds.NumEvents()
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkComputeStats(b *testing.B) {
	ds := benchData()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ComputeStats(ds)
	}
	b.ReportMetric(float64(ds.NumEvents())*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
