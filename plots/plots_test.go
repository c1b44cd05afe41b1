package plots

import (
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/gotpp/gotpp/data"
)

func TestEventGrid(t *testing.T) {
	times := []float64{1, 2.5, 2.5, 9.99}
	g := EventGrid(0, 10, times, 11)
	if !sort.Float64sAreSorted(g) {
		t.Fatal("grid not sorted")
	}
	for i := 1; i < len(g); i++ {
		if g[i] == g[i-1] {
			t.Fatalf("duplicate grid point %v", g[i])
		}
	}
	has := func(v float64) bool {
		i := sort.SearchFloat64s(g, v)
		return i < len(g) && g[i] == v
	}
	for _, v := range []float64{0, 10, 5, 1, 2.5, 9.99, math.Nextafter(1, 2), math.Nextafter(2.5, 3)} {
		if !has(v) {
			t.Errorf("grid lacks %v", v)
		}
	}
	// 11 uniform points (1 coincides with an event), 3 distinct events, 3 right limits.
	if len(g) != 11+3+3-1 {
		t.Errorf("grid has %d points: %v", len(g), g)
	}
	if g[0] != 0 || g[len(g)-1] != 10 {
		t.Errorf("grid spans [%v, %v]", g[0], g[len(g)-1])
	}
}

func TestIntensityFigurePNG(t *testing.T) {
	seq := &data.Sequence{Times: []float64{1, 2, 4, 7}, Types: []int{0, 1, 0, 2}, Start: 0, End: 10}
	g := EventGrid(0, 10, seq.Times, 50)
	y := make([]float64, len(g))
	y2 := make([]float64, len(g))
	for i, x := range g {
		y[i] = 1 + math.Sin(x)
		y2[i] = 1.5
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "fig.png")
	f := &IntensityFigure{Title: "test", Series: []Series{{Label: "a", X: g, Y: y}, {Label: "b", X: g, Y: y2, Dashed: true}},
		Seq: seq, NumTypes: 3, Width: 10 * vg.Centimeter, Height: 6 * vg.Centimeter}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 200 || b.Dy() < 100 {
		t.Errorf("image is %dx%d", b.Dx(), b.Dy())
	}
	// The figure is not blank: a fair share of pixels is not white.
	nonWhite := 0
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for xx := b.Min.X; xx < b.Max.X; xx++ {
			if c := color.GrayModel.Convert(img.At(xx, yy)).(color.Gray); c.Y < 200 {
				nonWhite++
			}
		}
	}
	if nonWhite < b.Dx()*b.Dy()/200 {
		t.Errorf("only %d dark pixels: figure looks empty", nonWhite)
	}
	// Atomic write: no temporary files left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only fig.png", len(ents))
	}
	// SVG by extension.
	if err := f.Save(filepath.Join(dir, "fig.svg")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "fig.svg")); !strings.Contains(string(b), "<svg") {
		t.Error("fig.svg is not SVG")
	}
}

func TestIntensityFigureErrors(t *testing.T) {
	dir := t.TempDir()
	f := &IntensityFigure{Series: []Series{{Label: "bad", X: []float64{0, 1}, Y: []float64{1}}}}
	if err := f.Save(filepath.Join(dir, "x.png")); err == nil || !strings.Contains(err.Error(), `series "bad"`) {
		t.Errorf("length mismatch: %v", err)
	}
	f = &IntensityFigure{Series: []Series{{Label: "nan", X: []float64{0, 1}, Y: []float64{1, math.NaN()}}}}
	if err := f.Save(filepath.Join(dir, "x.png")); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("NaN: %v", err)
	}
	f = &IntensityFigure{Series: []Series{{X: []float64{0, 1}, Y: []float64{1, 2}}}}
	if err := f.Save(filepath.Join(dir, "x.bmpx")); err == nil || !strings.Contains(err.Error(), "unknown image format") {
		t.Errorf("bad extension: %v", err)
	}
	if err := f.Save(filepath.Join(dir, "missing", "x.png")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
