package modelserver

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// readLog reads every serving-log record under prefix.
func readLog(t *testing.T, store blob.Store, prefix string) []Record {
	t.Helper()
	infos, err := store.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, info := range infos {
		o, err := store.Open(context.Background(), info.Key)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := parquet.Read[Record](o, o.Size())
		o.Close()
		if err != nil {
			t.Fatalf("%s: %v", info.Key, err)
		}
		out = append(out, recs...)
	}
	return out
}

// split sends n requests (body(i) for the i-th) from 8 clients and returns the share of them,
// in percent, that the given version answered.
func split(t *testing.T, ts *testServer, n int, version string, body func(i int) string) float64 {
	t.Helper()
	var hits, failed atomic.Int64
	var wg sync.WaitGroup
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				code, got := do(t, c, "POST", ts.srv.URL+"/v2/models/netops/infer", "application/json", body(i))
				if code != 200 {
					failed.Add(1)
					continue
				}
				if versionOf(t, got) == version {
					hits.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed", failed.Load(), n)
	}
	return 100 * float64(hits.Load()) / float64(n)
}

func TestCanarySplit(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	_, v2 := register(t, store, models.KindLogistic, 2, "canary")
	cfg := servingConfig()
	cfg.CanaryTraffic = 25
	ts := start(t, cfg, function.Deps{Store: store}, false)
	canary := fmt.Sprint(v2)

	const n = 10_000
	if got := split(t, ts, n, canary, func(int) string { return oneRow }); math.Abs(got-25) > 2 {
		t.Fatalf("canary answered %.2f%% of %d requests, want 25 ± 2", got, n)
	}
	// The project runner's model.deployed sets the share.
	ts.deploy(t, v2, "canary", 40)
	if got := split(t, ts, n, canary, func(int) string { return oneRow }); math.Abs(got-40) > 2 {
		t.Fatalf("after model.deployed traffic 40: canary answered %.2f%%, want 40 ± 2", got)
	}
	if got := ts.metric(t, "model_traffic_percent", map[string]string{"version": canary, "role": "canary"}); got != 40 {
		t.Errorf("model_traffic_percent of the canary = %v, want 40", got)
	}
	if got := ts.metric(t, "model_infer_request_success", nil); got != 2*n {
		t.Errorf("model_infer_request_success = %v, want %d", got, 2*n)
	}

	// Sticky by request id: the split holds over distinct ids and an id keeps its version.
	sticky := func(i int) string {
		return fmt.Sprintf(`{"id": "req-%d", "parameters": {"sticky": true}, "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [95, 4, 1, 250]}]}`, i)
	}
	if got := split(t, ts, n, canary, sticky); math.Abs(got-40) > 2 {
		t.Fatalf("sticky: canary answered %.2f%% of %d ids, want 40 ± 2", got, n)
	}
	for i := range 50 {
		first := ""
		for range 5 {
			code, body := post(t, ts.srv.URL+"/v2/models/netops/infer", sticky(i))
			if code != 200 {
				t.Fatalf("sticky request = %d %s", code, body)
			}
			if v := versionOf(t, body); first == "" {
				first = v
			} else if v != first {
				t.Fatalf("request id req-%d answered by v%s, then v%s", i, first, v)
			}
		}
	}

	// A version asked for by number answers whatever the split.
	for _, v := range []string{"1", canary} {
		code, body := post(t, ts.srv.URL+"/v2/models/netops/versions/"+v+"/infer", oneRow)
		if code != 200 || versionOf(t, body) != v {
			t.Fatalf("versions/%s/infer = %d %s", v, code, body)
		}
	}
	if code, body := post(t, ts.srv.URL+"/v2/models/netops/versions/9/infer", oneRow); code != 404 || !strings.Contains(body, `served: 1 (champion), 2 (canary)`) {
		t.Fatalf("versions/9/infer = %d %s, want 404 naming the served versions", code, body)
	}
}

func TestStickyDevices(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	_, v2 := register(t, store, models.KindLogistic, 2, "canary")
	devices := make([]tables.Device, 200)
	for i := range devices {
		devices[i].Device = fmt.Sprintf("%013d", i)
	}
	if err := tables.Put(context.Background(), store, "devices/devices.parquet", devices); err != nil {
		t.Fatal(err)
	}
	cfg := servingConfig()
	cfg.CanaryTraffic, cfg.Sticky = 50, true
	ts := start(t, cfg, function.Deps{Store: store}, false)
	count := map[string]int{}
	for _, d := range devices {
		// Fleet devices without online features yet: imputed, and routed by their id.
		body := fmt.Sprintf(`{"inputs": [[%q]]}`, d.Device)
		first := ""
		for range 3 {
			code, got := post(t, ts.srv.URL+"/v2/models/netops/infer", body)
			if code != 200 {
				t.Fatalf("%d %s", code, got)
			}
			v := versionOf(t, got)
			if first != "" && v != first {
				t.Fatalf("device %s answered by v%s then v%s with --sticky", d.Device, first, v)
			}
			first = v
		}
		count[first]++
	}
	if c := count[fmt.Sprint(v2)]; c < 70 || c > 130 {
		t.Fatalf("canary took %d of 200 sticky devices at 50%%: %v", c, count)
	}
}

