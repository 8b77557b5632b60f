package events

import (
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/fault"
)

// FuzzDecode feeds arbitrary event data to Decode for every payload type: it must never panic,
// every failure must be permanent (redelivering the same bytes cannot fix it), and whatever it
// accepts must be valid and survive New → Decode unchanged.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"key":"telemetry/date=2026-11-22/hour=13/a.parquet","rows":10,"from":"2026-11-22T13:00:00Z","to":"2026-11-22T13:01:00Z","schema_version":1}`,
		`{"key":"predictions/model=netops/date=2026-11-22/hour=13/b.parquet","rows":1,"from":"2026-11-22T13:00:00Z","to":"2026-11-22T13:00:00Z","schema_version":1,"model":"netops","version":2,"source":"features/x.parquet"}`,
		`{"ticks":10}`, `{"ticks":0}`, `{"ticks":1e99}`,
		`{"model":"netops","version":1,"alias":"champion","traffic":100}`,
		`{"model":"netops","version":1,"detector":"ddm","index":3,"event_time":"2026-11-22T13:00:00Z","statistic":0.5}`,
		`{"model":"netops","version":1,"key":"monitoring/r.json","status":"NO_DRIFT","general_drift":0.1}`,
		`{"run_id":"r1","workflow":"retrain","status":"succeeded"}`,
		`{"key":`, `[1,2,3]`, `null`, `""`, `{"key":"a","rows":-1,"schema_version":99,"extra":true}`, "\xff\xfe",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{"ticks":1}`), "text/plain")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		e := cloudevents.New()
		e.SetID("fuzz")
		e.SetType(GenerateRequest)
		e.SetSource("/fuzz")
		e.SetDataContentType(contentType)
		e.DataEncoded = data
		checkDecode[Batch](t, e)
		checkDecode[Generate](t, e)
		checkDecode[Deployment](t, e)
		checkDecode[DriftSignal](t, e)
		checkDecode[DriftReport](t, e)
		checkDecode[Workflow](t, e)
	})
}

func checkDecode[T any, P interface {
	*T
	Payload
}](t *testing.T, e cloudevents.Event) {
	p, err := Decode[T, P](e)
	if err != nil {
		if !fault.IsPermanent(err) {
			t.Fatalf("Decode[%T] error is not permanent: %v", p, err)
		}
		return
	}
	if err := P(p).Validate(); err != nil {
		t.Fatalf("Decode[%T] accepted an invalid payload: %v", p, err)
	}
	again, err := New(e.Type(), "/fuzz", e.ID(), P(p))
	if err != nil {
		t.Fatalf("New from a decoded %T: %v", p, err)
	}
	if _, err := Decode[T, P](again); err != nil {
		t.Fatalf("a decoded %T does not decode again after New: %v", p, err)
	}
}
