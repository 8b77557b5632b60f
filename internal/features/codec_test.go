package features

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenState is a state with every kind of bucket: single rows (one with -0), several rows, an
// empty middle, and buckets that fell out of the 6h window (not encoded).
func goldenState(t testing.TB) *State {
	t.Helper()
	var s State
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	rows := []tables.Telemetry{
		{Timestamp: base, Device: "d", CPUUtilization: 1, Latency: 2, PacketLoss: 3, Throughput: 4}, // evicted
		{Timestamp: base.Add(3 * time.Hour), Device: "d", CPUUtilization: 70.25, Latency: math.Copysign(0, -1), PacketLoss: 0.5, Throughput: 250},
		{Timestamp: base.Add(6*time.Hour + time.Minute), Device: "d", CPUUtilization: 0.1, Latency: 0.2, PacketLoss: 0.3, Throughput: 299.9},
		{Timestamp: base.Add(6*time.Hour + 2*time.Minute), Device: "d", CPUUtilization: 99.5, Latency: 12, PacketLoss: 0, Throughput: 1},
		{Timestamp: base.Add(8*time.Hour + 30*time.Second), Device: "d", CPUUtilization: 50, Latency: 5, PacketLoss: 1, Throughput: 200},
	}
	for _, r := range rows {
		if _, err := s.Update(r, Static{}); err != nil {
			t.Fatal(err)
		}
	}
	return &s
}

func TestStateGolden(t *testing.T) {
	tests := []struct {
		name  string
		state *State
		file  string
	}{
		{"empty", &State{}, "state_v1_empty.hex"},
		{"mixed buckets", goldenState(t), "state_v1.hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.state.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(hexLines(got)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding changed; if on purpose, bump stateVersion and keep decoding the old one\ngot  %x\nwant %x", got, want)
			}
			var back State
			if err := back.UnmarshalBinary(want); err != nil {
				t.Fatal(err)
			}
			probe := cpuRow(time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC), 33)
			sameRows(t, []Row{mustUpdate(t, &back, probe)}, []Row{mustUpdate(t, tt.state, probe)})
		})
	}
}

func hexLines(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		n := min(len(b), 32)
		sb.WriteString(hex.EncodeToString(b[:n]) + "\n")
		b = b[n:]
	}
	return sb.String()
}

func TestStateRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		hist histSpec
	}{
		{"dense", histSpec{seed: 21, devices: 3, ticks: 4000}},
		{"sparse", histSpec{seed: 22, devices: 30, ticks: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := history(tt.hist)
			states := map[string]*State{}
			if _, err := Compute(states, nil, rows, nil); err != nil {
				t.Fatal(err)
			}
			for _, d := range sortedKeys(states) {
				b1, _ := states[d].MarshalBinary()
				var back State
				if err := back.UnmarshalBinary(b1); err != nil {
					t.Fatalf("%s: %v", d, err)
				}
				if b2, _ := back.MarshalBinary(); !bytes.Equal(b1, b2) {
					t.Fatalf("%s: re-encoding differs", d)
				}
				if len(b1) > 3600 {
					t.Errorf("%s: %d bytes, want at most 3600", d, len(b1))
				}
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	f := func(x float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	uv := func(x uint64) []byte { return binary.AppendUvarint(nil, x) }
	last := binary.AppendVarint(nil, int64(time.Hour))
	four := cat(f(1), f(2), f(3), f(4))
	triple := func(sum, lo, hi float64) []byte { return cat(f(sum), f(lo), f(hi)) }
	two := cat(triple(3, 1, 2), triple(0, 0, 0), triple(0, 0, 0), triple(0, 0, 0))
	valid := cat([]byte{1}, uv(1), last, uv(0), uv(1), four)

	var s State
	if err := s.UnmarshalBinary(valid); err != nil {
		t.Fatalf("valid encoding rejected: %v", err)
	}
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "empty"},
		{"future version", []byte{2, 0}, "unsupported version 2"},
		{"too many buckets", cat([]byte{1}, uv(37), last), "exceeds"},
		{"bad varint", []byte{1, 0x80}, "varint"},
		{"trailing byte", append(cat(valid), 0), "trailing"},
		{"trailing after empty", []byte{1, 0, 0}, "trailing"},
		{"truncated float", valid[:len(valid)-1], "truncated"},
		{"age out of window", cat([]byte{1}, uv(1), last, uv(36), uv(1), four), "age 36"},
		{"ages not decreasing", cat([]byte{1}, uv(2), last, uv(0), uv(1), four, uv(0), uv(1), four), "age 0 not below 0"},
		{"newest bucket missing", cat([]byte{1}, uv(1), last, uv(3), uv(1), four), "newest bucket has age 3"},
		{"zero rows", cat([]byte{1}, uv(1), last, uv(0), uv(0), four), "0 rows"},
		{"NaN value", cat([]byte{1}, uv(1), last, uv(0), uv(1), f(math.NaN()), f(2), f(3), f(4)), "bad aggregate"},
		{"min above max", cat([]byte{1}, uv(1), last, uv(0), uv(2), triple(3, 2, 1), two[24:]), "bad aggregate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := *goldenState(t)
			err := s.UnmarshalBinary(tt.data)
			if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want ErrBadState mentioning %q", err, tt.msg)
			}
			if s != (State{}) {
				t.Fatal("failed decode did not reset the state")
			}
		})
	}
}

// FuzzUnmarshalState feeds arbitrary bytes to the decoder: it must never panic, and whatever it
// accepts must re-encode canonically and compute the same features as its re-decoded self.
func FuzzUnmarshalState(f *testing.F) {
	gs, _ := goldenState(f).MarshalBinary()
	empty, _ := (&State{}).MarshalBinary()
	f.Add(gs)
	f.Add(empty)
	f.Add([]byte{1, 1, 0, 0, 2})
	probe := cpuRow(time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC), 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		b1, _ := s.MarshalBinary()
		var s2 State
		if err := s2.UnmarshalBinary(b1); err != nil {
			t.Fatalf("re-encoding rejected: %v", err)
		}
		if b2, _ := s2.MarshalBinary(); !bytes.Equal(b1, b2) {
			t.Fatal("encoding is not canonical")
		}
		r1, err1 := s.Update(probe, Static{})
		r2, err2 := s2.Update(probe, Static{})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("update errors differ: %v vs %v", err1, err2)
		}
		if err1 == nil {
			sameRows(t, []Row{r1}, []Row{r2})
		}
	})
}