func TestShadow(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	m2, v2 := register(t, store, models.KindBoosted, 2, "shadow")
	cfg := servingConfig()
	cfg.MonitorInterval, cfg.MonitorRows = 200*time.Millisecond, 40
	ts := start(t, cfg, function.Deps{Store: store}, true)
	const n = 100
	for i := range n {
		code, body := post(t, ts.srv.URL+"/v2/models/netops/infer", fmt.Sprintf(`{"id": "s%d", "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [%d, 4, 1, 250]}]}`, i, 50+i))
		if code != 200 || versionOf(t, body) != "1" {
			t.Fatalf("request %d = %d %s; the shadow must never answer", i, code, body)
		}
	}
	shadow := map[string]string{"version": fmt.Sprint(v2), "source": "shadow"}
	eventually(t, "shadow scored every request", func() bool { return ts.metric(t, "model_infer_rows_total", shadow) == n })
	if got := ts.metric(t, "model_infer_rows_total", map[string]string{"version": fmt.Sprint(v2), "source": "http"}); got != 0 {
		t.Fatalf("shadow answered %v rows over HTTP", got)
	}
	ts.stop()
	recs := readLog(t, store, "serving/model=netops/")
	var shadowRecs, champRecs int
	for _, r := range recs {
		switch {
		case r.Role == roleShadow && r.Version == int32(v2):
			shadowRecs++
			var x float64
			fmt.Sscanf(strings.TrimPrefix(r.ID, "s"), "%f", &x)
			if want := m2.PredictProba([]float64{50 + x, 4, 1, 250}); len(r.Outputs) != 1 || r.Outputs[0] != want || r.Error != "" {
				t.Fatalf("shadow record %+v, want output %v", r, want)
			}
		case r.Role == roleChampion && r.Version == 1:
			champRecs++
		}
	}
	if shadowRecs != n || champRecs != n {
		t.Fatalf("serving log: %d shadow and %d champion records, want %d each", shadowRecs, champRecs, n)
	}
}

func TestHotReloadUnderLoad(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindBoosted, 1, "champion")
	ts := start(t, servingConfig(), function.Deps{Store: store}, true)
	ctx, cancel := context.WithCancel(context.Background())
	var total, failed atomic.Int64
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				code, body := do(t, c, "POST", ts.srv.URL+"/v2/models/netops/infer", "application/json", oneRow)
				total.Add(1)
				if code != 200 {
					failed.Add(1)
					t.Errorf("during reload: %d %s", code, body)
					continue
				}
				v := versionOf(t, body)
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
		})
	}
	last := 1
	for i := 2; i <= 6; i++ {
		time.Sleep(60 * time.Millisecond)
		_, v := register(t, store, models.KindBoosted, uint64(i), "champion")
		ts.deploy(t, v, "champion", 100)
		last = v
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	wg.Wait()
	if failed.Load() != 0 || total.Load() < 100 {
		t.Fatalf("%d of %d requests failed during 5 reloads", failed.Load(), total.Load())
	}
	if seen["1"] == 0 || seen[fmt.Sprint(last)] == 0 || len(seen) < 3 {
		t.Fatalf("versions answering during the reloads: %v (want 1 through %d)", seen, last)
	}
	code, body := post(t, ts.srv.URL+"/v2/models/netops/infer", oneRow)
	if code != 200 || versionOf(t, body) != fmt.Sprint(last) {
		t.Fatalf("after the reloads: %d %s, want v%d", code, body, last)
	}
	if got := ts.metric(t, "model_infer_request_failure", nil); got != 0 {
		t.Fatalf("model_infer_request_failure = %v", got)
	}
	t.Logf("%d requests during 5 reloads, none failed; versions %v", total.Load(), seen)
}

// TestPeriodicReload: an alias moved in the registry without a model.deployed event (as
// `netops models promote` does) is served after the next periodic re-read.
func TestPeriodicReload(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	cfg := servingConfig()
	cfg.ReloadEvery = 50 * time.Millisecond
	ts := start(t, cfg, function.Deps{Store: store}, true)
	_, v2 := register(t, store, models.KindLogistic, 2, "champion")
	eventually(t, "the promoted version answers", func() bool {
		code, body := post(t, ts.srv.URL+"/v2/models/netops/infer", oneRow)
		return code == 200 && versionOf(t, body) == fmt.Sprint(v2)
	})
}

// TestDeployedReachesEveryReplica: model.deployed published on NATS reloads every replica, not
// only the one its durable consumer (or push trigger) hands it to.
func TestDeployedReachesEveryReplica(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindLogistic, 1, "champion")
	b := testenv.Bus(t)
	cfg := servingConfig()
	cfg.ReloadEvery = 0 // only the broadcast can move them
	replicas := []*testServer{start(t, cfg, function.Deps{Store: store, Bus: b}, true), start(t, cfg, function.Deps{Store: store, Bus: b}, true)}
	_, v2 := register(t, store, models.KindLogistic, 2, "champion")
	e, err := events.New(events.ModelDeployed, "/test", "broadcast", &events.Deployment{Model: "netops", Version: v2, Alias: "champion", Traffic: 100})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let both subscriptions settle
	if err := b.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	for i, ts := range replicas {
		eventually(t, fmt.Sprintf("replica %d serves v%d", i, v2), func() bool {
			code, body := post(t, ts.srv.URL+"/v2/models/netops/infer", oneRow)
			return code == 200 && versionOf(t, body) == fmt.Sprint(v2)
		})
	}
}
