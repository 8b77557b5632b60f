package features

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// cpuRow is a telemetry row of device "d" whose only non-zero metric is cpu_utilization.
func cpuRow(ts time.Time, cpu float64) tables.Telemetry {
	return tables.Telemetry{Timestamp: ts, Device: "d", CPUUtilization: cpu}
}

// epoch returns the Unix epoch plus d, so bucket boundaries are easy to read.
func epoch(d time.Duration) time.Time { return time.Unix(0, 0).UTC().Add(d) }

// win is the expected avg, min, max of cpu_utilization over 1h and 6h.
type win [numWindows][numOps]float64

func TestWindowSemantics(t *testing.T) {
	const m = time.Minute
	h := time.Hour
	tests := []struct {
		name string
		rows []tables.Telemetry
		want []win // per row
	}{
		{"first row is its own window",
			[]tables.Telemetry{cpuRow(epoch(3*m), 42)},
			[]win{{{42, 42, 42}, {42, 42, 42}}}},
		{"rows of one bucket accumulate",
			[]tables.Telemetry{cpuRow(epoch(0), 10), cpuRow(epoch(5*m), 20), cpuRow(epoch(10*m-1), 60)},
			[]win{{{10, 10, 10}, {10, 10, 10}}, {{15, 10, 20}, {15, 10, 20}}, {{30, 10, 60}, {30, 10, 60}}}},
		{"1h window keeps 6 buckets",
			[]tables.Telemetry{cpuRow(epoch(9*m), 10), cpuRow(epoch(h-1), 20), cpuRow(epoch(h+9*m), 30)},
			[]win{{{10, 10, 10}, {10, 10, 10}}, {{15, 10, 20}, {15, 10, 20}}, {{25, 20, 30}, {20, 10, 30}}}},
		{"6h window keeps 36 buckets",
			[]tables.Telemetry{cpuRow(epoch(0), 1), cpuRow(epoch(6*h-1), 3), cpuRow(epoch(6*h), 5)},
			[]win{{{1, 1, 1}, {1, 1, 1}}, {{3, 3, 3}, {2, 1, 3}}, {{4, 3, 5}, {4, 3, 5}}}},
		{"gap longer than 6h forgets everything",
			[]tables.Telemetry{cpuRow(epoch(0), 1), cpuRow(epoch(10*h), 7)},
			[]win{{{1, 1, 1}, {1, 1, 1}}, {{7, 7, 7}, {7, 7, 7}}}},
		{"equal timestamps are separate rows",
			[]tables.Telemetry{cpuRow(epoch(h), 2), cpuRow(epoch(h), 4)},
			[]win{{{2, 2, 2}, {2, 2, 2}}, {{3, 2, 4}, {3, 2, 4}}}},
		{"buckets before the epoch floor",
			[]tables.Telemetry{cpuRow(epoch(-65*m), 8), cpuRow(epoch(-1), 2), cpuRow(epoch(0), 5)},
			// -65m is bucket -7, -1ns is bucket -1, 0 is bucket 0: the 1h windows are -6..-1
			// and -5..0, so neither sees the first row.
			[]win{{{8, 8, 8}, {8, 8, 8}}, {{2, 2, 2}, {5, 2, 8}}, {{3.5, 2, 5}, {5, 2, 8}}}},
		{"window of a later row sees an empty middle",
			[]tables.Telemetry{cpuRow(epoch(0), 6), cpuRow(epoch(40*m), 2), cpuRow(epoch(2*h), 4)},
			[]win{{{6, 6, 6}, {6, 6, 6}}, {{4, 2, 6}, {4, 2, 6}}, {{4, 4, 4}, {4, 2, 6}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s State
			for i, r := range tt.rows {
				got, err := s.Update(r, Static{})
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				v := got.Vector()
				if v[0] != r.CPUUtilization {
					t.Errorf("row %d: raw cpu %v, want %v", i, v[0], r.CPUUtilization)
				}
				for w := range numWindows {
					for op := range numOps {
						if g, want := v[windowIndex(0, op, w)], tt.want[i][w][op]; g != want {
							t.Errorf("row %d: %s = %v, want %v", i, names[windowIndex(0, op, w)], g, want)
						}
					}
				}
			}
		})
	}
}

func TestUpdateRejects(t *testing.T) {
	ok := cpuRow(epoch(time.Hour), 50)
	tests := []struct {
		name     string
		row      tables.Telemetry
		sentinel error
		mention  []string // substrings of the message
	}{
		{"NaN latency", tables.Telemetry{Timestamp: ok.Timestamp, Device: "d", Latency: math.NaN()},
			ErrInvalidValue, []string{"latency", "NaN", `"d"`}},
		{"+Inf throughput", tables.Telemetry{Timestamp: ok.Timestamp, Device: "d", Throughput: math.Inf(1)},
			ErrInvalidValue, []string{"throughput", "+Inf"}},
		{"-Inf packet loss", tables.Telemetry{Timestamp: ok.Timestamp, Device: "d", PacketLoss: math.Inf(-1)},
			ErrInvalidValue, []string{"packet_loss"}},
		{"zero timestamp", cpuRow(time.Time{}, 1), ErrInvalidValue, []string{"timestamp"}},
		{"window sum overflow", cpuRow(ok.Timestamp, math.MaxFloat64), ErrInvalidValue,
			[]string{"cpu_utilization", "overflows"}},
		{"older row", cpuRow(ok.Timestamp.Add(-time.Millisecond), 1), ErrOutOfOrder,
			[]string{`"d"`, "1970-01-01T00:59:59.999Z", "1970-01-01T01:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s State
			if _, err := s.Update(ok, Static{}); err != nil {
				t.Fatal(err)
			}
			if tt.name == "window sum overflow" {
				if _, err := s.Update(cpuRow(ok.Timestamp, math.MaxFloat64), Static{}); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := s.MarshalBinary()
			_, err := s.Update(tt.row, Static{})
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			for _, sub := range tt.mention {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not mention %q", err, sub)
				}
			}
			if after, _ := s.MarshalBinary(); string(after) != string(before) {
				t.Error("failed update changed the state")
			}
		})
	}
}

// TestFailedUpdateLeavesNoTrace checks that a rejected row, even one that opens a new bucket
// evicting an old one, does not change later features.
func TestFailedUpdateLeavesNoTrace(t *testing.T) {
	rows := []tables.Telemetry{cpuRow(epoch(0), 1), cpuRow(epoch(5*time.Hour), 2)}
	bad := tables.Telemetry{Timestamp: epoch(6 * time.Hour), Device: "d", Latency: math.NaN()} // slot of bucket 0
	next := cpuRow(epoch(5*time.Hour+time.Minute), 3)

	var clean, dirty State
	for _, r := range rows {
		mustUpdate(t, &clean, r)
		mustUpdate(t, &dirty, r)
	}
	if _, err := dirty.Update(bad, Static{}); err == nil {
		t.Fatal("NaN accepted")
	}
	sameRows(t, []Row{mustUpdate(t, &dirty, next)}, []Row{mustUpdate(t, &clean, next)})
}

func mustUpdate(t *testing.T, s *State, r tables.Telemetry) Row {
	t.Helper()
	out, err := s.Update(r, Static{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestComputeErrorNamesRow(t *testing.T) {
	batch := []tables.Telemetry{cpuRow(epoch(time.Hour), 1), cpuRow(epoch(0), 2)}
	var oe *OrderError
	_, err := Compute(map[string]*State{}, nil, batch, nil)
	if !errors.As(err, &oe) || oe.Device != "d" || !oe.Got.Equal(epoch(0)) || !oe.Last.Equal(epoch(time.Hour)) {
		t.Fatalf("err = %v, want an OrderError for d", err)
	}
	if !strings.Contains(err.Error(), "telemetry row 1") {
		t.Errorf("error %q does not name the row", err)
	}
}

func TestLast(t *testing.T) {
	var s State
	if _, ok := s.Last(); ok {
		t.Fatal("zero state has a last row")
	}
	ts := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	mustUpdate(t, &s, cpuRow(ts, 1))
	if got, ok := s.Last(); !ok || !got.Equal(ts) {
		t.Fatalf("Last() = %v, %v; want %v", got, ok, ts)
	}
}

func TestDevices(t *testing.T) {
	batch := []tables.Telemetry{{Device: "b"}, {Device: "a"}, {Device: "b"}, {Device: "c"}, {Device: "a"}}
	got := Devices(batch)
	if strings.Join(got, ",") != "b,a,c" {
		t.Fatalf("Devices = %v, want [b a c]", got)
	}
}
