package preprocessor

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// statesOf returns the encoded states of one device after each of n rows at the given interval.
func statesOf(t testing.TB, n int, every time.Duration) [][]byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	var s features.State
	out := [][]byte{zeroState}
	for k := range n {
		row := tables.Telemetry{Timestamp: t0.Add(time.Duration(k) * every), Device: "d",
			CPUUtilization: 70 + 10*r.NormFloat64(), Latency: max(0, r.NormFloat64()), Throughput: 250}
		if _, err := s.Update(row, features.Static{}); err != nil {
			t.Fatal(err)
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestRecordGolden pins the version 1 layout in both forms: a change breaks the states every
// running deployment holds.
func TestRecordGolden(t *testing.T) {
	tests := []struct {
		name string
		r    record
		want string
	}{
		{"whole", record{batch: "tel-1", before: zeroState, after: []byte{1, 1, 2, 3}},
			"01" + "05" + "74656c2d31" + "00" + "02" + "0100" + "01010203"},
		{"patch", record{batch: "b", before: []byte{1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 7}, after: []byte{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 8}},
			"01" + "01" + "62" + "01" + "06" + "010109" + "080107" + "0102000000000000000008"},
		{"patch not shorter", record{batch: "b", before: []byte{1, 9, 9, 9, 5, 6}, after: []byte{1, 2, 3, 4, 5, 7}},
			"01" + "01" + "62" + "00" + "06" + "010909090506" + "010203040507"},
		{"equal states", record{batch: "b", before: []byte{1, 2, 3}, after: []byte{1, 2, 3}},
			"01" + "01" + "62" + "01" + "00" + "010203"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.r.appendTo(nil)); got != tt.want {
				t.Fatalf("encoding %s, want %s", got, tt.want)
			}
		})
	}
}

// TestRecordRoundTrip encodes records of real states — consecutive ones within a bucket, across
// a bucket boundary, and of different lengths — and checks that both states come back and that
// the patch form makes a record of a full window about half of two whole states.
func TestRecordRoundTrip(t *testing.T) {
	states := statesOf(t, 4400, 5*time.Second) // more than 6h of 5-second ticks
	for i := 1; i < len(states); i++ {
		r := record{batch: "batch", before: states[i-1], after: states[i]}
		enc := r.appendTo([]byte("keep"))
		if string(enc[:4]) != "keep" {
			t.Fatal("appendTo overwrote dst")
		}
		if len(enc)-4 > r.maxSize() {
			t.Fatalf("record of %d bytes exceeds maxSize %d", len(enc)-4, r.maxSize())
		}
		got, err := parseRecord(enc[4:])
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if got.batch != r.batch || !bytes.Equal(got.beforeState(), r.before) || !bytes.Equal(got.after, r.after) {
			t.Fatalf("row %d: round trip differs", i)
		}
		if i == len(states)-1 {
			whole := 2 * len(states[i])
			t.Logf("full window: state %d bytes, record %d bytes", len(states[i]), len(enc)-4)
			if n := len(enc) - 4; n > whole*6/10 {
				t.Errorf("record of a full window: %d bytes, two whole states take %d", n, whole)
			}
		}
	}
}

