package tables

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
)

func sampleTelemetry(n int) []Telemetry {
	r := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 22, 13, 0, 5, 0, time.UTC)
	rows := make([]Telemetry, n)
	for i := range rows {
		rows[i] = Telemetry{
			Timestamp:      t0.Add(time.Duration(i/10) * 5 * time.Second),
			Device:         fmt.Sprintf("%013d", r.Int64N(1e13)),
			CPUUtilization: r.Float64() * 100,
			Latency:        r.NormFloat64(),
			PacketLoss:     0,
			Throughput:     r.Float64() * 300,
		}
	}
	return rows
}

func TestRoundTrip(t *testing.T) {
	rows := sampleTelemetry(1000)
	data, err := Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode[Telemetry](data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	for i := range rows {
		if !got[i].Timestamp.Equal(rows[i].Timestamp) || got[i].Timestamp.Location() != time.UTC {
			t.Fatalf("row %d timestamp %v, want %v UTC", i, got[i].Timestamp, rows[i].Timestamp)
		}
		got[i].Timestamp = rows[i].Timestamp
		if got[i] != rows[i] {
			t.Fatalf("row %d = %+v, want %+v", i, got[i], rows[i])
		}
	}
	labels := []Label{{Timestamp: rows[0].Timestamp, Device: "0000000000001", LatencyIsError: true, IsError: false}}
	data, _ = Encode(labels)
	gl, err := Decode[Label](data)
	if err != nil || len(gl) != 1 || !gl[0].LatencyIsError || gl[0].IsError {
		t.Fatalf("labels round trip: %+v, %v", gl, err)
	}
}

// TestIndependentReader opens our files with Apache Arrow's Parquet reader: the files must be
// plain Parquet that pandas, DuckDB and Spark read as they are.
func TestIndependentReader(t *testing.T) {
	rows := sampleTelemetry(2500)
	data, err := Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), parquet.NewReaderProperties(memory.DefaultAllocator),
		pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != int64(len(rows)) {
		t.Fatalf("arrow reads %d rows, want %d", tbl.NumRows(), len(rows))
	}
	sch := tbl.Schema()
	var names []string
	for _, f := range sch.Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "timestamp,device,cpu_utilization,latency,packet_loss,throughput" {
		t.Fatalf("columns %s", got)
	}
	ts, ok := sch.Field(0).Type.(*arrow.TimestampType)
	if !ok || ts.Unit != arrow.Millisecond || ts.TimeZone != "UTC" {
		t.Fatalf("timestamp column type %v, want timestamp[ms, tz=UTC]", sch.Field(0).Type)
	}
	tr := array.NewTableReader(tbl, 1000)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		tsCol := rec.Column(0).(*array.Timestamp)
		cpu := rec.Column(2).(*array.Float64)
		for j := range int(rec.NumRows()) {
			if got := tsCol.Value(j).ToTime(arrow.Millisecond); !got.Equal(rows[i].Timestamp) {
				t.Fatalf("row %d timestamp %v, want %v", i, got, rows[i].Timestamp)
			}
			if math.Float64bits(cpu.Value(j)) != math.Float64bits(rows[i].CPUUtilization) {
				t.Fatalf("row %d cpu %v, want %v", i, cpu.Value(j), rows[i].CPUUtilization)
			}
			if dev := rec.Column(1).ValueStr(j); dev != rows[i].Device {
				t.Fatalf("row %d device %s, want %s", i, dev, rows[i].Device)
			}
			i++
		}
	}
	if i != len(rows) {
		t.Fatalf("read %d rows", i)
	}
}

