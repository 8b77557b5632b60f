package sim

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// specYAML is the default configuration as SPEC §1 prints it.
const specYAML = `
errors: {length_in_ticks: 3, rate_in_ticks: 5}
timestamps: {interval: 5s, stochastic_interval: false}
deployment:
  device: {faker: msisdn, num_items: 100}
static:
  models: {kind: range, min_range: 0, max_range: 9, as_integer: true}
  country: {kind: choice, choices: [A, B, C, D, E, F, G]}
metrics:
  cpu_utilization: {distribution: normal, distribution_params: {mu: 70, sigma: 10, noise: 0}, is_threshold_below: true,  validation: {metric: {min: 0, max: 100, validate: true}}}
  latency:         {distribution: normal, distribution_params: {mu: 0,  sigma: 5,  noise: 0}, is_threshold_below: true,  validation: {metric: {min: 0, max: 100, validate: true}}}
  packet_loss:     {distribution: normal, distribution_params: {mu: 0,  sigma: 2,  noise: 0}, is_threshold_below: true,  validation: {metric: {min: 0, max: 50,  validate: true}}}
  throughput:      {distribution: normal, distribution_params: {mu: 250, sigma: 20, noise: 0}, is_threshold_below: false, validation: {metric: {min: 0, max: 300, validate: true}}}
`

func TestDefaultConfig(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	want := Config{
		Errors:     Errors{LengthInTicks: 3, RateInTicks: 5},
		Timestamps: Timestamps{Interval: 5 * time.Second},
		Deployment: Deployment{Device: Items{Faker: "msisdn", NumItems: 100}},
		Static: Static{
			Models:  Attribute{Kind: "range", MinRange: 0, MaxRange: 9, AsInteger: true},
			Country: Attribute{Kind: "choice", Choices: []string{"A", "B", "C", "D", "E", "F", "G"}},
		},
		Metrics: Metrics{
			CPUUtilization: Metric{"normal", Normal{70, 10, 0}, true, Validation{Bounds{0, 100, true}}},
			Latency:        Metric{"normal", Normal{0, 5, 0}, true, Validation{Bounds{0, 100, true}}},
			PacketLoss:     Metric{"normal", Normal{0, 2, 0}, true, Validation{Bounds{0, 50, true}}},
			Throughput:     Metric{"normal", Normal{250, 20, 0}, false, Validation{Bounds{0, 300, true}}},
		},
	}
	if !reflect.DeepEqual(def, want) {
		t.Fatalf("DefaultConfig() =\n%+v\nwant\n%+v", def, want)
	}
	for _, tc := range []struct{ name, yaml string }{
		{"empty", ""},
		{"spec text", specYAML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseConfig = %+v, want the default %+v", got, want)
			}
		})
	}
}