func TestParseRecordRejects(t *testing.T) {
	long := (&record{batch: strings.Repeat("x", maxBatchID+1), before: zeroState, after: zeroState}).appendTo(nil)
	tests := []struct {
		name, hex, want string
	}{
		{"empty", "", "empty record"},
		{"newer version", "02", "written by a newer build: record version 2, this build reads 1"},
		{"version 0", "00", "record version 0, this build reads 1"},
		{"no batch", "01", "bad batch id length"},
		{"empty batch", "0100000201000100", "empty batch id"},
		{"batch too long", hex.EncodeToString(long), "batch id length 4097"},
		{"truncated batch", "010561", "batch id length 5 exceeds the 1 bytes left"},
		{"no form", "010161", "bad before-state form"},
		{"bad form", "01016102", "bad before-state form"},
		{"no before", "01016100", "bad before state length"},
		{"before too long", "010161000901", "before state length 9 exceeds"},
		{"empty before", "01016100000100", "missing state"},
		{"no after", "0101610002" + "0100", "missing state"},
		{"patch beyond state", "0101610103" + "020101" + "0100", "patch run beyond the 2-byte state"},
		{"truncated patch run", "0101610102" + "0005" + "0100", "patch run beyond"},
		{"bad patch varint", "0101610101" + "ff" + "0100", "bad patch run"},
		{"huge varint", "01ffffffffffffffffffff01", "bad batch id length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseRecord(data); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzParseRecord feeds arbitrary KV values to the record decoder: it must never panic, and what
// it accepts must encode to a record that decodes to the same states.
func FuzzParseRecord(f *testing.F) {
	states := statesOf(f, 30, time.Minute)
	for i := 1; i < len(states); i += 7 {
		f.Add((&record{batch: "b", before: states[i-1], after: states[i]}).appendTo(nil))
	}
	f.Add([]byte{1, 1, 'a', 1, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseRecord(data)
		if err != nil {
			return
		}
		before := r.beforeState()
		back, err := parseRecord((&record{batch: r.batch, before: before, after: r.after}).appendTo(nil))
		if err != nil {
			t.Fatalf("re-encoded record does not parse: %v", err)
		}
		if back.batch != r.batch || !bytes.Equal(back.beforeState(), before) || !bytes.Equal(back.after, r.after) {
			t.Fatal("re-encoded record differs")
		}
	})
}

// appendToTwoPass is the reference encoder: it sizes the patch in one diff pass and writes it in
// another. appendTo must produce the same bytes.
func appendToTwoPass(r *record, dst []byte) []byte {
	dst = append(dst, recordVersion)
	dst = binary.AppendUvarint(dst, uint64(len(r.batch)))
	dst = append(dst, r.batch...)
	size := 0
	ok := diff(r.before, r.after, func(keep, from, to int) {
		size += uvarintLen(keep) + uvarintLen(to-from) + to - from
	})
	if ok && size < len(r.before) {
		dst = append(dst, formPatch)
		dst = binary.AppendUvarint(dst, uint64(size))
		diff(r.before, r.after, func(keep, from, to int) {
			dst = binary.AppendUvarint(dst, uint64(keep))
			dst = binary.AppendUvarint(dst, uint64(to-from))
			dst = append(dst, r.before[from:to]...)
		})
	} else {
		dst = append(dst, formWhole)
		dst = binary.AppendUvarint(dst, uint64(len(r.before)))
		dst = append(dst, r.before...)
	}
	return append(dst, r.after...)
}

// TestRecordOnePassMatchesTwoPass compares appendTo with the reference on random state pairs of
// every density of differences, on real consecutive states, and with dst of little capacity.
func TestRecordOnePassMatchesTwoPass(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	check := func(rec record) {
		t.Helper()
		want := appendToTwoPass(&rec, []byte("x"))
		if got := rec.appendTo([]byte("x")); !bytes.Equal(got, want) {
			t.Fatalf("before %x after %x: got %x, want %x", rec.before, rec.after, got, want)
		}
		if got := rec.appendTo(make([]byte, 1, rec.maxSize()+1)); !bytes.Equal(got[1:], want[1:]) {
			t.Fatalf("before %x after %x (preallocated): got %x, want %x", rec.before, rec.after, got, want)
		}
	}
	for range 20000 {
		n := r.IntN(300)
		before := make([]byte, n)
		for i := range before {
			before[i] = byte(r.IntN(4))
		}
		after := bytes.Clone(before)
		p := r.Float64()
		for i := range after {
			if r.Float64() < p {
				after[i] = byte(r.IntN(4))
			}
		}
		if r.IntN(10) == 0 {
			after = append(after, 1)
		}
		check(record{batch: "b", before: before, after: after})
	}
	states := statesOf(t, 800, 5*time.Second)
	for i := 1; i < len(states); i++ {
		check(record{batch: "batch", before: states[i-1], after: states[i]})
	}
}
