package preprocessor

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

var t0 = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

// row is a telemetry row of device d at t0 + s seconds.
func row(d string, s int, cpu float64) tables.Telemetry {
	return tables.Telemetry{Timestamp: t0.Add(time.Duration(s) * time.Second), Device: d,
		CPUUtilization: cpu, Latency: 1, PacketLoss: 0.5, Throughput: 250}
}

const (
	dev1    = "0000000000001"
	dev2    = "0000000000002"
	unknown = "0000000000099"
)

var fleet = []tables.Device{{Device: dev1, Models: 3, Country: "C"}, {Device: dev2, Models: 8, Country: "G"}}

// TestRejected covers input no retry can fix (permanent: dead-lettered) and input a retry may
// fix (retryable); either way nothing is written and the message says what and where.
func TestRejected(t *testing.T) {
	type noLatency struct {
		Timestamp      time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Device         string    `parquet:"device"`
		CPUUtilization float64   `parquet:"cpu_utilization"`
		PacketLoss     float64   `parquet:"packet_loss"`
		Throughput     float64   `parquet:"throughput"`
	}
	type textLatency struct {
		Timestamp      time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Device         string    `parquet:"device"`
		CPUUtilization float64   `parquet:"cpu_utilization"`
		Latency        string    `parquet:"latency"`
		PacketLoss     float64   `parquet:"packet_loss"`
		Throughput     float64   `parquet:"throughput"`
	}
	const key = "telemetry/date=2026-11-22/hour=13/in.parquet"
	good := []tables.Telemetry{row(dev1, 0, 1), row(dev2, 0, 2), row(dev1, 5, 3)}
	put := func(v any) func(*env) {
		return func(e *env) {
			var err error
			switch rows := v.(type) {
			case []byte:
				err = blob.PutBytes(context.Background(), e.store, key, rows)
			case []tables.Telemetry:
				err = tables.Put(context.Background(), e.store, key, rows)
			case []noLatency:
				err = tables.Put(context.Background(), e.store, key, rows)
			case []textLatency:
				err = tables.Put(context.Background(), e.store, key, rows)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name      string
		setup     func(e *env)
		rows      int64 // the event's row count
		devices   []tables.Device
		permanent bool
		want      []string // substrings of the error
	}{
		{"missing object", func(*env) {}, 3, fleet, false, []string{key, "not found"}},
		{"missing column", put([]noLatency{{Device: dev1}}), 1, fleet, true, []string{key, `missing column "latency"`}},
		{"wrong type", put([]textLatency{{Device: dev1, Latency: "high"}}), 1, fleet, true, []string{key, `column "latency"`}},
		{"corrupt object", put([]byte("PAR1 not parquet PAR1")), 1, fleet, true, []string{key, "corrupt parquet"}},
		{"row count", put(good), 4, fleet, true, []string{key, "holds 3 rows", "says 4"}},
		{"out of order", put([]tables.Telemetry{row(dev1, 0, 1), row(dev2, 9, 1), row(dev2, 8, 1)}), 3, fleet, true,
			[]string{key, "device " + dev2, "row 2 at 2026-11-22T13:00:08Z is older than row 1 at 2026-11-22T13:00:09Z"}},
		{"corrupt state", func(e *env) {
			put(good)(e)
			e.restore(e.cfg.StateBucket, map[string][]byte{dev2: {recordVersion, 1, 'x', formWhole, 1, 9, 9, 9}})
		}, 3, fleet, true, []string{key, "state of device " + dev2, "bad feature state encoding"}},
		{"state from a newer build", func(e *env) {
			put(good)(e)
			e.restore(e.cfg.StateBucket, map[string][]byte{dev1: {recordVersion + 1}})
		}, 3, fleet, false, []string{"state of device " + dev1, "written by a newer build: record version 2, this build reads 1"}},
		{"state of an unknown version", func(e *env) {
			put(good)(e)
			e.restore(e.cfg.StateBucket, map[string][]byte{dev1: {0}})
		}, 3, fleet, true, []string{"state of device " + dev1, "record version 0, this build reads 1"}},
		{"missing device table", put(good), 3, nil, false, []string{"devices table devices/devices.parquet", "not found"}},
		{"corrupt device table", func(e *env) {
			put(good)(e)
			if err := blob.PutBytes(context.Background(), e.store, e.cfg.DevicesKey, []byte("PAR1 junk PAR1")); err != nil {
				t.Fatal(err)
			}
		}, 3, nil, false, []string{"devices table is unusable", "devices/devices.parquet", "corrupt parquet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fileEnv(t)
			p := e.instance()
			if tt.devices != nil {
				e.putDevices(tt.devices)
			}
			tt.setup(e)
			seqs := e.lastSeqs()
			in := e.event("in-1", &events.Batch{Key: key, Rows: tt.rows, From: t0, To: t0, SchemaVersion: events.SchemaVersion})
			_, err := p.handle(context.Background(), in)
			checkErr(t, err, tt.permanent, tt.want...)
			if e.lastSeqs() != seqs {
				t.Error("a rejected batch wrote to KV")
			}
			if infos, err := e.store.List(context.Background(), "features/"); err != nil || len(infos) != 0 {
				t.Errorf("a rejected batch wrote %v (%v)", infos, err)
			}
		})
	}

	t.Run("invalid payload", func(t *testing.T) {
		e := fileEnv(t)
		in := cloudevents.New()
		in.SetID("bad")
		in.SetType(events.TelemetryBatch)
		in.SetSource("/test")
		if err := in.SetData(cloudevents.ApplicationJSON, map[string]any{"key": key, "rows": 1, "from": t0, "to": t0, "schema_version": 7}); err != nil {
			t.Fatal(err)
		}
		_, err := e.instance().handle(context.Background(), in)
		checkErr(t, err, true, "invalid payload", "schema_version: 7")
	})
}

func checkErr(t *testing.T, err error, permanent bool, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if fault.IsPermanent(err) != permanent {
		t.Errorf("permanent = %v, want %v: %v", fault.IsPermanent(err), permanent, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// TestSkipped covers rows that are skipped and counted while the rest of the batch goes on; the
// features of the rows kept are those of an offline pass over the kept rows alone.
func TestSkipped(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	withLatency := func(r tables.Telemetry, x float64) tables.Telemetry { r.Latency = x; return r }
	tests := []struct {
		name    string
		prior   []tables.Telemetry // a batch handled before
		rows    []tables.Telemetry
		keep    []int          // positions of rows with a feature row
		skipped map[string]int // by reason
		unknown int
	}{
		{name: "clean", rows: []tables.Telemetry{row(dev1, 0, 1), row(dev2, 0, 2), row(dev1, 5, 3)}, keep: []int{0, 1, 2}},
		{name: "empty batch", rows: []tables.Telemetry{}, keep: []int{}},
		{name: "equal timestamps are separate rows", rows: []tables.Telemetry{row(dev1, 0, 1), row(dev1, 0, 2), row(dev1, 0, 3)}, keep: []int{0, 1, 2}},
		{name: "NaN and infinities", rows: []tables.Telemetry{row(dev1, 0, 1), row(dev1, 5, nan), row(dev2, 5, 2),
			withLatency(row(dev1, 10, 4), inf), withLatency(row(dev2, 10, 4), -inf), row(dev1, 15, 5)},
			keep: []int{0, 2, 5}, skipped: map[string]int{reasonInvalidValue: 3}},
		{name: "overflowing window sum", rows: []tables.Telemetry{row(dev1, 0, math.MaxFloat64), row(dev1, 5, math.MaxFloat64), row(dev1, 10, 1)},
			keep: []int{0, 2}, skipped: map[string]int{reasonInvalidValue: 1}},
		{name: "timestamp out of range", rows: []tables.Telemetry{row(dev1, 0, 1), {Timestamp: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Device: dev1},
			row(dev2, 0, 1), row(dev1, 5, 2)}, keep: []int{0, 2, 3}, skipped: map[string]int{reasonInvalidValue: 1}},
		{name: "late rows", prior: []tables.Telemetry{row(dev1, 0, 1), row(dev1, 10, 2), row(dev2, 0, 3)},
			rows: []tables.Telemetry{row(dev1, 5, 9), row(dev1, 10, 9), row(dev2, 5, 4), row(dev1, 15, 5)},
			keep: []int{2, 3}, skipped: map[string]int{reasonLate: 2}},
		{name: "invalid device ids", rows: []tables.Telemetry{row("", 0, 1), row(dev1, 0, 1), row("a.b", 0, 1), row("x y", 0, 1), row("", 5, 1)},
			keep: []int{1}, skipped: map[string]int{reasonInvalidDevice: 4}},
		{name: "unknown device", rows: []tables.Telemetry{row(unknown, 0, 1), row(dev1, 0, 1), row(unknown, 5, 2)}, keep: []int{0, 1, 2}, unknown: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fileEnv(t)
			e.putDevices(fleet)
			p := e.instance()
			var offlineRows []tables.Telemetry
			if tt.prior != nil {
				e.handle(p, e.put(&batch{id: "prior", from: t0, to: t0, rows: tt.prior}))
				offlineRows = append(offlineRows, tt.prior...)
			}
			before := map[string]float64{}
			for _, r := range []string{reasonLate, reasonInvalidValue, reasonInvalidDevice} {
				before[r] = e.counter("netops_preprocessor_rows_skipped_total", "reason", r)
			}
			unknownBefore := e.counter("netops_preprocessor_unknown_devices_total")

			out, got := e.handle(p, e.put(&batch{id: "in", from: t0, to: t0.Add(time.Minute), rows: tt.rows}))
			for _, i := range tt.keep {
				offlineRows = append(offlineRows, tt.rows[i])
			}
			want := offline(t, fleet, offlineRows)
			sameRows(t, got, want[len(want)-len(tt.keep):])
			if out.Rows != int64(len(tt.keep)) {
				t.Errorf("event says %d rows, want %d", out.Rows, len(tt.keep))
			}
			for r, n := range before {
				if d := e.counter("netops_preprocessor_rows_skipped_total", "reason", r) - n; d != float64(tt.skipped[r]) {
					t.Errorf("skipped %s: %v, want %d", r, d, tt.skipped[r])
				}
			}
			if d := e.counter("netops_preprocessor_unknown_devices_total") - unknownBefore; d != float64(tt.unknown) {
				t.Errorf("unknown devices: %v, want %d", d, tt.unknown)
			}
		})
	}
}

// TestUnknownDeviceJoins checks the device table cache: a device missing from the table is read
// again only when the object has changed, and a device added to it is found.
func TestUnknownDeviceJoins(t *testing.T) {
	e := fileEnv(t)
	e.putDevices(fleet)
	p := e.instance()
	loads := func() float64 { return e.counter("netops_preprocessor_device_table_loads_total") }
	handle := func(i int) features.Row {
		_, rows := e.handle(p, e.put(&batch{id: fmt.Sprint("b", i), from: t0, to: t0, rows: []tables.Telemetry{row(unknown, i, 1)}}))
		return rows[0]
	}
	oneHot := func(r features.Row) float64 {
		var sum float64
		for _, x := range r.Vector()[28:] {
			sum += x
		}
		return sum
	}
	if r := handle(1); oneHot(r) != 0 || loads() != 1 {
		t.Fatalf("unknown device: one-hot sum %v after %v loads, want 0 after 1", oneHot(r), loads())
	}
	if handle(2); loads() != 1 {
		t.Fatalf("table read again (%v loads) though it did not change", loads())
	}
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	e.putDevices(append(fleet, tables.Device{Device: unknown, Models: 1, Country: "A"}))
	if r := handle(3); oneHot(r) != 2 || r.Models1 != 1 || r.CountryA != 1 || loads() != 2 {
		t.Fatalf("joined device: %+v after %v loads", r, loads())
	}
}
