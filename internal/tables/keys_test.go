package tables

import (
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	ts := time.Date(2026, 11, 22, 13, 59, 59, 0, time.FixedZone("CET", 3600))
	k := Key("telemetry", ts, "b1")
	if k != "telemetry/date=2026-11-22/hour=12/b1.parquet" {
		t.Fatalf("Key = %s", k)
	}
	h, ok := KeyHour(k)
	if !ok || !h.Equal(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("KeyHour = %v %v", h, ok)
	}
	for _, bad := range []string{"telemetry/x.parquet", "date=2026-13-01/hour=00/x", "date=2026-11-22/hour=", ""} {
		if _, ok := KeyHour(bad); ok {
			t.Errorf("KeyHour(%q) accepted", bad)
		}
	}
}
