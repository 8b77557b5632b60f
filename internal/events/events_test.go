package events

import (
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/fault"
)

func TestSubjects(t *testing.T) {
	if got := Subject(TelemetryBatch); got != "netops.telemetry.batch" {
		t.Errorf("Subject = %s", got)
	}
	if got := DeadLetterSubject("preprocessor"); got != "netops.dlq.preprocessor" {
		t.Errorf("DeadLetterSubject = %s", got)
	}
}

func TestDerivedID(t *testing.T) {
	a := DerivedID("in-1", "netops")
	if a != DerivedID("in-1", "netops") {
		t.Fatal("not stable")
	}
	for _, other := range []string{DerivedID("in-2", "netops"), DerivedID("in-1", "other"), DerivedID("in-1"), DerivedID("in-1net", "ops")} {
		if other == a {
			t.Fatalf("collision: %s", other)
		}
	}
	if len(a) != 32 {
		t.Fatalf("len %d", len(a))
	}
}

func TestNewAndDecode(t *testing.T) {
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	good := &Batch{Key: "features/x.parquet", Rows: 10, From: ts, To: ts.Add(time.Minute), SchemaVersion: SchemaVersion}
	e, err := New(FeaturesBatch, "/netops/preprocessor", "id-1", good)
	if err != nil {
		t.Fatal(err)
	}
	if e.Subject() != good.Key || e.DataContentType() != "application/json" {
		t.Fatalf("event %v", e)
	}
	got, err := Decode[Batch](e)
	if err != nil || got.Key != good.Key || got.Rows != 10 || !got.To.Equal(good.To) {
		t.Fatalf("Decode = %+v, %v", got, err)
	}
	if _, err := New(FeaturesBatch, "/x", "id", &Batch{Rows: -1, SchemaVersion: SchemaVersion}); err == nil {
		t.Fatal("New accepted an invalid payload")
	}

	tests := []struct {
		name string
		ct   string
		data string
		want string
	}{
		{"unknown field", "application/json", `{"key":"k","rows":1,"schema_version":1,"colour":"red"}`, "unknown field"},
		{"wrong type", "application/json", `{"key":"k","rows":"ten","schema_version":1}`, "invalid payload"},
		{"fails validation", "application/json", `{"key":"","rows":1,"schema_version":1}`, "key: required"},
		{"time order", "application/json", `{"key":"k","rows":1,"schema_version":1,"from":"2026-01-02T00:00:00Z","to":"2026-01-01T00:00:00Z"}`, "is before from"},
		{"future schema", "application/json", `{"key":"k","rows":1,"schema_version":7}`, "schema_version: 7"},
		{"not json", "text/plain", `hello`, "datacontenttype"},
		{"empty", "application/json", ``, "no data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := cloudevents.New()
			ev.SetID("x")
			ev.SetType(FeaturesBatch)
			ev.SetSource("/t")
			if tc.data != "" {
				_ = ev.SetData(tc.ct, []byte(tc.data))
			}
			ev.SetDataContentType(tc.ct)
			_, err := Decode[Batch](ev)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !fault.IsPermanent(err) {
				t.Fatalf("err = %v, want permanent error containing %q", err, tc.want)
			}
		})
	}
}

func TestPayloadValidation(t *testing.T) {
	tests := []struct {
		name string
		p    Payload
		want string
	}{
		{"signal", &DriftSignal{Index: -1}, "model: required"},
		{"report status", &DriftReport{Model: "m", Key: "k", Status: "MAYBE"}, `status: "MAYBE"`},
		{"deployment traffic", &Deployment{Model: "m", Version: 1, Alias: "champion", Traffic: 101}, "traffic: 101"},
		{"deployment version", &Deployment{Model: "m", Alias: "champion"}, "version: 0"},
		{"workflow", &Workflow{}, "run_id: required"},
		{"generate", &Generate{Ticks: 0}, "ticks: 0"},
	}
	for _, tc := range tests {
		if err := tc.p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	valid := []Payload{
		&DriftSignal{Model: "m", Detector: "ddm"},
		&DriftReport{Model: "m", Key: "k", Status: DriftFound},
		&Deployment{Model: "m", Version: 2, Alias: "champion", Traffic: 100},
		&Workflow{RunID: "r", Workflow: "train", Status: "running"},
		&Generate{Ticks: 10},
	}
	for _, p := range valid {
		if err := p.Validate(); err != nil {
			t.Errorf("%T: %v", p, err)
		}
	}
}

func TestDecodeBatchKeysStayInTheirTable(t *testing.T) {
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	batch := func(key, model, source string) *Batch {
		return &Batch{Key: key, Rows: 1, From: ts, To: ts, SchemaVersion: SchemaVersion, Model: model, Version: 1, Source: source}
	}
	const feats = "features/date=2026-11-22/hour=13/a.parquet"
	const preds = "predictions/model=netops/date=2026-11-22/hour=13/a.parquet"
	tests := []struct {
		name, typ string
		b         *Batch
		want      string // "" for accepted
	}{
		{"telemetry", TelemetryBatch, batch("telemetry/date=2026-11-22/hour=13/a.parquet", "", ""), ""},
		{"labels", LabelsBatch, batch("labels/date=2026-11-22/hour=13/a.parquet", "", ""), ""},
		{"features", FeaturesBatch, batch(feats, "", ""), ""},
		{"predictions", PredictionsBatch, batch(preds, "netops", feats), ""},
		{"labeled", LabeledBatch, batch("labeled/model=netops/date=2026-11-22/hour=13/a.parquet", "netops", preds), ""},
		{"labeled without source", LabeledBatch, batch("labeled/model=netops/a.parquet", "netops", ""), ""},

		{"another table", TelemetryBatch, batch("models/netops/v1/model.json", "", ""), `key: "models/netops/v1/model.json" is outside telemetry/`},
		{"table name as a prefix only", FeaturesBatch, batch("features-old/a.parquet", "", ""), "is outside features/"},
		{"dot-dot out of the table", TelemetryBatch, batch("telemetry/../runs/r1.json", "", ""), `".." segment`},
		{"absolute", LabelsBatch, batch("/labels/a.parquet", "", ""), "empty path segment"},
		{"another model's predictions", PredictionsBatch, batch("predictions/model=other/a.parquet", "netops", feats), "is outside predictions/model=netops/"},
		{"predictions without model", PredictionsBatch, batch(preds, "", feats), "model: required"},
		{"predictions without source", PredictionsBatch, batch(preds, "netops", ""), "source: invalid key: empty"},
		{"predictions from labels", PredictionsBatch, batch(preds, "netops", "labels/a.parquet"), `source: "labels/a.parquet" is outside features/`},
		{"labeled from another model", LabeledBatch, batch("labeled/model=netops/a.parquet", "netops", "predictions/model=x/a.parquet"), "is outside predictions/model=netops/"},
		{"source on a features batch", FeaturesBatch, batch(feats, "", "telemetry/a.parquet"), "has none"},
		{"not a batch type", DriftReportType, batch(feats, "", ""), "is not a batch event type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.typ, "/test", "id-1", tt.b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeBatch(e)
			if tt.want == "" {
				if err != nil || got.Key != tt.b.Key {
					t.Fatalf("DecodeBatch = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !fault.IsPermanent(err) {
				t.Fatalf("DecodeBatch error %v, want permanent and containing %q", err, tt.want)
			}
		})
	}
}
