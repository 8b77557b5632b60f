package trainset

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// history writes hours of simulated telemetry and labels, an object per 30 minutes.
func history(t *testing.T, store blob.Store, devices int, hours int) ([]tables.Telemetry, []tables.Label) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Deployment.Device.NumItems = devices
	f, err := sim.NewFleet(cfg, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	var allTel []tables.Telemetry
	var allLab []tables.Label
	i := 0
	err = f.Run(t0.Add(time.Duration(hours)*time.Hour), 360, func(tel []tables.Telemetry, lab []tables.Label) error {
		ctx := context.Background()
		if err := tables.Put(ctx, store, fmt.Sprintf("telemetry/part-%04d.parquet", i), tel); err != nil {
			return err
		}
		if err := tables.Put(ctx, store, fmt.Sprintf("labels/part-%04d.parquet", i), lab); err != nil {
			return err
		}
		i++
		allTel = append(allTel, tel...)
		allLab = append(allLab, lab...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tables.Put(context.Background(), store, "devices/devices.parquet", f.Devices()); err != nil {
		t.Fatal(err)
	}
	return allTel, allLab
}

func TestBuild(t *testing.T) {
	for name, store := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			tel, lab := history(t, store, 8, 7)
			var bar bytes.Buffer
			res, err := Build(context.Background(), store, Options{Telemetry: "telemetry/", Labels: "labels/", Devices: "devices/devices.parquet",
				Out: "training/set.parquet", Progress: &bar})
			if err != nil {
				t.Fatal(err)
			}
			if res.Objects != 14 || res.Rows != int64(len(tel)) || res.Written != int64(len(tel)) || res.Join.Dropped != 0 {
				t.Fatalf("result %+v (telemetry %d rows)", res, len(tel))
			}
			if !strings.Contains(bar.String(), "100%") {
				t.Errorf("progress: %q", bar.String())
			}
			got, err := tables.Get[features.TrainingRow](context.Background(), store, "training/set.parquet")
			if err != nil {
				t.Fatal(err)
			}
			// The same features computed in one pass in memory, and labels at the same tick.
			devs, _ := tables.Get[tables.Device](context.Background(), store, "devices/devices.parquet")
			want, err := features.Compute(map[string]*features.State{}, features.NewStatics(devs), tel, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range got {
				g, w := got[i].Row.Vector(), want[i].Vector()
				for j := range g {
					if g[j] != w[j] {
						t.Fatalf("row %d feature %s = %v, want %v", i, features.Names()[j], g[j], w[j])
					}
				}
				if got[i].IsError != lab[i].IsError || got[i].Device != lab[i].Device {
					t.Fatalf("row %d label %v, want %v", i, got[i].IsError, lab[i].IsError)
				}
			}
		})
	}
}

func TestBuildWindowAndErrors(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	history(t, store, 3, 2)
	res, err := Build(context.Background(), store, Options{Telemetry: "telemetry/", Labels: "labels/", Devices: "devices/devices.parquet",
		Out: "training/late.parquet", From: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != 721*3 { // ticks t0+1h .. t0+2h inclusive
		t.Fatalf("wrote %d rows after From, want %d", res.Written, 721*3)
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Telemetry: "none/", Devices: "devices/devices.parquet", Out: "x.parquet"}, "no telemetry objects"},
		{Options{Telemetry: "telemetry/", Devices: "devices/missing.parquet", Out: "x.parquet"}, "devices/missing.parquet"},
		{Options{Telemetry: "telemetry/", Devices: "devices/devices.parquet"}, "out: required"},
		{Options{Telemetry: "labels/", Devices: "devices/devices.parquet", Out: "x.parquet"}, "missing column"},
	} {
		if _, err := Build(context.Background(), store, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
	if ok, _ := blob.Exists(context.Background(), store, "x.parquet"); ok {
		t.Error("a failed build left an object behind")
	}
}

// BenchmarkBuild builds a training set from one day of 100 devices (1.73M telemetry rows) in a
// file store: Parquet in, features, as-of join, Parquet out.
func BenchmarkBuild(b *testing.B) {
	store, _ := blob.NewFile(b.TempDir())
	cfg := sim.DefaultConfig()
	f, _ := sim.NewFleet(cfg, 1, t0)
	i := 0
	_ = f.Run(t0.Add(24*time.Hour), 720, func(tel []tables.Telemetry, lab []tables.Label) error {
		ctx := context.Background()
		_ = tables.Put(ctx, store, fmt.Sprintf("telemetry/part-%04d.parquet", i), tel)
		_ = tables.Put(ctx, store, fmt.Sprintf("labels/part-%04d.parquet", i), lab)
		i++
		return nil
	})
	_ = tables.Put(context.Background(), store, "devices/devices.parquet", f.Devices())
	var rows int64
	for b.Loop() {
		res, err := Build(context.Background(), store, Options{Telemetry: "telemetry/", Labels: "labels/", Devices: "devices/devices.parquet", Out: "training/b.parquet"})
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
