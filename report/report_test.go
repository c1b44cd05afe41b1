package report

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func testPNG(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sample(t *testing.T) *Report {
	return &Report{
		Title: "gotpp <bench>",
		Sections: []Section{{
			Heading:    "taxi",
			Paragraphs: []string{"a & b"},
			Tables: []Table{{Caption: "results", Header: []string{"model", "LL"},
				Rows: [][]string{{"hawkes", "0.1"}, {"nhp", "0.3"}}, Bold: [][]bool{nil, {false, true}}}},
			Figures: []Figure{{Caption: "red", PNG: testPNG(t, color.RGBA{255, 0, 0, 255})},
				{Caption: "blue", PNG: testPNG(t, color.RGBA{0, 0, 255, 255})}},
		}},
	}
}

func TestRenderEscapesAndEmbeds(t *testing.T) {
	var buf bytes.Buffer
	if err := sample(t).Render(&buf); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if strings.Contains(s, "<bench>") || !strings.Contains(s, "&lt;bench&gt;") {
		t.Error("title not escaped")
	}
	if n := strings.Count(s, "data:image/png;base64,"); n != 2 {
		t.Errorf("embedded images = %d, want 2", n)
	}
	if !strings.Contains(s, "<b>0.3</b>") {
		t.Error("bold cell missing")
	}
}

func TestRenderRejectsNonPNG(t *testing.T) {
	r := &Report{Sections: []Section{{Figures: []Figure{{Caption: "x", PNG: []byte("GIF89a")}}}}}
	if err := r.Render(&bytes.Buffer{}); err == nil {
		t.Fatal("non-PNG figure accepted")
	}
	r = &Report{Sections: []Section{{Figures: []Figure{{Caption: "x", Path: "/nonexistent/x.png"}}}}}
	if err := r.Render(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "x") {
		t.Fatalf("missing figure file: err = %v", err)
	}
}

func TestMarkdown(t *testing.T) {
	tb := Table{Header: []string{"a", "b"}, Rows: [][]string{{"x|y", "2"}}, Bold: [][]bool{{false, true}}}
	want := "| a | b |\n|---|---|\n| x\\|y | **2** |\n"
	if got := tb.Markdown(); got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

// browser returns a headless Chromium binary or skips.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no headless Chromium on PATH (apt-get install chromium); skipping browser rendering test")
	return ""
}

// imageCheck is appended to the page under test: once the page has loaded it
// writes how many images decoded and how many are broken into the title.
const imageCheck = `<script>window.addEventListener('load',function(){var ok=0,bad=0;` +
	`for(const im of document.images){if(im.complete&&im.naturalWidth>0){ok++}else{bad++}}` +
	`document.title='IMAGES ok='+ok+' broken='+bad;});</script></body>`

func loadInBrowser(t *testing.T, bin, html string) (ok, broken string) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(strings.Replace(html, "</body>", imageCheck, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--virtual-time-budget=5000", "--dump-dom", "file://"+page)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`IMAGES ok=(\d+) broken=(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("page did not finish loading in the browser; DOM:\n%.500s", out)
	}
	return m[1], m[2]
}

// TestReportLoadsInBrowser opens a rendered report in headless Chromium and
// checks every embedded image decodes; a page with a corrupt image must be
// caught by the same check.
func TestReportLoadsInBrowser(t *testing.T) {
	bin := browser(t)
	var buf bytes.Buffer
	if err := sample(t).Render(&buf); err != nil {
		t.Fatal(err)
	}
	ok, broken := loadInBrowser(t, bin, buf.String())
	if ok != "2" || broken != "0" {
		t.Fatalf("images ok=%s broken=%s, want 2 and 0", ok, broken)
	}
	// The checker itself must see a broken image.
	bad := strings.Replace(buf.String(), "data:image/png;base64,", "data:image/png;base64,AAAA", 1)
	ok, broken = loadInBrowser(t, bin, bad)
	if broken != "1" {
		t.Fatalf("corrupt image not detected: ok=%s broken=%s", ok, broken)
	}
}
