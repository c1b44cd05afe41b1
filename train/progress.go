package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// bar is the per-epoch progress bar; a nil *bar does nothing.
type bar struct {
	pb    *progressbar.ProgressBar
	label string
}

// newBar returns a progress bar on w when w is a terminal and quiet is off,
// and nil otherwise (logs, pipes and tests get the per-epoch lines only).
func newBar(w io.Writer, quiet bool, batches, epoch, total int) *bar {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	label := fmt.Sprintf("epoch %d/%d", epoch, total)
	pb := progressbar.NewOptions(batches,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
	return &bar{pb: pb, label: label}
}

// update advances the bar by one batch and shows the running loss and speed.
func (b *bar) update(loss, eventsPerSec float64) {
	if b == nil {
		return
	}
	b.pb.Describe(fmt.Sprintf("%s loss %.4f %.0f ev/s", b.label, loss, eventsPerSec))
	b.pb.Add(1)
}

func (b *bar) finish() {
	if b == nil {
		return
	}
	b.pb.Finish()
}
