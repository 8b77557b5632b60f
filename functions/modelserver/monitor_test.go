package modelserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/parquet-go/parquet-go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/testenv"
)

// TestMonitoring checks what serving leaves behind: the serving log in Parquet with a notice on
// netops.serving.<model>, and the endpoint records with counts, rates, latencies and roles.
func TestMonitoring(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	_, v2 := register(t, store, models.KindLogistic, 2, "canary")
	b := testenv.Bus(t)
	notices := make(chan *nats.Msg, 16)
	sub, err := b.NC.ChanSubscribe(ServingSubject("netops"), notices)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	cfg := servingConfig()
	cfg.CanaryTraffic, cfg.MonitorRows, cfg.MonitorInterval, cfg.EndpointEvery = 25, 1000, 200*time.Millisecond, 200*time.Millisecond
	ts := start(t, cfg, function.Deps{Store: store, Bus: b}, true)
	const good, bad = 200, 7
	for i := range good {
		body := fmt.Sprintf(`{"id": "r%d", "inputs": [[%d, 4, 1, 250], [60, 1, 0, 250]]}`, i, 50+i%40)
		if code, got := post(t, ts.srv.URL+"/v2/models/netops/versions/1/infer", body); code != 200 {
			t.Fatalf("%d %s", code, got)
		}
	}
	for range bad {
		if code, _ := post(t, ts.srv.URL+"/v2/models/netops/versions/1/infer", `{"inputs": [[1, 2]]}`); code != 400 {
			t.Fatal("bad request accepted")
		}
	}

	eps, err := endpoint.Open(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	var rec endpoint.Record
	eventually(t, "endpoint record of v1 counts every request", func() bool {
		rec, _, err = eps.Get(context.Background(), "netops", 1)
		return err == nil && rec.Serving != nil && rec.Serving.Requests == good+bad
	})
	s := rec.Serving
	if s.Errors != bad || rec.Alias != "champion" || rec.Traffic != 75 || rec.Class != "lr" || rec.Function != "model-server" {
		t.Fatalf("endpoint v1 = %+v / %+v", rec, *s)
	}
	if want := 2.0 * good / 300; s.PredictionsPerSecond != want {
		t.Errorf("predictions/s = %v, want %v (rows in 5 min / 300)", s.PredictionsPerSecond, want)
	}
	if s.LatencyAvg5mMicros <= 0 || s.LatencyAvg1hMicros != s.LatencyAvg5mMicros || s.FirstRequest.IsZero() || s.LastRequest.Before(s.FirstRequest) {
		t.Errorf("latency and times: %+v", *s)
	}
	eventually(t, "endpoint record of the canary", func() bool {
		r, found, err := eps.Get(context.Background(), "netops", v2)
		return err == nil && found && r.Alias == "canary" && r.Traffic == 25 && r.Serving == nil
	})

	// A promotion changes the roles in the records without any request.
	if err := registrySetAlias(store, "champion", v2); err != nil {
		t.Fatal(err)
	}
	if err := registrySetAlias(store, "canary", 0); err != nil {
		t.Fatal(err)
	}
	ts.deploy(t, v2, "champion", 100)
	eventually(t, "roles after promotion", func() bool {
		r1, _, _ := eps.Get(context.Background(), "netops", 1)
		r2, _, _ := eps.Get(context.Background(), "netops", v2)
		return r1.Alias == "" && r1.Traffic == 0 && r2.Alias == "champion" && r2.Traffic == 100
	})

	ts.stop()
	recs := readLog(t, store, "serving/model=netops/")
	var errs, ok int
	for _, r := range recs {
		if r.Error != "" {
			errs++
			if r.Status != 400 || !strings.Contains(r.Error, "the model takes 4") {
				t.Errorf("error record %+v", r)
			}
			continue
		}
		ok++
		if r.Role != rolePinned || len(r.Inputs) != 2 || len(r.Outputs) != 2 || r.LatencyMicros <= 0 || r.Protocol != "mlrun" || !strings.HasPrefix(r.ID, "r") {
			t.Fatalf("record %+v", r)
		}
	}
	if ok != good || errs != bad {
		t.Fatalf("serving log holds %d good and %d failed requests, want %d and %d", ok, errs, good, bad)
	}
	infos, _ := store.List(context.Background(), "serving/model=netops/date=")
	if len(infos) == 0 || !strings.Contains(infos[0].Key, "/hour=") {
		t.Fatalf("serving log keys: %v", infos)
	}
	o, _ := store.Open(context.Background(), infos[0].Key)
	f, err := parquet.OpenFile(o, o.Size())
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := f.Lookup(FeatureNamesKey); names != `["cpu_utilization","latency","packet_loss","throughput"]` {
		t.Errorf("feature names metadata = %q", names)
	}
	o.Close()
	select {
	case m := <-notices:
		e, err := bus.FromMsg(m)
		if err != nil || e.Type() != ServingBatch {
			t.Fatalf("notice: %v %v", e, err)
		}
		n, err := events.Decode[events.Batch](e)
		if err != nil || n.Model != "netops" || !strings.HasPrefix(n.Key, "serving/model=netops/") || n.Rows == 0 {
			t.Fatalf("notice payload %+v %v", n, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notice on " + ServingSubject("netops"))
	}
}

// TestShareSurvivesRestart: the canary share announced by model.deployed is kept in the endpoint
// record, and a restarted server routes with it rather than with --canary-traffic.
func TestShareSurvivesRestart(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	_, v2 := register(t, store, models.KindLogistic, 2, "canary")
	b := testenv.Bus(t)
	cfg := servingConfig()
	cfg.EndpointEvery = 100 * time.Millisecond
	first := start(t, cfg, function.Deps{Store: store, Bus: b}, true)
	first.deploy(t, v2, "canary", 30)
	eps, _ := endpoint.Open(context.Background(), b)
	eventually(t, "canary share in the endpoint record", func() bool {
		r, _, err := eps.Get(context.Background(), "netops", v2)
		return err == nil && r.Traffic == 30
	})
	first.stop()
	second := start(t, cfg, function.Deps{Store: store, Bus: b}, false)
	if got := second.metric(t, "model_traffic_percent", map[string]string{"version": fmt.Sprint(v2), "role": "canary"}); got != 30 {
		t.Fatalf("after restart the canary takes %v%%, want 30 (default %d)", got, cfg.CanaryTraffic)
	}

	// A canary retired while no server ran loses its role when the next one starts.
	if err := registrySetAlias(store, "canary", 0); err != nil {
		t.Fatal(err)
	}
	start(t, cfg, function.Deps{Store: store, Bus: b}, true)
	eventually(t, "retired canary's record", func() bool {
		r, _, err := eps.Get(context.Background(), "netops", v2)
		return err == nil && r.Alias == "" && r.Traffic == 0
	})
}
