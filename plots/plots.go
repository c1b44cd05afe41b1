// Package plots draws gotpp's figures with gonum/plot: intensity curves of
// one sequence with its events as ticks (one row per type), written as PNG,
// SVG or PDF (chosen by the file extension) atomically.
package plots

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gotpp/gotpp/data"
	"github.com/gotpp/gotpp/internal/atomicfile"
)

// Series is one curve.
type Series struct {
	Label string
	X, Y  []float64
	// Dashed draws the curve dashed (e.g. for a ground truth).
	Dashed bool
}

// IntensityFigure is intensity curves over one sequence's window, with the
// sequence's events drawn as ticks below the curves.
type IntensityFigure struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Seq, when set, is drawn as event ticks, one row per type.
	Seq *data.Sequence
	// NumTypes is the number of tick rows (default: max type in Seq + 1).
	NumTypes int
	// TypeName names type k's tick row on the y axis (default "type k").
	TypeName func(k int) string
	// Width and Height default to 20 cm × 10 cm.
	Width, Height vg.Length
}

// Save draws the figure to path; the format follows the extension (.png,
// .svg, .pdf, .jpg, .tif). The file is written atomically.
func (f *IntensityFigure) Save(path string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	switch format {
	case "png", "svg", "pdf", "jpg", "jpeg", "tif", "tiff", "eps":
	default:
		return fmt.Errorf("plots: %s: unknown image format %q (want .png, .svg or .pdf)", path, format)
	}
	p, err := f.build()
	if err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	w, h := f.Width, f.Height
	if w <= 0 {
		w = 20 * vg.Centimeter
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

func (f *IntensityFigure) build() (*plot.Plot, error) {
	if len(f.Series) == 0 && f.Seq == nil {
		return nil, errors.New("nothing to draw")
	}
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	if p.X.Label.Text == "" {
		p.X.Label.Text = "time"
	}
	p.Y.Label.Text = f.YLabel
	if p.Y.Label.Text == "" {
		p.Y.Label.Text = "intensity"
	}
	p.Legend.Top = true
	ymax := 0.0
	for i, s := range f.Series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("series %q: %d x values, %d y values", s.Label, len(s.X), len(s.Y))
		}
		xy := make(plotter.XYs, len(s.X))
		for j := range s.X {
			if math.IsNaN(s.X[j]) || math.IsNaN(s.Y[j]) || math.IsInf(s.X[j], 0) || math.IsInf(s.Y[j], 0) {
				return nil, fmt.Errorf("series %q: point %d (%v, %v) is not finite", s.Label, j, s.X[j], s.Y[j])
			}
			xy[j].X, xy[j].Y = s.X[j], s.Y[j]
			ymax = math.Max(ymax, s.Y[j])
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", s.Label, err)
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.2)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		if s.Label != "" {
			p.Legend.Add(s.Label, l)
		}
	}
	if f.Seq != nil && len(f.Seq.Times) > 0 {
		k := f.NumTypes
		for _, t := range f.Seq.Types {
			k = max(k, t+1)
		}
		if ymax == 0 {
			ymax = 1
		}
		ticks := &eventTicks{seq: f.Seq, k: k, row: 0.07 * ymax}
		p.Add(ticks)
		names := make([]string, k)
		for j := range names {
			names[j] = fmt.Sprintf("type %d", j)
			if f.TypeName != nil {
				names[j] = f.TypeName(j)
			}
		}
		p.Y.Tick.Marker = rowTicks{names: names, row: ticks.row}
		p.X.Min = math.Min(p.X.Min, f.Seq.Start)
		p.X.Max = math.Max(p.X.Max, f.Seq.End)
	}
	// Head room above the curves for the legend.
	if ymax > 0 {
		p.Y.Max = math.Max(p.Y.Max, 1.3*ymax)
	}
	return p, nil
}

// rowTicks labels the y axis with the default numeric ticks above 0 and the
// event-row names below it.
type rowTicks struct {
	names []string
	row   float64
}

func (r rowTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(math.Max(lo, 0), hi) {
		if t.Value >= 0 {
			out = append(out, t)
		}
	}
	for k, n := range r.names {
		out = append(out, plot.Tick{Value: -(float64(k) + 1) * r.row, Label: n})
	}
	return out
}

// tickPalette holds well-separated colours for event rows.
var tickPalette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{148, 103, 189, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{140, 86, 75, 255},
	color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255}, color.RGBA{188, 189, 34, 255},
	color.RGBA{23, 190, 207, 255},
}

func tickColor(k int) color.Color { return tickPalette[k%len(tickPalette)] }

// eventTicks draws one short vertical line per event, in the row of its type
// below y = 0: row k is centred on y = −(k+1)·row.
type eventTicks struct {
	seq *data.Sequence
	k   int
	row float64 // height of one row in data units
}

func (e *eventTicks) DataRange() (xmin, xmax, ymin, ymax float64) {
	return e.seq.Start, e.seq.End, -(float64(e.k) + 0.5) * e.row, 0
}

func (e *eventTicks) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for n, t := range e.seq.Times {
		k := e.seq.Types[n]
		sty := draw.LineStyle{Color: tickColor(k), Width: vg.Points(0.8)}
		y0 := trY(-(float64(k) + 1.35) * e.row)
		y1 := trY(-(float64(k) + 0.65) * e.row)
		x := trX(t)
		c.StrokeLine2(sty, x, y0, x, y1)
	}
}

// EventGrid returns a sorted time grid over [start, end] for drawing
// intensities that jump at events: n evenly spaced points plus, for each
// event time t inside the window, t itself (where an intensity evaluated
// from strictly earlier events gives the left limit) and the next float64
// after t (the value after the jump).
func EventGrid(start, end float64, times []float64, n int) []float64 {
	if n < 2 {
		n = 2
	}
	g := make([]float64, 0, n+2*len(times))
	for i := 0; i < n; i++ {
		g = append(g, start+(end-start)*float64(i)/float64(n-1))
	}
	for _, t := range times {
		if t >= start && t <= end {
			g = append(g, t)
			if a := math.Nextafter(t, math.Inf(1)); a <= end {
				g = append(g, a)
			}
		}
	}
	sort.Float64s(g)
	// Drop exact duplicates (ties, grid points on events).
	out := g[:0]
	for i, v := range g {
		if i == 0 || v != g[i-1] {
			out = append(out, v)
		}
	}
	return out
}
