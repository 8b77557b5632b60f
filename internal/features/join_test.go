package features

import (
	"errors"
	"iter"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func frow(dev string, sec int) Row { return Row{Device: dev, Timestamp: at(sec)} }

func label(dev string, sec int, isError bool) tables.Label {
	return tables.Label{Device: dev, Timestamp: at(sec), IsError: isError}
}

// joined is the expected outcome for one row: dropped, or joined with is_error.
type joined struct {
	ok, isError bool
}

func TestJoiner(t *testing.T) {
	tests := []struct {
		name   string
		rows   []Row
		labels []tables.Label
		want   []joined
		stats  JoinStats
	}{
		{"equal timestamp counts",
			[]Row{frow("a", 0)},
			[]tables.Label{label("a", 0, true)},
			[]joined{{true, true}},
			JoinStats{Rows: 1, Joined: 1, Labels: 1}},
		{"latest label wins",
			[]Row{frow("a", 1), frow("a", 2), frow("a", 3)},
			[]tables.Label{label("a", 0, false), label("a", 2, true)},
			[]joined{{true, false}, {true, true}, {true, true}},
			JoinStats{Rows: 3, Joined: 3, Labels: 2}},
		{"no label yet drops the row",
			[]Row{frow("a", 1), frow("b", 1), frow("b", 5)},
			[]tables.Label{label("a", 1, true), label("b", 4, false)},
			[]joined{{true, true}, {false, false}, {true, false}},
			JoinStats{Rows: 3, Joined: 2, Dropped: 1, Labels: 2}},
		{"future label is not used",
			[]Row{frow("a", 1)},
			[]tables.Label{label("a", 0, false), label("a", 2, true)},
			[]joined{{true, false}},
			JoinStats{Rows: 1, Joined: 1, Labels: 1}},
		{"labels are per device",
			[]Row{frow("a", 3), frow("b", 3)},
			[]tables.Label{label("a", 1, true), label("b", 2, false), label("a", 3, false)},
			[]joined{{true, false}, {true, false}},
			JoinStats{Rows: 2, Joined: 2, Labels: 3}},
		{"same timestamp: last label in the stream wins",
			[]Row{frow("a", 1)},
			[]tables.Label{label("a", 1, false), label("a", 1, true)},
			[]joined{{true, true}},
			JoinStats{Rows: 1, Joined: 1, Labels: 2}},
		{"no labels at all",
			[]Row{frow("a", 1)},
			nil,
			[]joined{{false, false}},
			JoinStats{Rows: 1, Dropped: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJoiner(seq2(tt.labels, nil))
			defer j.Close()
			for i, r := range tt.rows {
				tr, ok, err := j.Join(r)
				if err != nil {
					t.Fatal(err)
				}
				if got := (joined{ok, tr.IsError}); got != tt.want[i] {
					t.Errorf("row %d: got %+v, want %+v", i, got, tt.want[i])
				}
				if ok && (tr.Device != r.Device || !tr.Timestamp.Equal(r.Timestamp)) {
					t.Errorf("row %d: training row is for %s %s", i, tr.Device, tr.Timestamp)
				}
			}
			if got := j.Stats(); got != tt.stats {
				t.Errorf("stats %+v, want %+v", got, tt.stats)
			}
		})
	}
}

func TestJoinerRejects(t *testing.T) {
	boom := errors.New("boom")
	failing := func(yield func(tables.Label, error) bool) {
		if yield(label("a", 0, false), nil) {
			yield(tables.Label{}, boom)
		}
	}
	tests := []struct {
		name   string
		rows   []Row
		labels iter.Seq2[tables.Label, error]
		want   error
	}{
		{"row out of order", []Row{frow("a", 5), frow("b", 4)}, seq2([]tables.Label{label("a", 0, false)}, nil), ErrOutOfOrder},
		{"label out of order", []Row{frow("a", 9)}, seq2([]tables.Label{label("a", 5, false), label("b", 4, true)}, nil), ErrOutOfOrder},
		{"label stream fails", []Row{frow("a", 9)}, failing, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJoiner(tt.labels)
			defer j.Close()
			var err error
			for _, r := range tt.rows {
				if _, _, err = j.Join(r); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if _, _, again := j.Join(frow("a", 100)); !errors.Is(again, tt.want) {
				t.Errorf("after failure: err = %v, want %v again", again, tt.want)
			}
		})
	}
}

// TestJoinerIsLazy checks the join reads labels only as far as the rows need, so it can run over
// streams that do not fit in memory.
func TestJoinerIsLazy(t *testing.T) {
	var labels []tables.Label
	for s := range 1000 {
		labels = append(labels, label("a", s, s%2 == 0))
	}
	pulled := 0
	j := NewJoiner(seq2(labels, &pulled))
	defer j.Close()
	if _, _, err := j.Join(frow("a", 10)); err != nil {
		t.Fatal(err)
	}
	if pulled > 12 {
		t.Fatalf("pulled %d labels to join a row at second 10", pulled)
	}
}

// TestAsOfJoinBruteForce compares AsOfJoin with a scan over all labels, on random streams.
func TestAsOfJoinBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 0))
	tele := history(histSpec{seed: 41, devices: 15, ticks: 400})
	rows := offline(t, nil, tele)
	var labels []tables.Label
	for _, tr := range tele {
		if r.IntN(3) == 0 { // labels for some ticks only, some a little late
			labels = append(labels, tables.Label{Device: tr.Device, Timestamp: tr.Timestamp.Add(time.Duration(r.IntN(2)) * time.Second), IsError: r.IntN(2) == 0})
		}
	}
	// Delayed labels may overtake; keep the stream sorted, as the join requires.
	sortLabels(labels)

	var stats JoinStats
	var got []TrainingRow
	for tr, err := range AsOfJoin(seq2(rows, nil), seq2(labels, nil), &stats) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tr)
	}
	var want []TrainingRow
	for _, row := range rows {
		found, isError := false, false
		for _, l := range labels {
			if l.Device == row.Device && !l.Timestamp.After(row.Timestamp) {
				found, isError = true, l.IsError
			}
		}
		if found {
			want = append(want, TrainingRow{Row: row, IsError: isError})
		}
	}
	if len(got) != len(want) || stats.Joined != len(want) || stats.Dropped != len(rows)-len(want) || stats.Rows != len(rows) {
		t.Fatalf("got %d rows, stats %+v; want %d joined of %d", len(got), stats, len(want), len(rows))
	}
	if stats.Dropped == 0 || stats.Joined == 0 {
		t.Fatalf("test data too easy: %+v", stats)
	}
	for i := range want {
		if got[i].IsError != want[i].IsError || got[i].Device != want[i].Device || !got[i].Timestamp.Equal(want[i].Timestamp) {
			t.Fatalf("row %d: got %s %s %v, want %s %s %v", i, got[i].Device, got[i].Timestamp, got[i].IsError,
				want[i].Device, want[i].Timestamp, want[i].IsError)
		}
	}
}

func sortLabels(ls []tables.Label) {
	// Stable, so labels with equal timestamps keep their stream order.
	slices.SortStableFunc(ls, func(a, b tables.Label) int { return a.Timestamp.Compare(b.Timestamp) })
}

func TestAsOfJoinStopsEarly(t *testing.T) {
	rows := []Row{frow("a", 1), frow("a", 2), frow("a", 3)}
	var stats JoinStats
	n := 0
	for _, err := range AsOfJoin(seq2(rows, nil), seq2([]tables.Label{label("a", 0, true)}, nil), &stats) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	if stats.Joined != 2 {
		t.Fatalf("stats %+v after stopping at 2 rows", stats)
	}
}

func TestAsOfJoinPassesRowError(t *testing.T) {
	boom := errors.New("boom")
	rows := func(yield func(Row, error) bool) { yield(Row{}, boom) }
	n := 0
	for _, err := range AsOfJoin(rows, seq2[tables.Label](nil, nil), nil) {
		n++
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
	}
	if n != 1 {
		t.Fatalf("yielded %d values, want the error once", n)
	}
}
