package tables

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type embedded struct {
	Telemetry
	Flag  bool  `parquet:"flag"`
	Count int32 `parquet:"count"`
	Big   int64 `parquet:"big"`
}

// generic reads through parquet-go's row reconstruction, the reference for the columnar path.
func generic[T any](t *testing.T, data []byte) []T {
	t.Helper()
	rd, err := NewReader[T](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	out := make([]T, rd.NumRows())
	n := 0
	for n < len(out) {
		k, err := rd.Read(out[n:])
		n += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out[:n]
}

func checkColumnar[T any](t *testing.T, name string, rows []T, multiGroup bool) {
	t.Helper()
	var buf bytes.Buffer
	if multiGroup {
		w := NewWriter[T](&buf)
		for i := 0; i < len(rows); i += 1000 {
			if err := w.Write(rows[i:min(i+1000, len(rows))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	} else if err := Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if multiGroup && len(f.RowGroups()) < 2 {
		t.Fatalf("%s: want several row groups, got %d", name, len(f.RowGroups()))
	}
	col, ok, err := readColumnar[T](f)
	if !ok || err != nil {
		t.Fatalf("%s: columnar path not taken (ok=%v) or failed: %v", name, ok, err)
	}
	want := generic[T](t, data)
	if !reflect.DeepEqual(col, want) {
		t.Fatalf("%s: columnar rows differ from row reconstruction", name)
	}
	got, err := Decode[T](data)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: Decode differs: %v", name, err)
	}
}

func TestColumnarMatchesRowReconstruction(t *testing.T) {
	tel := sampleTelemetry(300_000)
	checkColumnar(t, "telemetry", tel[:5000], false)
	checkColumnar(t, "telemetry, several row groups", tel, true)
	labels := make([]Label, 3000)
	devices := make([]Device, 300)
	emb := make([]embedded, 3000)
	for i := range labels {
		labels[i] = Label{Timestamp: tel[i].Timestamp, Device: tel[i].Device, LatencyIsError: i%3 == 0, IsError: i%7 == 0}
		emb[i] = embedded{Telemetry: tel[i], Flag: i%2 == 0, Count: int32(i), Big: int64(i) << 40}
	}
	for i := range devices {
		devices[i] = Device{Device: tel[i].Device, Models: int32(i % 9), Country: string(rune('A' + i%7))}
	}
	checkColumnar(t, "labels", labels, false)
	checkColumnar(t, "devices", devices, false)
	checkColumnar(t, "embedded struct", emb, false)
	checkColumnar(t, "empty", []Telemetry{}, false)
}

func TestColumnarFallsBack(t *testing.T) {
	type nested struct {
		When time.Time `parquet:"when"` // nanosecond timestamps: not the columnar kind
		Tags []string  `parquet:"tags"`
	}
	rows := []nested{{When: time.Unix(1, 5).UTC(), Tags: []string{"a", "b"}}, {When: time.Unix(2, 0).UTC()}}
	data, err := Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode[nested](data)
	if err != nil || len(got) != 2 || len(got[0].Tags) != 2 || !got[0].When.Equal(rows[0].When) {
		t.Fatalf("fallback read %+v, %v", got, err)
	}
}
