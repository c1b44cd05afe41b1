package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memWatch measures a section's peak memory (see the package documentation:
// both numbers are process-wide).
type memWatch struct {
	reset  bool
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	peakGo uint64
}

// startMemWatch returns freed heap to the OS, resets the RSS high-water mark
// (Linux) and starts sampling the Go runtime's memory every 10 ms.
func startMemWatch() *memWatch {
	debug.FreeOSMemory()
	w := &memWatch{stop: make(chan struct{}), reset: resetHWM()}
	w.peakGo = goMemory()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
	return w
}

func (w *memWatch) sample() {
	v := goMemory()
	w.mu.Lock()
	w.peakGo = max(w.peakGo, v)
	w.mu.Unlock()
}

// done stops the sampler and returns the peak RSS (0 when /proc is not
// available), whether the RSS peak was reset at the start, and the peak Go
// memory.
func (w *memWatch) done() (rss uint64, reset bool, goBytes uint64) {
	close(w.stop)
	w.wg.Wait()
	w.sample()
	return readHWM(), w.reset, w.peakGo
}

var goMemSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// goMemory is the memory the Go runtime has mapped and not released.
func goMemory() uint64 {
	s := make([]metrics.Sample, len(goMemSamples))
	copy(s, goMemSamples)
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// resetHWM resets VmHWM to the current RSS (Linux ≥ 4.0).
func resetHWM() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// readHWM reads VmHWM from /proc/self/status in bytes (0 if unavailable).
func readHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseHWM(b)
}

func parseHWM(status []byte) uint64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return v * 1024
	}
	return 0
}
