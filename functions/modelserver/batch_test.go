package modelserver

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/tables"
)

// TestBatchEveryVersion: champion, canary and shadow each score every features batch into their
// own predictions batch (the traffic split is for HTTP only); other aliases do not.
func TestBatchEveryVersion(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	ms := map[int]models.Classifier{}
	for i, alias := range []string{"champion", "canary", "shadow", "challenger"} {
		m, v := register(t, store, []string{models.KindLogistic, models.KindBoosted}[i%2], uint64(i+1), alias)
		ms[v] = m
	}
	ts := start(t, servingConfig(), function.Deps{Store: store}, false)
	t0 := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	rows := make([]features.Row, 300)
	for i := range rows {
		rows[i].Timestamp, rows[i].Device = t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("%013d", i%7)
		rows[i].CPUUtilization, rows[i].Latency, rows[i].PacketLoss, rows[i].Throughput = 40+float64(i%60), float64(i%6), float64(i%4)/3, 230+float64(i%40)
	}
	ctx := context.Background()
	if err := tables.Put(ctx, store, "features/b.parquet", rows); err != nil {
		t.Fatal(err)
	}
	in, _ := events.New(events.FeaturesBatch, "/test", "fb", &events.Batch{Key: "features/b.parquet", Rows: int64(len(rows)), From: t0, To: rows[len(rows)-1].Timestamp, SchemaVersion: events.SchemaVersion})
	outs, err := ts.fn.Handle(ctx, in)
	if err != nil || len(outs) != 3 {
		t.Fatalf("outputs %d, %v; want 3 (champion, canary, shadow)", len(outs), err)
	}
	var versions []int
	for _, o := range outs {
		b, err := events.Decode[events.Batch](o)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, b.Version)
		preds, err := tables.Get[tables.Prediction](ctx, store, b.Key)
		if err != nil || len(preds) != len(rows) {
			t.Fatalf("%s: %d rows, %v", b.Key, len(preds), err)
		}
		for i, p := range preds {
			r := rows[i]
			want := ms[b.Version].PredictProba([]float64{r.CPUUtilization, r.Latency, r.PacketLoss, r.Throughput})
			if p.Probability != want || p.Device != r.Device || !p.Timestamp.Equal(r.Timestamp) || int(p.Version) != b.Version {
				t.Fatalf("v%d row %d = %+v, want probability %v", b.Version, i, p, want)
			}
		}
	}
	slices.Sort(versions)
	if !slices.Equal(versions, []int{1, 2, 3}) {
		t.Fatalf("scored by %v, want [1 2 3]", versions)
	}
	if got := ts.metric(t, "model_infer_rows_total", map[string]string{"source": "batch"}); got != 3*float64(len(rows)) {
		t.Errorf("batch rows metric = %v", got)
	}

	// A batch that is not a features table is a permanent failure naming the column.
	if err := tables.Put(ctx, store, "features/wrong.parquet", []tables.Label{{Timestamp: t0, Device: "x"}}); err != nil {
		t.Fatal(err)
	}
	bad, _ := events.New(events.FeaturesBatch, "/test", "fw", &events.Batch{Key: "features/wrong.parquet", Rows: 1, From: t0, To: t0, SchemaVersion: events.SchemaVersion})
	if _, err := ts.fn.Handle(ctx, bad); !fault.IsPermanent(err) {
		t.Fatalf("wrong table: %v, want a permanent error", err)
	}
	missing, _ := events.New(events.FeaturesBatch, "/test", "fm", &events.Batch{Key: "features/none.parquet", Rows: 1, From: t0, To: t0, SchemaVersion: events.SchemaVersion})
	if _, err := ts.fn.Handle(ctx, missing); err == nil || fault.IsPermanent(err) {
		t.Fatalf("missing object: %v, want a retryable error", err)
	}
}
