package driftmagnitude

import (
	"fmt"
	"testing"
	"time"
)

func TestScheduleApply(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	type step struct {
		batch   string
		rows    int64
		minute  int // event time of the batch's latest row, minutes after t0
		wantEnd int // -1: no report
		trigger string
	}
	tests := []struct {
		name  string
		limit int64
		steps []step
	}{
		{"first batch starts the schedule", 0, []step{
			{"a", 10, 3, -1, ""}, {"b", 10, 9, -1, ""}, {"c", 10, 10, 10, TriggerSchedule}, {"d", 10, 19, -1, ""},
			{"e", 10, 20, 20, TriggerSchedule}, {"f", 10, 21, -1, ""},
		}},
		{"a gap reports the latest boundary only", 0, []step{
			{"a", 1, 0, -1, ""}, {"b", 1, 75, 70, TriggerSchedule}, {"c", 1, 79, -1, ""}, {"d", 1, 80, 80, TriggerSchedule},
		}},
		{"late batches never move the schedule back", 0, []step{
			{"a", 1, 5, -1, ""}, {"b", 1, 12, 10, TriggerSchedule}, {"c", 1, 8, -1, ""}, {"d", 1, 19, -1, ""},
		}},
		{"after N rows", 100, []step{
			{"a", 60, 1, -1, ""}, {"b", 60, 2, 10, TriggerRows}, {"c", 60, 4, -1, ""}, {"d", 30, 10, 10, TriggerSchedule},
			{"e", 99, 11, -1, ""}, {"f", 1, 12, 20, TriggerRows}, {"g", 500, 13, 20, TriggerRows},
		}},
		{"one batch of N rows fires at once", 100, []step{{"a", 100, 3, 10, TriggerRows}}},
		{"redelivery repeats the decision and counts once", 100, []step{
			{"a", 60, 1, -1, ""}, {"a", 60, 1, -1, ""}, {"b", 30, 2, -1, ""}, {"c", 30, 11, 10, TriggerSchedule},
			{"c", 30, 11, 10, TriggerSchedule}, {"b", 30, 2, -1, ""}, {"d", 99, 12, -1, ""}, {"d", 99, 12, -1, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s schedule
			for i, st := range tt.steps {
				f := s.apply(st.batch, st.rows, at(st.minute), 10*time.Minute, tt.limit)
				got := "none"
				if f != nil {
					got = fmt.Sprintf("%s@%s", f.Trigger, f.End.Format("15:04"))
				}
				want := "none"
				if st.wantEnd >= 0 {
					want = fmt.Sprintf("%s@%s", st.trigger, at(st.wantEnd).Format("15:04"))
				}
				if got != want {
					t.Fatalf("step %d (batch %s at +%dm): report %s, want %s (state %+v)", i, st.batch, st.minute, got, want, s)
				}
			}
		})
	}
}

func TestFloorTime(t *testing.T) {
	tests := []struct{ in, want time.Time }{
		{t0.Add(9*time.Minute + 59*time.Second), t0},
		{t0.Add(10 * time.Minute), t0.Add(10 * time.Minute)},
		{time.UnixMilli(-1).UTC(), time.UnixMilli(-600_000).UTC()},
	}
	for _, tt := range tests {
		if got := floorTime(tt.in, 10*time.Minute); !got.Equal(tt.want) {
			t.Errorf("floorTime(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Interval: 10 * time.Minute, Window: time.Hour, Possible: 0.5, Detected: 0.7, StateBucket: "drift-magnitude", ChunkRows: 8192,
		ModelThresholds: []string{"netops=0.3:0.6"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if th := good.Thresholds("netops"); th.Possible != 0.3 || th.Detected != 0.6 {
		t.Errorf("netops thresholds %+v", th)
	}
	if th := good.Thresholds("other"); th.Possible != 0.5 || th.Detected != 0.7 {
		t.Errorf("default thresholds %+v", th)
	}
	bad := []struct {
		flag string
		edit func(*Config)
	}{
		{"magnitude-interval", func(c *Config) { c.Interval = 30 * time.Second }},
		{"magnitude-window", func(c *Config) { c.Window = 25 * time.Minute }},
		{"magnitude-rows", func(c *Config) { c.Rows = -1 }},
		{"magnitude-possible", func(c *Config) { c.Possible = 0.9 }},
		{"magnitude-model-thresholds", func(c *Config) { c.ModelThresholds = []string{"netops=0.8"} }},
		{"magnitude-model-thresholds", func(c *Config) { c.ModelThresholds = []string{"netops=0.8:0.2"} }},
		{"magnitude-state-bucket", func(c *Config) { c.StateBucket = "a.b" }},
		{"magnitude-chunk-rows", func(c *Config) { c.ChunkRows = 0 }},
	}
	for _, b := range bad {
		c := good
		b.edit(&c)
		err := c.Validate()
		if err == nil || !containsStr(err.Error(), b.flag) {
			t.Errorf("%s: error %v, want one naming the flag", b.flag, err)
		}
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
