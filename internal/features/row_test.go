package features

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

func TestParquetSchema(t *testing.T) {
	tests := []struct {
		name  string
		model any
		extra []string // columns after the features
	}{
		{"feature row", new(Row), nil},
		{"training row", new(TrainingRow), []string{"is_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := parquet.SchemaOf(tt.model)
			var got []string
			for _, c := range schema.Columns() {
				got = append(got, strings.Join(c, "."))
			}
			want := slices.Concat([]string{"timestamp", "device"}, Names(), tt.extra)
			if !slices.Equal(got, want) {
				t.Fatalf("columns\n got %v\nwant %v", got, want)
			}
			ts := schema.Fields()[0].Type().LogicalType().String()
			if !strings.Contains(ts, "unit=MILLIS") || !strings.Contains(ts, "isAdjustedToUTC=true") {
				t.Errorf("timestamp type %s, want TIMESTAMP(MILLIS, UTC)", ts)
			}
		})
	}
}

func TestParquetRoundTrip(t *testing.T) {
	rows := history(histSpec{seed: 31, devices: 5, ticks: 200})
	for i := range rows {
		rows[i].Timestamp = rows[i].Timestamp.Truncate(time.Millisecond)
	}
	feats := offline(t, fleet(31, rows), rows)
	want := make([]TrainingRow, len(feats))
	for i, r := range feats {
		want[i] = TrainingRow{Row: r, IsError: i%3 == 0}
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := parquet.Read[TrainingRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	gotRows := make([]Row, len(got))
	for i, g := range got {
		if g.IsError != want[i].IsError {
			t.Fatalf("row %d: is_error %v, want %v", i, g.IsError, want[i].IsError)
		}
		gotRows[i] = g.Row
	}
	sameRows(t, gotRows, feats)
}
