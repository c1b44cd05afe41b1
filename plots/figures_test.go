package plots

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
}

func dark(c color.Color) bool { return color.GrayModel.Convert(c).(color.Gray).Y < 200 }

func darkShare(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(img.At(x, y)) {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func TestLineFigureAndQQ(t *testing.T) {
	dir := t.TempDir()
	f := &LineFigure{Title: "curves", XLabel: "epoch", YLabel: "LL", Lines: []Line{
		{Label: "a", X: []float64{1, 2, 3}, Y: []float64{-2, -1.5, -1.2}, Points: true},
		{X: []float64{1, 2, 3}, Y: []float64{-2.1, -1.6, -1.3}, Thin: true, Dashed: true},
	}}
	p := filepath.Join(dir, "lines.png")
	if err := f.Save(p); err != nil {
		t.Fatal(err)
	}
	if s := darkShare(decodePNG(t, p)); s < 0.005 {
		t.Errorf("line figure looks empty (%.4f dark)", s)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	exp1 := make([]float64, 2000)
	for i := range exp1 {
		exp1[i] = rng.ExpFloat64()
	}
	q, err := QQExp1Figure("qq", []QQSample{{Label: "exp", X: exp1}, {Label: "doubled", X: scaled(exp1, 2)}}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Lines) != 2 || len(q.Lines[0].X) != 100 || !q.Diagonal {
		t.Fatalf("QQ figure: %d lines, %d points", len(q.Lines), len(q.Lines[0].X))
	}
	// An Exp(1) sample hugs the diagonal in the body; a doubled one lies
	// near y = 2x (the theoretical quantiles are those of Exp(1)).
	for j := 10; j < 90; j += 10 {
		x := q.Lines[0].X[j]
		if y := q.Lines[0].Y[j]; math.Abs(y-x) > 0.15 {
			t.Errorf("Exp(1) QQ point (%v, %v) far from the diagonal", x, y)
		}
		if y := q.Lines[1].Y[j]; math.Abs(y-2*x) > 0.3 {
			t.Errorf("2·Exp(1) QQ point (%v, %v) far from y = 2x", x, y)
		}
	}
	if err := q.Save(filepath.Join(dir, "qq.png")); err != nil {
		t.Fatal(err)
	}
	if _, err := QQExp1Figure("qq", []QQSample{{Label: "empty"}}, 10); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty sample: %v", err)
	}
}

func scaled(x []float64, c float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = c * v
	}
	return out
}

func TestLineFigureErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		f    LineFigure
		want string
	}{
		{LineFigure{}, "nothing to draw"},
		{LineFigure{Lines: []Line{{Label: "m", X: []float64{1}, Y: []float64{1, 2}}}}, `("m"): 1 x values, 2 y values`},
		{LineFigure{Lines: []Line{{Label: "n", X: []float64{1}, Y: []float64{math.Inf(1)}}}}, "not finite"},
		{LineFigure{LogY: true, Lines: []Line{{Label: "l", X: []float64{1}, Y: []float64{0}}}}, "log axis"},
		{LineFigure{Lines: []Line{{Label: "e"}}}, "no points"},
	}
	for _, c := range cases {
		if err := c.f.Save(filepath.Join(dir, "x.png")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error containing %q, got %v", c.want, err)
		}
	}
	ok := LineFigure{Lines: []Line{{X: []float64{1}, Y: []float64{1}}}}
	if err := ok.Save(filepath.Join(dir, "x.gif")); err == nil || !strings.Contains(err.Error(), "unknown image format") {
		t.Errorf("bad extension: %v", err)
	}
}

// barHeight counts the non-white pixels of column x above the bottom eighth
// of the image (where the axis labels are): for a column through a bar's
// centre that is the bar's drawn height plus a constant (axes, title).
func barHeight(img image.Image, x int) int {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y-b.Dy()/8; y++ {
		r, g, bb, _ := img.At(x, y).RGBA()
		if r < 0xf000 || g < 0xf000 || bb < 0xf000 {
			n++
		}
	}
	return n
}

func TestBarFigureHeights(t *testing.T) {
	dir := t.TempDir()
	for _, logY := range []bool{false, true} {
		f := &BarFigure{Title: "", YLabel: "events/s", LogY: logY, Bars: []Bar{
			{Label: "a", Value: 100}, {Label: "b", Value: 1000, Err: 100}, {Label: "c", Value: 10000},
		}}
		p := filepath.Join(dir, "bars.png")
		if err := f.Save(p); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, p)
		w := img.Bounds().Dx()
		// Data x spans [-0.6, 2.6] over the plotting area; bar centres are at
		// 0, 1, 2. Locate them approximately from the image width (the y axis
		// takes the left margin) and compare coloured heights.
		h := make([]int, 3)
		left, right := w/8, w-w/40
		for i := range h {
			x := left + int(float64(right-left)*(float64(i)+0.6)/3.2)
			h[i] = barHeight(img, x)
		}
		if !(h[0] < h[1] && h[1] < h[2]) {
			t.Errorf("log=%v: bar heights %v not increasing with the values", logY, h)
		}
		if logY {
			// Equal ratios give equal height steps on a log axis.
			d1, d2 := float64(h[1]-h[0]), float64(h[2]-h[1])
			if math.Abs(d1-d2) > 0.15*math.Max(d1, d2) {
				t.Errorf("log axis: height steps %v and %v differ for equal ratios", d1, d2)
			}
		} else if r := float64(h[2]) / float64(h[1]); r < 5 {
			t.Errorf("linear axis: 10× value drawn only %.1f× taller", r)
		}
	}
	for _, c := range []struct {
		f    BarFigure
		want string
	}{
		{BarFigure{}, "no bars"},
		{BarFigure{Bars: []Bar{{Label: "z", Value: math.NaN()}}}, "not finite"},
		{BarFigure{LogY: true, Bars: []Bar{{Label: "z", Value: 0}}}, "log axis"},
		{BarFigure{Bars: []Bar{{Label: "n", Value: -1}}}, "< 0"},
	} {
		if err := c.f.Save(filepath.Join(dir, "y.png")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error containing %q, got %v", c.want, err)
		}
	}
}
