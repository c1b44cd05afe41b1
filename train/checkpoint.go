package train

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"

	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/params"
)

// File names inside a run directory.
const (
	CheckpointFile = "checkpoint.ckpt" // resumable state after the last completed epoch
	BestFile       = "best.params"     // parameters of the best dev epoch
	EpochsFile     = "epochs.jsonl"    // one EpochRecord per line
)

// Magic numbers of the two file kinds (see the package documentation).
const (
	checkpointMagic = "GOTPPCK1"
	paramsMagic     = "GOTPPPR1"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// writeWrap, when set (tests only), wraps the writer that the payload of the
// file at path goes through, so a test can make a write fail half-way.
var writeWrap func(path string, w io.Writer) io.Writer

// SavedParam is one parameter as stored in a file.
type SavedParam struct {
	Name  string
	Shape []int
	Value []float64
}

// snapshot copies the values of ps.
func snapshot(ps []*params.Param) []SavedParam {
	out := make([]SavedParam, len(ps))
	for i, p := range ps {
		out[i] = SavedParam{Name: p.Name, Shape: slices.Clone(p.Shape), Value: slices.Clone(p.Value)}
	}
	return out
}

// restore copies saved values into ps in place (parameter slices shared with
// clones stay shared). Names, order and sizes must match.
func restore(ps []*params.Param, saved []SavedParam, file string) error {
	if len(saved) != len(ps) {
		return fmt.Errorf("%s: holds %d parameters, model has %d", file, len(saved), len(ps))
	}
	for i, p := range ps {
		s := saved[i]
		if s.Name != p.Name {
			return fmt.Errorf("%s: parameter %d is %q, model has %q", file, i, s.Name, p.Name)
		}
		if len(s.Value) != len(p.Value) || !slices.Equal(s.Shape, p.Shape) {
			return fmt.Errorf("%s: parameter %s has shape %v (%d values), model has %v (%d)", file, p.Name, s.Shape, len(s.Value), p.Shape, len(p.Value))
		}
	}
	for i, p := range ps {
		copy(p.Value, saved[i].Value)
	}
	return nil
}

// writeEnvelope writes magic, payload length (uint64 little endian), the gob
// payload and its CRC-32C (uint32 little endian) atomically to path.
func writeEnvelope(path, magic string, v any) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(v); err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if writeWrap != nil {
			w = writeWrap(path, w)
		}
		var hdr [16]byte
		copy(hdr[:8], magic)
		binary.LittleEndian.PutUint64(hdr[8:], uint64(payload.Len()))
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := w.Write(payload.Bytes()); err != nil {
			return err
		}
		var sum [4]byte
		binary.LittleEndian.PutUint32(sum[:], crc32.Checksum(payload.Bytes(), castagnoli))
		_, err := w.Write(sum[:])
		return err
	})
}

// readEnvelope reads and verifies a file written by writeEnvelope.
func readEnvelope(path, magic string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) < 20 || string(b[:8]) != magic {
		return fmt.Errorf("%s: not a gotpp %s file (bad header)", path, kindName(magic))
	}
	n := binary.LittleEndian.Uint64(b[8:16])
	if n != uint64(len(b)-20) {
		return fmt.Errorf("%s: truncated or padded: header says %d payload bytes, file has %d", path, n, len(b)-20)
	}
	payload := b[16 : len(b)-4]
	want := binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.Checksum(payload, castagnoli); got != want {
		return fmt.Errorf("%s: checksum mismatch (stored %08x, computed %08x): file is corrupt", path, want, got)
	}
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(v); err != nil {
		return fmt.Errorf("%s: decoding: %w", path, err)
	}
	return nil
}

func kindName(magic string) string {
	if magic == checkpointMagic {
		return "checkpoint"
	}
	return "parameter"
}

// SaveParams writes the values of ps to path atomically (parameter file
// format, see the package documentation).
func SaveParams(path string, ps []*params.Param) error {
	return writeEnvelope(path, paramsMagic, snapshot(ps))
}

// LoadParams reads a parameter file into ps in place. Names, order and shapes
// must match; the error names the file and the parameter.
func LoadParams(path string, ps []*params.Param) error {
	var saved []SavedParam
	if err := readEnvelope(path, paramsMagic, &saved); err != nil {
		return err
	}
	return restore(ps, saved, path)
}

// checkpoint is everything a run needs to continue bit for bit.
type checkpoint struct {
	Version int
	Epoch   int // epochs completed
	Params  []SavedParam
	Adam    AdamState
	RNG     []byte // state of the PCG source that plans the batches

	HaveBest   bool
	BestEpoch  int
	BestDev    float64
	BestParams []SavedParam
	BadEpochs  int  // epochs since the best one
	Stopped    bool // early stopping fired

	Log         []EpochRecord
	Fingerprint fingerprint
}

// fingerprint holds what must not change between a run and its resumption.
type fingerprint struct {
	Seed        int64
	BatchSize   int
	MaxTokens   int
	Workers     int
	TrainSeqs   int
	TrainEvents int
	NumParams   int
}

func (f fingerprint) diff(g fingerprint) error {
	var d []string
	add := func(name string, a, b any) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %v (checkpoint) vs %v (now)", name, a, b))
		}
	}
	add("seed", f.Seed, g.Seed)
	add("batch size", f.BatchSize, g.BatchSize)
	add("token budget", f.MaxTokens, g.MaxTokens)
	add("workers", f.Workers, g.Workers)
	add("training sequences", f.TrainSeqs, g.TrainSeqs)
	add("training events", f.TrainEvents, g.TrainEvents)
	add("parameter count", f.NumParams, g.NumParams)
	if len(d) == 0 {
		return nil
	}
	return errors.New("resume would not continue the same run: " + fmt.Sprint(d))
}

const checkpointVersion = 1

func saveCheckpoint(path string, c *checkpoint) error {
	c.Version = checkpointVersion
	return writeEnvelope(path, checkpointMagic, c)
}

func loadCheckpoint(path string) (*checkpoint, error) {
	var c checkpoint
	if err := readEnvelope(path, checkpointMagic, &c); err != nil {
		return nil, err
	}
	if c.Version != checkpointVersion {
		return nil, fmt.Errorf("%s: checkpoint version %d, this build reads %d", path, c.Version, checkpointVersion)
	}
	return &c, nil
}
