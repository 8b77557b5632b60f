package driftdetectors

import (
	"context"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/detect"
	"github.com/netopsfn/netops/internal/endpoint"
)

// TestVectors feeds the scikit-multiflow test vector through the handler as labeled batches of
// uneven sizes, cold (as the vectors were made), and checks the published change indices.
func TestVectors(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	want := map[string][]int{ // internal/detect/testdata/README.md
		detect.KindDDM: {103, 1060}, detect.KindEDDM: {64, 1135}, detect.KindPageHinkley: {1099},
		detect.KindHDDMA: {1052}, detect.KindHDDMW: {1018},
	}
	for _, mode := range []struct {
		name string
		args []string
		base []float64 // the card's test errors
	}{
		{"warmup-off", []string{"--warmup=false"}, []float64{1, 0, 1}},
		{"empty-card", nil, nil},
	} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t)
			v := e.card("netops", mode.base)
			cfg := testConfig(t, append(mode.args, "--detectors=ddm,eddm,ph,hddm_a,hddm_w,adwin", "--params=ph.threshold=50")...)
			got := run(t, e.instance(cfg), e.batches("b", "netops", v, xs, 97, 1, 250, 13))
			for kind, idx := range want {
				if !slices.Equal(got[kind][signalChange], ints(idx)) {
					t.Errorf("%s changes = %v, want %v", kind, got[kind][signalChange], idx)
				}
			}
			// Warnings and ADWIN (no vector on this stream) against the library run directly.
			if ref := reference(t, cfg.plan.base, nil, xs); !equal(got, ref) {
				t.Errorf("signals = %v\nlibrary = %v", got, ref)
			}
		})
	}
}

// TestWarmupMatchesLibrary checks the demo defaults warmed up on the card's test errors against
// detect.Warmup and detect.Run over the same stream.
func TestWarmupMatchesLibrary(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	base, live := xs[:400], xs[400:]
	e := newEnv(t)
	v := e.card("netops", base)
	cfg := testConfig(t)
	got := run(t, e.instance(cfg), e.batches("b", "netops", v, live, 50, 120))
	ref := reference(t, cfg.plan.base, base, live)
	if !equal(got, ref) {
		t.Errorf("signals = %v\nlibrary = %v", got, ref)
	}
	if len(ref[detect.KindDDM][signalChange]) == 0 || len(ref[detect.KindPageHinkley][signalChange]) == 0 {
		t.Errorf("the step in the stream should be detected: %v", ref)
	}
}

// TestRestartContinues runs half the batches on one instance and the rest on a second one
// sharing the KV (a restart or scale from zero): the indices are those of one run.
func TestRestartContinues(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", xs[:300])
	cfg := testConfig(t, "--detectors=ddm,eddm,ph,adwin,hddm_a,hddm_w")
	evs := e.batches("b", "netops", v, xs[300:], 77)
	got := run(t, e.instance(cfg), evs[:len(evs)/2])
	for d, kinds := range run(t, e.instance(cfg), evs[len(evs)/2:]) {
		if got[d] == nil {
			got[d] = map[string][]int64{}
		}
		for k, idx := range kinds {
			got[d][k] = append(got[d][k], idx...)
		}
	}
	if ref := reference(t, cfg.plan.base, xs[:300], xs[300:]); !equal(got, ref) {
		t.Errorf("after restart: %v\none run: %v", got, ref)
	}
}

// TestRedelivery handles every batch twice, as after a crash between saving the state and
// acknowledging: the second delivery feeds nothing and re-publishes the same events.
func TestRedelivery(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", xs[:200])
	cfg := testConfig(t)
	f := e.instance(cfg)
	got := sigs{}
	ctx := context.Background()
	for _, ev := range e.batches("b", "netops", v, xs[200:], 100) {
		first, err := f.handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.instance(cfg).handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != len(again) {
			t.Fatalf("batch %s: %d events, redelivery %d", ev.ID(), len(first), len(again))
		}
		for i := range first {
			if first[i].ID() != again[i].ID() || string(first[i].Data()) != string(again[i].Data()) {
				t.Errorf("batch %s: event %d differs on redelivery: %s %s / %s %s", ev.ID(), i, first[i].ID(), first[i].Data(), again[i].ID(), again[i].Data())
			}
		}
		got.add(t, first)
	}
	if ref := reference(t, cfg.plan.base, xs[:200], xs[200:]); !equal(got, ref) {
		t.Errorf("with redeliveries: %v\nonce: %v", got, ref)
	}
	rec, _, _, err := bus.GetJSON[record](ctx, f.kv, endpoint.Key("netops", v))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Next != int64(len(xs)-200) {
		t.Errorf("state next index %d, want %d: a redelivery was fed", rec.Next, len(xs)-200)
	}
}

// TestConflictRecomputes makes another instance save a batch between this instance's read and
// write: the compare-and-set fails and the batch is recomputed from the fresh state.
func TestConflictRecomputes(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", xs[:200])
	cfg := testConfig(t)
	evs := e.batches("b", "netops", v, xs[200:], 450)
	a, b := e.instance(cfg), e.instance(cfg)
	got := run(t, a, evs[:1])
	other := sigs{}
	a.beforeSave = func(string, int) {
		a.beforeSave = nil
		other = run(t, b, evs[1:2]) // b applies batch 1 while a computes batch 2
	}
	got2 := run(t, a, evs[2:3])
	for _, s := range []sigs{other, got2, run(t, a, evs[3:])} {
		for d, kinds := range s {
			if got[d] == nil {
				got[d] = map[string][]int64{}
			}
			for k, idx := range kinds {
				got[d][k] = append(got[d][k], idx...)
			}
		}
	}
	for _, d := range got {
		for k := range d {
			slices.Sort(d[k])
		}
	}
	if ref := reference(t, cfg.plan.base, xs[:200], xs[200:]); !equal(got, ref) {
		t.Errorf("with a conflict: %v\nwithout: %v", got, ref)
	}
	if n := counterValue(t, a.m.conflicts); n != 1 {
		t.Errorf("conflicts = %v, want 1", n)
	}
}