func TestParseConfigMergesOntoDefault(t *testing.T) {
	got, err := ParseConfig([]byte(`
metrics: {latency: {distribution_params: {mu: 3}}}
label_horizon: 4
scenarios:
  - name: creep
    at: 2024-06-01T01:00:00Z
    covariate_drift: {metric: cpu_utilization, sigma: 12}
  - at: "2024-06-02T00:00:00Z"
    concept_drift: {metrics: [latency, throughput]}
  - at: 2024-06-03T00:00:00+02:00
    fleet_growth: {num_items: 7}
`))
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Metrics.Latency.DistributionParams; p.Mu != 3 || p.Sigma != 5 {
		t.Errorf("latency params = %+v, want mu 3 and the default sigma 5", p)
	}
	if got.LabelHorizon != 4 || len(got.Scenarios) != 3 {
		t.Fatalf("label_horizon %d, %d scenarios; want 4 and 3", got.LabelHorizon, len(got.Scenarios))
	}
	s := got.Scenarios
	if s[0].Name != "creep" || !s[0].At.Equal(time.Date(2024, 6, 1, 1, 0, 0, 0, time.UTC)) ||
		s[0].CovariateDrift.Metric != "cpu_utilization" || s[0].CovariateDrift.Mu != nil || *s[0].CovariateDrift.Sigma != 12 {
		t.Errorf("scenario 0 = %+v %+v", s[0], s[0].CovariateDrift)
	}
	if !reflect.DeepEqual(s[1].ConceptDrift.Metrics, []string{"latency", "throughput"}) {
		t.Errorf("scenario 1 = %+v", s[1].ConceptDrift)
	}
	if s[2].FleetGrowth.NumItems != 7 || !s[2].At.Equal(time.Date(2024, 6, 2, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("scenario 2 = %+v at %v", s[2].FleetGrowth, s[2].At)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const at = "at: 2024-06-01T00:00:00Z"
	for _, tc := range []struct {
		name, yaml string
		want       []string // each must appear in the error
	}{
		{"unknown top-level field", "foo: 1", []string{"foo: unknown field (line 1)"}},
		{"unknown nested field", "metrics: {latency: {distribution_params: {sigmaa: 1}}}",
			[]string{"metrics.latency.distribution_params.sigmaa: unknown field"}},
		{"unknown metric", "metrics: {memory: {distribution: normal}}", []string{"metrics.memory: unknown field"}},
		{"unknown scenario field", "scenarios: [{" + at + ", covariate_drift: {metric: latency, muu: 1}}]",
			[]string{"scenarios[0].covariate_drift.muu: unknown field"}},
		{"wrong scalar type", "errors: {rate_in_ticks: abc}", []string{"errors.rate_in_ticks: line 1: cannot unmarshal"}},
		{"mapping for scalar", "label_horizon: {a: 1}", []string{"label_horizon: line 1: got a mapping"}},
		{"sequence for mapping", "errors: [1, 2]", []string{"errors: line 1: got a sequence"}},
		{"bad duration", "timestamps: {interval: fast}", []string{"timestamps.interval:"}},
		{"syntax", "errors: {", []string{"parse sim config"}},
		{"sigma zero", "metrics: {latency: {distribution_params: {sigma: 0}}}",
			[]string{"metrics.latency.distribution_params.sigma: must be > 0"}},
		{"sigma nan", "metrics: {latency: {distribution_params: {sigma: .nan}}}",
			[]string{"metrics.latency.distribution_params.sigma: must be > 0"}},
		{"noise negative", "metrics: {throughput: {distribution_params: {noise: -1}}}",
			[]string{"metrics.throughput.distribution_params.noise: must be >= 0"}},
		{"mu infinite", "metrics: {cpu_utilization: {distribution_params: {mu: .inf}}}",
			[]string{"metrics.cpu_utilization.distribution_params.mu: must be finite"}},
		{"poisson", "metrics: {packet_loss: {distribution: poisson}}", []string{"metrics.packet_loss.distribution: must be normal"}},
		{"empty bounds", "metrics: {latency: {validation: {metric: {min: 5, max: 5}}}}", []string{"metrics.latency.validation.metric: min and max"}},
		{"length zero", "errors: {length_in_ticks: 0}", []string{"errors.length_in_ticks: must be between 1 and"}},
		{"rate zero", "errors: {rate_in_ticks: 0}", []string{"errors.rate_in_ticks: must be >= 1"}},
		{"interval zero", "timestamps: {interval: 0s}", []string{"timestamps.interval: must be a positive"}},
		{"interval sub-millisecond", "timestamps: {interval: 1500us}", []string{"timestamps.interval: must be a positive"}},
		{"stochastic", "timestamps: {stochastic_interval: true}", []string{"timestamps.stochastic_interval: must be false"}},
		{"faker", "deployment: {device: {faker: name}}", []string{"deployment.device.faker: must be msisdn"}},
		{"no devices", "deployment: {device: {num_items: 0}}", []string{"deployment.device.num_items: must be between"}},
		{"models kind", "static: {models: {kind: choice}}", []string{"static.models.kind: must be range"}},
		{"models float", "static: {models: {as_integer: false}}", []string{"static.models.as_integer: must be true"}},
		{"models empty range", "static: {models: {min_range: 3, max_range: 3}}", []string{"static.models.max_range: must be > min_range"}},
		{"no countries", "static: {country: {choices: []}}", []string{"static.country.choices: must not be empty"}},
		{"country kind", "static: {country: {kind: range}}", []string{"static.country.kind: must be choice"}},
		{"horizon negative", "label_horizon: -1", []string{"label_horizon: must be between 0"}},
		{"horizon too long", "label_horizon: 10001", []string{"label_horizon: must be between 0"}},
		{"lookahead too big", "label_horizon: 10000\ndeployment: {device: {num_items: 10000}}", []string{"label_horizon: 10000 devices would buffer 10001 ticks"}},
		{"too many devices", "scenarios: [{" + at + ", fleet_growth: {num_items: 10000000}}]", []string{"scenarios: fleet growth makes 10000100 devices"}},
		{"scenario without kind", "scenarios: [{" + at + "}]", []string{"scenarios[0]: must set exactly one"}},
		{"scenario with two kinds", "scenarios: [{" + at + ", fleet_growth: {num_items: 1}, concept_drift: {metrics: [latency]}}]",
			[]string{"scenarios[0]: must set exactly one"}},
		{"scenario without time", "scenarios: [{fleet_growth: {num_items: 1}}]", []string{"scenarios[0].at: must be set"}},
		{"drift unknown metric", "scenarios: [{" + at + ", covariate_drift: {metric: memory, mu: 1}}]",
			[]string{"scenarios[0].covariate_drift.metric: unknown metric \"memory\""}},
		{"drift changes nothing", "scenarios: [{" + at + ", covariate_drift: {metric: latency}}]",
			[]string{"scenarios[0].covariate_drift: must set mu, sigma or both"}},
		{"drift sigma zero", "scenarios: [{" + at + ", covariate_drift: {metric: latency, sigma: 0}}]",
			[]string{"scenarios[0].covariate_drift.sigma: must be > 0"}},
		{"concept empty", "scenarios: [{" + at + ", concept_drift: {metrics: []}}]",
			[]string{"scenarios[0].concept_drift.metrics: must name at least one metric"}},
		{"concept duplicate", "scenarios: [{" + at + ", concept_drift: {metrics: [latency, latency]}}]",
			[]string{"scenarios[0].concept_drift.metrics[1]: duplicate metric"}},
		{"concept unknown", "scenarios: [{" + at + ", concept_drift: {metrics: [memory]}}]",
			[]string{"scenarios[0].concept_drift.metrics[0]: unknown metric"}},
		{"growth zero", "scenarios: [{" + at + ", fleet_growth: {num_items: 0}}]",
			[]string{"scenarios[0].fleet_growth.num_items: must be >= 1"}},
		{"every error reported", "errors: {length_in_ticks: 0, rate_in_ticks: 0}\nlabel_horizon: -2",
			[]string{"errors.length_in_ticks", "errors.rate_in_ticks", "label_horizon"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("ParseConfig(%q) succeeded, want an error", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.name != "syntax" {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("error %v is not a *FieldError", err)
				}
			}
		})
	}
}

func TestNewFleetValidates(t *testing.T) {
	c := DefaultConfig()
	c.Metrics.Latency.DistributionParams.Sigma = -1
	if _, err := NewFleet(c, 1, testStart); err == nil || !strings.Contains(err.Error(), "metrics.latency.distribution_params.sigma") {
		t.Fatalf("NewFleet with a bad config: err = %v, want one naming the field", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(specYAML))
	f.Add([]byte("scenarios: [{at: 2024-06-01T00:00:00Z, concept_drift: {metrics: [latency]}}]"))
	f.Add([]byte("a: &x {b: *x}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig returned an invalid config: %v", err)
		}
	})
}
