package workflow

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/trainset"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// trainingSet simulates hours of a small fleet and builds its training set in store.
func trainingSet(t *testing.T, store blob.Store, devices, hours int) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Deployment.Device.NumItems = devices
	f, err := sim.NewFleet(cfg, 11, t0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	i := 0
	err = f.Run(t0.Add(time.Duration(hours)*time.Hour), 720, func(tel []tables.Telemetry, lab []tables.Label) error {
		i++
		if err := tables.Put(ctx, store, fmt.Sprintf("telemetry/%04d.parquet", i), tel); err != nil {
			return err
		}
		return tables.Put(ctx, store, fmt.Sprintf("labels/%04d.parquet", i), lab)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tables.Put(ctx, store, "devices/devices.parquet", f.Devices()); err != nil {
		t.Fatal(err)
	}
	if _, err := trainset.Build(ctx, store, trainset.Options{Telemetry: "telemetry/", Labels: "labels/", Devices: "devices/devices.parquet", Out: "training/set.parquet"}); err != nil {
		t.Fatal(err)
	}
}

func TestTrain(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	trainingSet(t, store, 10, 6)
	var progress bytes.Buffer
	res, err := Train(context.Background(), store, Options{Data: "training/set.parquet", Models: []string{"lr", "gbt"}, Budget: 2,
		MaxRows: 20000, Promote: "champion", Progress: &progress})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if res.Version != 1 || len(res.Candidates) != 4 || len(res.Steps) != 7 || res.Threshold <= 0 || res.Threshold > 1 {
		t.Fatalf("result %+v", res)
	}
	// With the default config the pre-peak phase mostly emits peak values too, so a row at its
	// peaks is an error only about a third of the time: good, not perfect, separation.
	if res.Test.ROCAUC == nil || *res.Test.ROCAUC < 0.8 || res.Test.F1 < 0.4 {
		t.Fatalf("test ROC AUC %v, F1 %v\n%s", ptr(res.Test.ROCAUC), res.Test.F1, progress.String())
	}
	for _, want := range []string{"[1/7] load", "[3/7] describe", "[4/7] select features", "[7/7] register", "netops v1"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	reg := registry.New(store)
	card, err := reg.Card(context.Background(), "netops", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Features) != len(res.Selected) || len(card.Reference) != len(card.Features) || card.Prediction == nil ||
		card.Metrics["f1"] != res.Test.F1 || card.Threshold != res.Threshold || len(card.TestErrors) != card.Training.TestRows {
		t.Fatalf("card %+v", card)
	}
	for _, a := range []string{"roc.svg", "pr.svg", "calibration.svg", "eda.json", "eda/correlation.svg", "eda/class_balance.svg", "votes.json", "candidates.json", "test.json"} {
		if _, err := reg.Artifact(context.Background(), "netops", 1, a); err != nil {
			t.Errorf("artifact %s: %v", a, err)
		}
	}
	if v, err := reg.Resolve(context.Background(), "netops", "champion"); err != nil || v != 1 {
		t.Fatalf("champion %d %v", v, err)
	}
}

func TestTrainBadInput(t *testing.T) {
	ctx := context.Background()
	store, _ := blob.NewFile(t.TempDir())
	rows := func(n int, mutate func(i int, r *features.TrainingRow)) []features.TrainingRow {
		out := make([]features.TrainingRow, n)
		for i := range out {
			out[i].Timestamp = t0.Add(time.Duration(i) * time.Second)
			out[i].Device = "0000000000001"
			out[i].CPUUtilization = float64(i % 7)
			out[i].IsError = i%5 == 0
			if mutate != nil {
				mutate(i, &out[i])
			}
		}
		return out
	}
	put := func(key string, r []features.TrainingRow) string {
		if err := tables.Put(ctx, store, key, r); err != nil {
			t.Fatal(err)
		}
		return key
	}
	type noLabel struct{ features.Row }
	nl := make([]noLabel, 100)
	if err := tables.Put(ctx, store, "nolabel.parquet", nl); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		data string
		opts func(*Options)
		want string
	}{
		{put("nan.parquet", rows(200, func(i int, r *features.TrainingRow) {
			if i == 17 {
				r.Latency = math.NaN()
			}
		})), nil, "row 17"},
		{put("oneclass.parquet", rows(200, func(i int, r *features.TrainingRow) { r.IsError = false })), nil, "one class"},
		{put("tiny.parquet", rows(20, nil)), nil, "want at least 50"},
		{"nolabel.parquet", nil, `missing column "is_error"`},
		{"absent.parquet", nil, "absent.parquet"},
		{put("ok.parquet", rows(200, nil)), func(o *Options) { o.Models = []string{"svm"} }, `unknown kind "svm"`},
		{"ok.parquet", func(o *Options) { o.Metric = "vibes" }, `unknown "vibes"`},
		{"ok.parquet", func(o *Options) { o.Name = "Bad Name" }, "invalid name"},
		{"ok.parquet", func(o *Options) { o.Split = "sideways" }, "split"},
	}
	for _, tc := range tests {
		o := Options{Data: tc.data, Budget: 1, Models: []string{"lr"}}
		if tc.opts != nil {
			tc.opts(&o)
		}
		_, err := Train(ctx, store, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Train(%s) = %v, want error containing %q", tc.data, err, tc.want)
		}
	}
	// A constant column (every one-hot column here) is not an error: it simply gets no votes.
	res, err := Train(ctx, store, Options{Data: "ok.parquet", Budget: 1, Models: []string{"lr"}, K: 2, MinVotes: 1})
	if err != nil || res.Version != 1 {
		t.Fatalf("constant columns: %v", err)
	}
}