func TestBadInput(t *testing.T) {
	good, _ := Encode(sampleTelemetry(10))
	type wrongType struct {
		Timestamp      time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Device         string    `parquet:"device"`
		CPUUtilization float64   `parquet:"cpu_utilization"`
		Latency        string    `parquet:"latency"`
		PacketLoss     float64   `parquet:"packet_loss"`
		Throughput     float64   `parquet:"throughput"`
	}
	wrong, _ := Encode([]wrongType{{Device: "x", Latency: "high"}})
	type fewer struct {
		Timestamp time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Device    string    `parquet:"device"`
	}
	missing, _ := Encode([]fewer{{Device: "x"}})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "corrupt parquet"},
		{"garbage", []byte("PAR1 hello PAR1"), "corrupt parquet"},
		{"truncated", good[:len(good)/2], "corrupt parquet"},
		{"flipped bytes", flip(good), ""},
		{"missing column", missing, `missing column "cpu_utilization"`},
		{"wrong type", wrong, `column "latency"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode[Telemetry](tc.data)
			if tc.want == "" { // any outcome but a panic is fine; an error must be permanent
				if err != nil && !fault.IsPermanent(err) {
					t.Fatalf("error not permanent: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !fault.IsPermanent(err) {
				t.Fatalf("err = %v, want permanent error containing %q", err, tc.want)
			}
		})
	}
}

func flip(b []byte) []byte {
	c := bytes.Clone(b)
	for i := 8; i < len(c)-8; i += 7 {
		c[i] ^= 0x5a
	}
	return c
}

func TestStoreHelpers(t *testing.T) {
	ctx := context.Background()
	s, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleTelemetry(7)
	if err := Put(ctx, s, "telemetry/date=2026-11-22/hour=13/a.parquet", rows); err != nil {
		t.Fatal(err)
	}
	got, err := Get[Telemetry](ctx, s, "telemetry/date=2026-11-22/hour=13/a.parquet")
	if err != nil || len(got) != 7 {
		t.Fatalf("Get = %d rows, %v", len(got), err)
	}
	_, err = Get[Telemetry](ctx, s, "telemetry/none.parquet")
	if err == nil || fault.IsPermanent(err) || !strings.Contains(err.Error(), "telemetry/none.parquet") {
		t.Fatalf("missing object: %v, want a retryable error naming the key", err)
	}
	_, err = Get[Telemetry](ctx, s, "../escape.parquet")
	if err == nil || !fault.IsPermanent(err) {
		t.Fatalf("unsafe key: %v, want a permanent error", err)
	}
}

func BenchmarkWrite(b *testing.B) {
	rows := wideRows(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		w := NewWriter[Wide](&buf)
		if err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkRead(b *testing.B) {
	rows := wideRows(1_000_000)
	data, err := Encode(rows)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		got, err := Decode[Wide](data)
		if err != nil || len(got) != len(rows) {
			b.Fatalf("read %d rows: %v", len(got), err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// Wide is the benchmark table: ten float64 columns.
type Wide struct {
	A, B, C, D, E, F, G, H, I, J float64
}

func wideRows(n int) []Wide {
	r := rand.New(rand.NewPCG(3, 4))
	rows := make([]Wide, n)
	for i := range rows {
		rows[i] = Wide{r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64(),
			r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
	}
	return rows
}

// TestFastWriterIndependentReader checks that NewFastWriter's output (Snappy blocks from the fast
// encoder, no page bounds on double columns) reads back with Apache Arrow's reader and ours,
// over several pages and row groups.
func TestFastWriterIndependentReader(t *testing.T) {
	rows := sampleTelemetry(300_000)
	var buf bytes.Buffer
	w := NewFastWriter[Telemetry](&buf)
	for lo := 0; lo < len(rows); lo += 512 {
		if err := w.Write(rows[lo:min(lo+512, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	got, err := Decode[Telemetry](data)
	if err != nil || len(got) != len(rows) {
		t.Fatalf("our reader: %d rows, %v", len(got), err)
	}
	for i := range rows {
		if !got[i].Timestamp.Equal(rows[i].Timestamp) || got[i].Device != rows[i].Device || got[i].Values() != rows[i].Values() {
			t.Fatalf("our reader: row %d = %+v, want %+v", i, got[i], rows[i])
		}
	}
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), parquet.NewReaderProperties(memory.DefaultAllocator),
		pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != int64(len(rows)) {
		t.Fatalf("arrow reads %d rows, want %d", tbl.NumRows(), len(rows))
	}
	tr := array.NewTableReader(tbl, 4096)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		for j := range int(rec.NumRows()) {
			for c := range 4 {
				v := rec.Column(2 + c).(*array.Float64).Value(j)
				if math.Float64bits(v) != math.Float64bits(rows[i].Values()[c]) {
					t.Fatalf("arrow: row %d metric %d = %v, want %v", i, c, v, rows[i].Values()[c])
				}
			}
			if dev := rec.Column(1).ValueStr(j); dev != rows[i].Device {
				t.Fatalf("arrow: row %d device %s, want %s", i, dev, rows[i].Device)
			}
			i++
		}
	}
	if i != len(rows) {
		t.Fatalf("arrow: read %d rows", i)
	}
}
