package projectrunner

import (
	"context"
	"flag"
	"fmt"
	"github.com/netopsfn/netops/internal/runs"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
	"github.com/netopsfn/netops/internal/trainset"
	"github.com/netopsfn/netops/internal/workflow"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// testConfig is the runner's default configuration with small, fast runs.
func testConfig(t *testing.T) Config {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	if err := config.Bind(fs, &c); err != nil {
		t.Fatal(err)
	}
	if err := config.Load(fs, &c); err != nil {
		t.Fatal(err)
	}
	c.Run.Budget, c.Run.MaxRows, c.Run.Window, c.Run.Margin = 1, 20000, 12*time.Hour, 0.01
	c.Secret = []byte("s3cret-for-tests")
	return c
}

// fixture is a store with simulated history: offline training rows, and the same rows as the
// labeled stream writes them, one object per hour.
type fixture struct {
	store blob.Store
	bus   *bus.Bus
	rows  []features.TrainingRow
	end   time.Time
}

func newFixture(t *testing.T, devices, hours int) *fixture {
	t.Helper()
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := sim.DefaultConfig()
	cfg.Deployment.Device.NumItems = devices
	f, err := sim.NewFleet(cfg, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	end := t0.Add(time.Duration(hours) * time.Hour)
	if err := f.Run(end, 720, func(tel []tables.Telemetry, lab []tables.Label) error {
		i++
		if err := tables.Put(ctx, store, tables.Key("telemetry", tel[0].Timestamp, fmt.Sprint(i)), tel); err != nil {
			return err
		}
		return tables.Put(ctx, store, tables.Key("labels", lab[0].Timestamp, fmt.Sprint(i)), lab)
	}); err != nil {
		t.Fatal(err)
	}
	if err := tables.Put(ctx, store, tables.DevicesKey, f.Devices()); err != nil {
		t.Fatal(err)
	}
	if _, err := trainset.Build(ctx, store, trainset.Options{Telemetry: "telemetry/", Labels: "labels/", Devices: tables.DevicesKey, Out: "training/all.parquet"}); err != nil {
		t.Fatal(err)
	}
	rows, err := tables.Get[features.TrainingRow](ctx, store, "training/all.parquet")
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{store: store, bus: testenv.Bus(t), rows: rows, end: end}
	fx.writeLabeled(t, rows, 1)
	return fx
}

// writeLabeled writes rows as labeled batches of version, one object per hour.
func (fx *fixture) writeLabeled(t *testing.T, rows []features.TrainingRow, version int) {
	t.Helper()
	byHour := map[time.Time][]features.LabeledRow{}
	for _, r := range rows {
		h := r.Timestamp.Truncate(time.Hour)
		byHour[h] = append(byHour[h], features.LabeledRow{Row: r.Row, Model: "netops", Version: int32(version), Probability: 0.5,
			Labeled: true, Label: r.IsError})
	}
	for h, lr := range byHour {
		if err := tables.Put(context.Background(), fx.store, tables.Key("labeled/model=netops", h, fmt.Sprintf("v%d", version)), lr); err != nil {
			t.Fatal(err)
		}
	}
}

// champion registers a version trained on rows with shuffled labels (no skill) as champion.
func (fx *fixture) weakChampion(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	rows := append([]features.TrainingRow(nil), fx.rows...)
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(rows), func(i, j int) { rows[i].IsError, rows[j].IsError = rows[j].IsError, rows[i].IsError })
	if err := tables.Put(ctx, fx.store, "training/shuffled.parquet", rows); err != nil {
		t.Fatal(err)
	}
	res, err := workflow.Train(ctx, fx.store, workflow.Options{Name: "netops", Data: "training/shuffled.parquet", Models: []string{"lr"},
		Budget: 1, MaxRows: 20000, Promote: "champion"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Version
}

// start builds the runner on the fixture and serves its routes.
func (fx *fixture) start(t *testing.T, cfg Config) (*function.Function, *httptest.Server, context.CancelFunc) {
	t.Helper()
	fn, err := New(cfg, function.Deps{Bus: fx.bus, Store: fx.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = fn.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	return fn, srv, cancel
}

// waitRun polls a run record until it is no longer running.
func (fx *fixture) waitRun(t *testing.T, id string) *Run {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		r, err := runs.Load(context.Background(), fx.store, id)
		if err == nil && r.Status != StatusRunning {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %s still running after 90s", id)
	return nil
}

// subscribe collects the events published on a subject.
func (fx *fixture) subscribe(t *testing.T, subject string) chan *nats.Msg {
	t.Helper()
	ch := make(chan *nats.Msg, 64)
	sub, err := fx.bus.NC.ChanSubscribe(subject, ch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return ch
}
