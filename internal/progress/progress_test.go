package progress

import (
	"strings"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	var out strings.Builder
	b := New(&out, "backfill", 1000, "rows")
	clock := b.start
	b.now = func() time.Time { return clock }
	clock = clock.Add(time.Second)
	b.Add(250)
	if got := b.Line(); !strings.Contains(got, " 25% [=======       ") || !strings.Contains(got, "250/1000 rows") || !strings.Contains(got, "250 rows/s") || !strings.Contains(got, "3s") {
		t.Fatalf("line %q", got)
	}
	b.Add(10) // same 10% step: no new line when not a terminal
	clock = clock.Add(3 * time.Second)
	b.Add(740)
	b.Finish()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "100%") || !strings.Contains(lines[1], "done in 4s") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestHuman(t *testing.T) {
	for v, want := range map[float64]string{12: "12", 12_345: "12.3k", 2_500_000: "2.50M", 3.2e9: "3.20G"} {
		if got := Human(v); got != want {
			t.Errorf("Human(%v) = %s, want %s", v, got, want)
		}
	}
}
