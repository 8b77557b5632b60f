package driftdetectors

import (
	"context"
	"fmt"
	"testing"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
)

// TestRememberBounds: the applied list keeps the newest ids, and flag changes only within the
// byte budget, always for the newest batch.
func TestRememberBounds(t *testing.T) {
	var r record
	big := make([]flagChange, maxFlagBytes/160/3)
	for i := range 10 {
		r.remember(fmt.Sprint("b", i), big, 8)
	}
	if len(r.Applied) != 8 || r.Applied[0].ID != "b2" || r.Applied[7].ID != "b9" {
		t.Fatalf("applied %d entries from %s", len(r.Applied), r.Applied[0].ID)
	}
	kept := 0
	for i, a := range r.Applied {
		if a.Flags != nil {
			kept++
		} else if !a.Trimmed {
			t.Errorf("entry %d lost its flags without being marked trimmed", i)
		}
	}
	if kept != 3 || r.Applied[7].Flags == nil {
		t.Errorf("%d entries keep their flags (newest kept: %v), want the newest 3", kept, r.Applied[7].Flags != nil)
	}
	r.remember("huge", make([]flagChange, 2*maxFlagBytes/160), 8)
	if r.Applied[7].Flags == nil {
		t.Error("the newest batch's flags were dropped")
	}
	if _, ok := r.find("b3"); !ok {
		t.Error("an id whose flags were dropped is no longer recognised")
	}
}

// TestParameterChangeRestartsDetector: a restart with another parameter for one detector starts
// that detector over (warmed up again) and continues the others.
func TestParameterChangeRestartsDetector(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", xs[:300])
	before, after := testConfig(t), testConfig(t, "--params=ph.threshold=20")
	evs := e.batches("b", "netops", v, xs[300:], 350)
	got := run(t, e.instance(before), evs[:1])
	for d, kinds := range run(t, e.instance(after), evs[1:]) {
		if got[d] == nil {
			got[d] = map[string][]int64{}
		}
		for k, idx := range kinds {
			got[d][k] = append(got[d][k], idx...)
		}
	}
	ref := reference(t, before.plan.base[:2], xs[:300], xs[300:]) // ddm and eddm continue
	for _, d := range []string{"ddm", "eddm"} {
		if !equal(sigs{d: got[d]}, sigs{d: ref[d]}) {
			t.Errorf("%s: %v, want %v", d, got[d], ref[d])
		}
	}
	rec, _, _, err := bus.GetJSON[record](context.Background(), e.instance(after).kv, endpoint.Key("netops", v))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.Detectors {
		if d.Kind == "page_hinkley" && d.Spec.Threshold != 20 {
			t.Errorf("page_hinkley spec %+v, want threshold 20", d.Spec)
		}
	}
	// Page-Hinkley restarted at index 350 with threshold 20: its signals are the library's over
	// the rest of the stream, warmed up again.
	phRef := reference(t, after.plan.base[2:3], xs[:300], xs[650:])
	var want []int64
	for _, i := range phRef["page_hinkley"][signalChange] {
		want = append(want, i+350)
	}
	gotPH := got["page_hinkley"][signalChange]
	if len(want) == 0 || len(gotPH) < len(want) || fmt.Sprint(gotPH[len(gotPH)-len(want):]) != fmt.Sprint(want) {
		t.Errorf("page_hinkley changes %v, want ending with %v", got["page_hinkley"][signalChange], want)
	}
}
