// Package report renders a self-contained HTML report: headings, tables and
// PNG figures embedded as data URIs, so a single file can be opened, mailed or
// archived without its neighbours. It uses only html/template from the
// standard library.
package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotpp/gotpp/internal/atomicfile"
)

// Report is the whole document.
type Report struct {
	Title    string
	Subtitle string
	Sections []Section
}

// Section is a heading followed by paragraphs, tables and figures, in that order.
type Section struct {
	Heading    string
	Paragraphs []string
	Tables     []Table
	Figures    []Figure
}

// Table is a simple table. Bold marks cells to emphasise (best per column):
// Bold[r][c] applies to Rows[r][c] when present.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
	Bold    [][]bool
}

// Figure is a PNG image with a caption. PNG holds the bytes; when it is nil,
// Path is read at render time.
type Figure struct {
	Caption string
	Path    string
	PNG     []byte
}

type cell struct {
	Text string
	Bold bool
}

type tableView struct {
	Caption string
	Header  []string
	Rows    [][]cell
}

type figureView struct {
	Caption string
	Src     template.URL
}

type sectionView struct {
	Heading    string
	Paragraphs []string
	Tables     []tableView
	Figures    []figureView
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{margin-bottom:.2em} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
figure{display:inline-block;margin:.5em;vertical-align:top}
figure img{max-width:560px;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444;max-width:560px}
nav a{margin-right:1em}
</style></head><body>
<h1>{{.Title}}</h1>{{if .Subtitle}}<p class="sub">{{.Subtitle}}</p>{{end}}
<nav>{{range $i, $s := .Sections}}<a href="#s{{$i}}">{{$s.Heading}}</a>{{end}}</nav>
{{range $i, $s := .Sections}}<section id="s{{$i}}"><h2>{{$s.Heading}}</h2>
{{range $s.Paragraphs}}<p>{{.}}</p>{{end}}
{{range $s.Tables}}<table>{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{if .Bold}}<b>{{.Text}}</b>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}
{{range $s.Figures}}<figure><img src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}</figcaption></figure>{{end}}
</section>{{end}}
</body></html>
`))

// Render writes the report's HTML to w. Figures are embedded as base64 PNG
// data URIs; a figure whose file is missing or is not a PNG is an error.
func (r *Report) Render(w io.Writer) error {
	view := struct {
		Title, Subtitle string
		Sections        []sectionView
	}{Title: r.Title, Subtitle: r.Subtitle}
	for _, s := range r.Sections {
		sv := sectionView{Heading: s.Heading, Paragraphs: s.Paragraphs}
		for _, t := range s.Tables {
			tv := tableView{Caption: t.Caption, Header: t.Header}
			for ri, row := range t.Rows {
				cells := make([]cell, len(row))
				for ci, txt := range row {
					cells[ci].Text = txt
					if ri < len(t.Bold) && ci < len(t.Bold[ri]) {
						cells[ci].Bold = t.Bold[ri][ci]
					}
				}
				tv.Rows = append(tv.Rows, cells)
			}
			sv.Tables = append(sv.Tables, tv)
		}
		for _, f := range s.Figures {
			b := f.PNG
			if b == nil {
				var err error
				if b, err = os.ReadFile(f.Path); err != nil {
					return fmt.Errorf("report: figure %q: %w", f.Caption, err)
				}
			}
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				name := f.Path
				if name == "" {
					name = f.Caption
				}
				return fmt.Errorf("report: figure %s is not a PNG", name)
			}
			src := "data:image/png;base64," + base64.StdEncoding.EncodeToString(b)
			sv.Figures = append(sv.Figures, figureView{Caption: f.Caption, Src: template.URL(src)})
		}
		view.Sections = append(view.Sections, sv)
	}
	return page.Execute(w, view)
}

// WriteFile renders the report to path atomically.
func (r *Report) WriteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, r.Render)
}

// Markdown renders a table as GitHub-flavoured Markdown (bold cells in **).
func (t *Table) Markdown() string {
	var sb strings.Builder
	if t.Caption != "" {
		sb.WriteString(t.Caption + "\n\n")
	}
	sb.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|")
	for range t.Header {
		sb.WriteString("---|")
	}
	sb.WriteString("\n")
	for ri, row := range t.Rows {
		sb.WriteString("|")
		for ci, c := range row {
			if ri < len(t.Bold) && ci < len(t.Bold[ri]) && t.Bold[ri][ci] {
				c = "**" + c + "**"
			}
			sb.WriteString(" " + strings.ReplaceAll(c, "|", "\\|") + " |")
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
