package projectrunner

import (
	"strings"
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct{ expr, from, want string }{
		{"0 */6 * * *", "2026-11-23 05:59", "2026-11-23 06:00"},
		{"0 */6 * * *", "2026-11-23 06:00", "2026-11-23 12:00"},
		{"*/10 * * * *", "2026-11-23 06:01", "2026-11-23 06:10"},
		{"30 2 * * 1", "2026-11-23 03:00", "2026-11-30 02:30"}, // Monday
		{"0 0 1 * *", "2026-11-23 00:00", "2026-12-01 00:00"},
		{"0 0 1,15 * 0", "2026-11-23 00:00", "2026-11-29 00:00"}, // either day field matches
		{"15 8-10/2 * * *", "2026-11-23 08:15", "2026-11-23 10:15"},
		{"0 0 * * 7", "2026-11-23 00:00", "2026-11-29 00:00"}, // 7 is Sunday
		{"0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00"},
	}
	for _, tt := range tests {
		s, err := parseSchedule(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := s.next(at(tt.from)); !got.Equal(at(tt.want)) {
			t.Errorf("%q after %s = %s, want %s", tt.expr, tt.from, got.Format("2006-01-02 15:04"), tt.want)
		}
	}
	s, _ := parseSchedule("0 0 30 2 *")
	if got := s.next(at("2026-01-01 00:00")); !got.IsZero() {
		t.Errorf("30 February: got %s, want none", got)
	}
}

func TestScheduleErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"* * * *":     "want 5 fields",
		"60 * * * *":  "minute field",
		"* 24 * * *":  "hour field",
		"* * 0 * *":   "day of month field",
		"* * * 13 *":  "month field",
		"* * * * 8":   "day of week field",
		"*/0 * * * *": "step",
		"a * * * *":   "minute field",
		"5-1 * * * *": "minute field",
	} {
		_, err := parseSchedule(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to mention %q", expr, err, want)
		}
	}
}
