package plots

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gotpp/gotpp/internal/atomicfile"
	"github.com/gotpp/gotpp/metrics"
)

// Line is one curve of a LineFigure.
type Line struct {
	Label string // legend entry; "" = none
	X, Y  []float64
	// Color picks the colour from gonum's default palette (plotutil.Color;
	// from the palette's second round on, lines are also dashed); lines
	// sharing a Color (e.g. several seeds of one model) look alike.
	Color  int
	Dashed bool
	Thin   bool // draw with a thinner pen (secondary curves)
	Points bool // mark every point with a dot
}

// LineFigure is a plain x–y line chart: learning curves, QQ plots.
type LineFigure struct {
	Title, XLabel, YLabel string
	Lines                 []Line
	// Diagonal draws the reference line y = x over the data range (QQ plots).
	Diagonal bool
	// LogY puts the y axis on a log scale (all y must then be > 0).
	LogY bool
	// IntegerX labels only whole numbers on the x axis (epochs).
	IntegerX bool
	// LegendLeft and LegendBottom move the legend from the top right.
	LegendLeft, LegendBottom bool
	// Width and Height default to 16 cm × 10 cm.
	Width, Height vg.Length
}

// Save draws the figure to path (format from the extension, as
// IntensityFigure.Save), atomically.
func (f *LineFigure) Save(path string) error {
	p, err := f.build()
	if err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	return savePlot(p, path, f.Width, f.Height)
}

func (f *LineFigure) build() (*plot.Plot, error) {
	if len(f.Lines) == 0 {
		return nil, errors.New("nothing to draw")
	}
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	p.Legend.Top = !f.LegendBottom
	p.Legend.Left = f.LegendLeft
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, ln := range f.Lines {
		if len(ln.X) != len(ln.Y) {
			return nil, fmt.Errorf("line %d (%q): %d x values, %d y values", i, ln.Label, len(ln.X), len(ln.Y))
		}
		if len(ln.X) == 0 {
			return nil, fmt.Errorf("line %d (%q): no points", i, ln.Label)
		}
		xy := make(plotter.XYs, len(ln.X))
		for j := range ln.X {
			x, y := ln.X[j], ln.Y[j]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				return nil, fmt.Errorf("line %d (%q): point %d (%v, %v) is not finite", i, ln.Label, j, x, y)
			}
			if f.LogY && y <= 0 {
				return nil, fmt.Errorf("line %d (%q): point %d has y = %v, not > 0 on a log axis", i, ln.Label, j, y)
			}
			xy[j].X, xy[j].Y = x, y
			lo, hi = math.Min(lo, math.Min(x, y)), math.Max(hi, math.Max(x, y))
		}
		col := plotutil.Color(ln.Color)
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("line %d (%q): %w", i, ln.Label, err)
		}
		l.Color = col
		l.Width = vg.Points(1.4)
		if ln.Thin {
			l.Width = vg.Points(0.7)
		}
		switch {
		case ln.Dashed:
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		case ln.Color >= len(plotutil.DefaultColors):
			// The palette repeats: tell the second round apart by dashes.
			l.Dashes = plotutil.Dashes(ln.Color / len(plotutil.DefaultColors))
		}
		p.Add(l)
		var thumb plot.Thumbnailer = l
		if ln.Points {
			s, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, fmt.Errorf("line %d (%q): %w", i, ln.Label, err)
			}
			s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
			p.Add(s)
		}
		if ln.Label != "" {
			p.Legend.Add(ln.Label, thumb)
		}
	}
	if f.Diagonal {
		d, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
		if err != nil {
			return nil, err
		}
		d.Color = color.Gray{Y: 120}
		d.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(d)
		p.Legend.Add("y = x", d)
	}
	if f.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if f.IntegerX {
		p.X.Tick.Marker = integerTicks{}
	}
	return p, nil
}

// integerTicks keeps the default ticks that fall on whole numbers, adding
// every whole number when the range holds fewer than two of them.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value == math.Trunc(t.Value) {
			out = append(out, t)
		}
	}
	if len(out) < 2 {
		out = out[:0]
		for v := math.Ceil(lo); v <= hi; v++ {
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
	}
	return out
}

// QQSample is one named sample for QQExp1Figure.
type QQSample struct {
	Label string
	X     []float64
}

// QQExp1Figure is a QQ plot of each sample against Exp(1) (metrics.QQExp1,
// at most maxPoints order statistics per sample) with the diagonal: for
// time-rescaled inter-event gaps a calibrated model lies on it.
func QQExp1Figure(title string, samples []QQSample, maxPoints int) (*LineFigure, error) {
	f := &LineFigure{Title: title, XLabel: "Exp(1) quantile", YLabel: "rescaled gap quantile", Diagonal: true, LegendLeft: true}
	for i, s := range samples {
		pts, err := metrics.QQExp1(s.X, maxPoints)
		if err != nil {
			return nil, fmt.Errorf("plots: QQ sample %q: %w", s.Label, err)
		}
		ln := Line{Label: s.Label, Color: i}
		for _, q := range pts {
			ln.X = append(ln.X, q.Theoretical)
			ln.Y = append(ln.Y, q.Empirical)
		}
		f.Lines = append(f.Lines, ln)
	}
	return f, nil
}

