package features

import (
	"errors"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// TestOnlineEqualsOffline proves the absence of train/serve skew: feeding the history batch by
// batch, with every device state serialised and restored between batches, gives the same
// features, bit for bit, as one offline pass.
func TestOnlineEqualsOffline(t *testing.T) {
	tests := []struct {
		name     string
		hist     histSpec
		maxBatch int // batch sizes are drawn from 1..maxBatch
	}{
		{"few devices small batches", histSpec{seed: 1, devices: 3, ticks: 2000}, 5},
		{"many devices", histSpec{seed: 2, devices: 60, ticks: 600}, 200},
		{"row by row", histSpec{seed: 3, devices: 8, ticks: 800}, 1},
		{"one batch", histSpec{seed: 4, devices: 20, ticks: 300}, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := history(tt.hist)
			statics := fleet(tt.hist.seed, rows)
			want := offline(t, statics, rows)

			t.Run("map", func(t *testing.T) {
				sameRows(t, onlineMap(t, statics, rows, tt.hist.seed, tt.maxBatch), want)
			})
			t.Run("worker", func(t *testing.T) {
				sameRows(t, onlineWorker(t, statics, rows), want)
			})
		})
	}
}

// onlineMap runs rows through Compute in random batches, loading the batch's states from a KV
// stand-in into fresh States before each batch and storing all of them after it.
func onlineMap(t *testing.T, statics Statics, rows []tables.Telemetry, seed uint64, maxBatch int) []Row {
	r := rand.New(rand.NewPCG(seed, 3))
	kv := map[string][]byte{}
	var out []Row
	for len(rows) > 0 {
		n := min(len(rows), 1+r.IntN(min(maxBatch, len(rows))))
		batch := rows[:n]
		rows = rows[n:]
		states := map[string]*State{}
		for _, d := range Devices(batch) {
			if b, ok := kv[d]; ok {
				s := new(State)
				if err := s.UnmarshalBinary(b); err != nil {
					t.Fatal(err)
				}
				states[d] = s
			}
		}
		var err error
		if out, err = Compute(states, statics, batch, out); err != nil {
			t.Fatal(err)
		}
		encodeAll(t, states, kv)
	}
	return out
}

// onlineWorker is the other online pattern: one State reused for every device, restored from and
// stored to KV around every single row.
func onlineWorker(t *testing.T, statics Statics, rows []tables.Telemetry) []Row {
	kv := map[string][]byte{}
	var s State
	out := make([]Row, 0, len(rows))
	for _, row := range rows {
		// UnmarshalBinary must overwrite whatever the previous device left in s.
		if b, ok := kv[row.Device]; ok {
			if err := s.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
		} else {
			s = State{}
		}
		fr, err := s.Update(row, statics[row.Device])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fr)
		if kv[row.Device], err = s.AppendBinary(kv[row.Device][:0]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestStreamPipeline runs the offline training-set pipeline, Stream into AsOfJoin, over batches
// of a history and checks it yields the one-pass features.
func TestStreamPipeline(t *testing.T) {
	rows := history(histSpec{seed: 51, devices: 10, ticks: 300})
	statics := fleet(51, rows)
	want := offline(t, statics, rows)
	batches := func(yield func([]tables.Telemetry, error) bool) {
		for i := 0; i < len(rows); i += 37 {
			if !yield(rows[i:min(i+37, len(rows))], nil) {
				return
			}
		}
	}
	// A label at every row's timestamp, so every row joins.
	labels := make([]tables.Label, len(rows))
	for i, r := range rows {
		labels[i] = tables.Label{Timestamp: r.Timestamp, Device: r.Device, IsError: i%2 == 0}
	}
	var got []Row
	var stats JoinStats
	for tr, err := range AsOfJoin(Stream(map[string]*State{}, statics, batches), seq2(labels, nil), &stats) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tr.Row)
	}
	sameRows(t, got, want)
	if stats.Joined != len(rows) || stats.Labels != len(rows) {
		t.Errorf("stats %+v, want all %d rows joined", stats, len(rows))
	}
}

func TestStreamStopsAtError(t *testing.T) {
	boom := errors.New("boom")
	good := []tables.Telemetry{cpuRow(epoch(0), 1)}
	tests := []struct {
		name    string
		batches iter.Seq2[[]tables.Telemetry, error]
		want    error
	}{
		{"batch source fails", func(yield func([]tables.Telemetry, error) bool) {
			if yield(good, nil) {
				yield(nil, boom)
			}
		}, boom},
		{"row out of order", func(yield func([]tables.Telemetry, error) bool) {
			if yield(good, nil) {
				yield([]tables.Telemetry{cpuRow(epoch(-time.Hour), 1)}, nil)
			}
		}, ErrOutOfOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows int
			var last error
			for _, err := range Stream(map[string]*State{}, nil, tt.batches) {
				if err != nil {
					last = err
					continue
				}
				rows++
			}
			if rows != 1 || !errors.Is(last, tt.want) {
				t.Fatalf("got %d rows and %v, want 1 row and %v", rows, last, tt.want)
			}
		})
	}
}
