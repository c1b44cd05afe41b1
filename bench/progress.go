package bench

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/gotpp/gotpp/train"
)

// progress shows cells done/total, the current cell, the elapsed time and
// an estimate of the time left: a progress bar on a terminal, plain lines
// otherwise. The estimate is the mean time of the cells computed so far
// (skipped cells excluded) times the cells left. A nil *progress does
// nothing.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	bar    *progressbar.ProgressBar
	total  int
	done   int
	start  time.Time
	work   time.Duration // time of computed cells
	worked int           // computed cells
	cur    string
	cellT0 time.Time
}

func newProgress(w io.Writer, total int) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	return p
}

func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// times renders "elapsed X, ~Y left".
func (p *progress) times() string {
	el := time.Since(p.start)
	s := "elapsed " + fmtDur(el)
	left := p.total - p.done
	switch {
	case left == 0:
	case p.worked == 0:
		s += ", time left unknown"
	default:
		eta := p.work / time.Duration(p.worked) * time.Duration(left)
		if !p.cellT0.IsZero() { // part of the current cell is done
			eta -= min(time.Since(p.cellT0), p.work/time.Duration(p.worked))
		}
		s += ", ~" + fmtDur(max(eta, 0)) + " left"
	}
	return s
}

func (p *progress) say(msg string) {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s  %s (%s)", p.cur, msg, p.times()))
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: %s (%s)\n", p.done+1, p.total, p.cur, msg, p.times())
}

func (p *progress) startCell(key string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.cellT0 = key, time.Now()
	p.say("training")
}

func (p *progress) epoch(rec train.EpochRecord, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	dev := "n/a"
	if rec.DevLogLik != nil {
		dev = fmt.Sprintf("%.4f", *rec.DevLogLik)
	}
	p.say(fmt.Sprintf("epoch %d/%d, train loss %.4f, dev LL/event %s", rec.Epoch, total, rec.TrainLoss, dev))
}

func (p *progress) status(what string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.say("evaluating " + what)
}

// finishCell records a cell as done; skipped cells were done earlier.
func (p *progress) finishCell(key string, skipped bool, failed string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur = key
	msg := "done earlier, skipped"
	if !skipped {
		d := time.Since(p.cellT0)
		p.work += d
		p.worked++
		msg = "done in " + fmtDur(d)
		if failed != "" {
			msg = "FAILED after " + fmtDur(d) + ": " + failed
		}
	}
	p.cellT0 = time.Time{}
	if p.bar != nil {
		p.done++
		p.bar.Describe(fmt.Sprintf("%s %s (%s)", key, msg, p.times()))
		_ = p.bar.Add(1)
		if failed != "" {
			fmt.Fprintf(p.w, "\n%s: %s\n", key, msg)
		}
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: %s", p.done+1, p.total, key, msg)
	p.done++
	fmt.Fprintf(p.w, " (%s)\n", p.times())
}

func (p *progress) note(format string, a ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, format+"\n", a...)
}

func (p *progress) close() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Finish()
	fmt.Fprintln(p.w)
}