// Bar is one bar of a BarFigure.
type Bar struct {
	Label string
	Value float64
	// Err draws a whisker from Value−Err to Value+Err (0 = none), e.g. a
	// standard deviation over seeds.
	Err float64
}

// BarFigure is a bar chart of named values (e.g. throughput per model).
type BarFigure struct {
	Title, YLabel string
	Bars          []Bar
	// LogY puts the y axis on a log scale (values must be > 0); the bars
	// then rise from one decade below the smallest value's decade.
	LogY bool
	// Width and Height default to 16 cm × 10 cm.
	Width, Height vg.Length
}

// Save draws the figure to path (format from the extension), atomically.
func (f *BarFigure) Save(path string) error {
	p, err := f.build()
	if err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	return savePlot(p, path, f.Width, f.Height)
}

func (f *BarFigure) build() (*plot.Plot, error) {
	if len(f.Bars) == 0 {
		return nil, errors.New("no bars")
	}
	lo, hi := math.Inf(1), 0.0
	names := make([]string, len(f.Bars))
	for i, b := range f.Bars {
		if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) || math.IsNaN(b.Err) || math.IsInf(b.Err, 0) || b.Err < 0 {
			return nil, fmt.Errorf("bar %d (%q): value %v ± %v is not finite", i, b.Label, b.Value, b.Err)
		}
		if f.LogY && b.Value <= 0 {
			return nil, fmt.Errorf("bar %d (%q): value %v, not > 0 on a log axis", i, b.Label, b.Value)
		}
		if b.Value < 0 {
			return nil, fmt.Errorf("bar %d (%q): value %v < 0", i, b.Label, b.Value)
		}
		lo, hi = math.Min(lo, b.Value-b.Err), math.Max(hi, b.Value+b.Err)
		names[i] = b.Label
	}
	base := 0.0
	if f.LogY {
		m := lo
		for _, b := range f.Bars {
			m = math.Min(m, b.Value)
		}
		// One decade below the smallest value's decade, so that every bar
		// is at least a decade tall.
		base = math.Pow(10, math.Floor(math.Log10(m))-1)
	}
	p := plot.New()
	p.Title.Text = f.Title
	p.Y.Label.Text = f.YLabel
	p.Add(&bars{bars: f.Bars, base: base})
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(f.Bars))-0.4
	if f.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min, p.Y.Max = base, math.Max(hi, base*10)*1.5
	} else {
		p.Y.Min, p.Y.Max = 0, math.Max(hi, 1e-300)*1.1
	}
	return p, nil
}

// bars draws one rectangle per value at x = 0, 1, ..., rising from base,
// with optional error whiskers. (gonum's BarChart always rises from 0, which
// a log axis cannot show.)
type bars struct {
	bars []Bar
	base float64
}

const barWidth = 0.6 // in x data units (bar spacing is 1)

func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = b.base, b.base
	for _, v := range b.bars {
		ymax = math.Max(ymax, v.Value+v.Err)
	}
	return -barWidth, float64(len(b.bars)-1) + barWidth, ymin, ymax
}

func (b *bars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	for i, v := range b.bars {
		x0, x1 := trX(float64(i)-barWidth/2), trX(float64(i)+barWidth/2)
		y0, y1 := trY(b.base), trY(v.Value)
		rect := c.ClipPolygonY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		c.FillPolygon(plotutil.Color(i), rect)
		c.StrokeLines(line, c.ClipLinesY(append(rect, rect[0]))...)
		if v.Err > 0 {
			xm := trX(float64(i))
			lo := math.Max(v.Value-v.Err, b.base)
			ylo, yhi := trY(lo), trY(v.Value+v.Err)
			c.StrokeLine2(line, xm, ylo, xm, yhi)
			w := (x1 - x0) / 4
			c.StrokeLine2(line, xm-w, ylo, xm+w, ylo)
			c.StrokeLine2(line, xm-w, yhi, xm+w, yhi)
		}
	}
}

// savePlot writes p to path (format from the extension) atomically; w and h
// default to 16 cm × 10 cm.
func savePlot(p *plot.Plot, path string, w, h vg.Length) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	switch format {
	case "png", "svg", "pdf", "jpg", "jpeg", "tif", "tiff", "eps":
	default:
		return fmt.Errorf("plots: %s: unknown image format %q (want .png, .svg or .pdf)", path, format)
	}
	if w <= 0 {
		w = 16 * vg.Centimeter
	}
	if h <= 0 {
		h = 10 * vg.Centimeter
	}
	wt, err := p.WriterTo(w, h, format)
	if err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	return atomicfile.Write(path, func(out io.Writer) error {
		_, err := wt.WriteTo(out)
		return err
	})
}
