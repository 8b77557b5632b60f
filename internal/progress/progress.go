// Package progress draws a progress bar for long command-line jobs (backfills, feature builds):
// percentage, count, rate and time left, redrawn in place on a terminal and as occasional lines
// otherwise (CI logs).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Bar tracks progress towards a total. It is safe for concurrent use.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int64
	done     int64
	start    time.Time
	last     time.Time
	lastPct  int
	terminal bool
	now      func() time.Time
}

// New starts a bar on w (usually os.Stderr) counting unit (e.g. "rows") towards total.
func New(w io.Writer, label string, total int64, unit string) *Bar {
	b := &Bar{w: w, label: label, unit: unit, total: max(total, 1), now: time.Now, lastPct: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.terminal = true
		}
	}
	b.start = b.now()
	return b
}

// Add records n more units done and redraws when due.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	now := b.now()
	pct := int(100 * b.done / b.total)
	if b.terminal && now.Sub(b.last) < 150*time.Millisecond {
		return
	}
	if !b.terminal && (pct/10 == b.lastPct/10 || b.done >= b.total) { // Finish draws the last line
		return
	}
	b.last, b.lastPct = now, pct
	b.draw(now)
}

// Finish draws the final state and ends the line.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw(b.now())
	fmt.Fprintln(b.w)
}

// Line renders the bar's current state.
func (b *Bar) Line() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.line(b.now())
}

func (b *Bar) draw(now time.Time) {
	if b.terminal {
		fmt.Fprint(b.w, "\r"+b.line(now)+"\x1b[K")
	} else {
		fmt.Fprintln(b.w, b.line(now))
	}
}

func (b *Bar) line(now time.Time) string {
	const width = 30
	frac := min(float64(b.done)/float64(b.total), 1)
	filled := int(frac * width)
	elapsed := now.Sub(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done) / elapsed
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(b.total-b.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	if b.done >= b.total {
		eta = "done in " + time.Duration(elapsed*float64(time.Second)).Round(10*time.Millisecond).String()
	}
	return fmt.Sprintf("%s %3d%% [%s%s] %s/%s %s  %s %s/s  %s", b.label, int(frac*100),
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		Human(float64(b.done)), Human(float64(b.total)), b.unit, Human(rate), b.unit, eta)
}

// Human formats a count with a k/M/G suffix.
func Human(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
