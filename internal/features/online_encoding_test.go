package features

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"
)

// goldenOnline pins the wire form of OnlineVersion 1 (hex: version, timestamp, then the features):
// a change here breaks every model server that reads vectors written by an older preprocessor.
const goldenOnline = `01 c0 96 ab da 3b e1 d4 17
0000000000905140 0000000000000080 9a9999999999b93f 0000000000406f40
000000000000f03f 0000000000000040 0000000000000840 0000000000001040 0000000000001440 0000000000001840
0000000000001c40 0000000000002040 0000000000002240 0000000000002440 0000000000002640 0000000000002840
0000000000002a40 0000000000002c40 0000000000002e40 0000000000003040 0000000000003140 0000000000003240
0000000000003340 0000000000003440 0000000000003540 0000000000003640 48afbc9af2d77a3e 9c7500883ce4377e
0000000000000000 0000000000000000 0000000000000000 000000000000f03f 0000000000000000
0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000
0000000000000000 0000000000000000 000000000000f03f 0000000000000000 0000000000000000 0000000000000000 0000000000000000`

func goldenBytes(t *testing.T) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(goldenOnline), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goldenVector() Online {
	v := make([]float64, NumFeatures)
	v[0], v[1], v[2], v[3] = 70.25, math.Copysign(0, -1), 0.1, 250
	for i := 4; i < 28; i++ {
		v[i] = float64(i - 3)
	}
	v[26], v[27] = 1e-7, 1e300
	v[modelsStart+3] = 1
	v[countryStart+2] = 1
	return Online{Timestamp: time.Date(2024, 6, 1, 12, 30, 5, 123e6, time.UTC), Features: v}
}

func TestOnlineGolden(t *testing.T) {
	got, err := MarshalOnline(goldenVector())
	if err != nil {
		t.Fatal(err)
	}
	if want := goldenBytes(t); string(got) != string(want) || len(got) != OnlineSize {
		t.Fatalf("encoding changed:\n got %x\nwant %x", got, want)
	}
	back, err := UnmarshalOnline(goldenBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	sameOnline(t, back, goldenVector())
}

// TestOnlineRoundTrip checks that every row of a random history survives the encoding bit for
// bit, and that the row comes back from it.
func TestOnlineRoundTrip(t *testing.T) {
	rows := offline(t, fleet(61, nil), history(histSpec{seed: 61, devices: 5, ticks: 200}))
	for i := range rows {
		o := OnlineOf(&rows[i])
		b, err := MarshalOnline(o)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalOnline(b)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		sameOnline(t, back, o)
		r, err := back.Row(rows[i].Device)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, []Row{r}, rows[i:i+1])
	}
}

func sameOnline(t *testing.T, got, want Online) {
	t.Helper()
	if !got.Timestamp.Equal(want.Timestamp) || got.Timestamp.Location() != time.UTC {
		t.Fatalf("timestamp %v, want %v in UTC", got.Timestamp, want.Timestamp)
	}
	if len(got.Features) != len(want.Features) {
		t.Fatalf("%d features, want %d", len(got.Features), len(want.Features))
	}
	for i := range want.Features {
		if math.Float64bits(got.Features[i]) != math.Float64bits(want.Features[i]) {
			t.Fatalf("%s = %v, want %v", names[i], got.Features[i], want.Features[i])
		}
	}
}

func TestOnlineRejects(t *testing.T) {
	with := func(f func(o *Online)) Online {
		o := goldenVector()
		o.Features = append([]float64(nil), o.Features...)
		f(&o)
		return o
	}
	for _, tt := range []struct {
		name string
		o    Online
		want string
	}{
		{"short", with(func(o *Online) { o.Features = o.Features[:10] }), "10 features, want 45"},
		{"nan", with(func(o *Online) { o.Features[7] = math.NaN() }), "cpu_utilization_min_6h is NaN"},
		{"inf", with(func(o *Online) { o.Features[0] = math.Inf(-1) }), "cpu_utilization is -Inf"},
		{"far future", with(func(o *Online) { o.Timestamp = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }), "outside the years 1678–2262"},
	} {
		t.Run("marshal "+tt.name, func(t *testing.T) {
			if _, err := MarshalOnline(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}

	for _, tt := range []struct {
		name string
		edit func(b []byte) []byte
		want string
	}{
		{"empty", func([]byte) []byte { return nil }, "empty"},
		{"other version", func(b []byte) []byte { b[0] = 2; return b }, "version 2, this build reads 1"},
		{"short", func(b []byte) []byte { return b[:OnlineSize-8] }, "361 bytes, want 369"},
		{"long", func(b []byte) []byte { return append(b, 0) }, "370 bytes, want 369"},
		{"nan", func(b []byte) []byte { copy(b[9+8*44:], []byte{1, 0, 0, 0, 0, 0, 0xf8, 0x7f}); return b }, "country_G is NaN"},
	} {
		t.Run("unmarshal "+tt.name, func(t *testing.T) {
			if _, err := UnmarshalOnline(tt.edit(goldenBytes(t))); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzUnmarshalOnline feeds arbitrary bytes to the decoder: it must never panic, and whatever it
// accepts must encode back to the same bytes.
func FuzzUnmarshalOnline(f *testing.F) {
	good, _ := MarshalOnline(goldenVector())
	f.Add(good)
	f.Add([]byte{1})
	f.Add(make([]byte, OnlineSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := UnmarshalOnline(data)
		if err != nil {
			return
		}
		b, err := MarshalOnline(o)
		if err != nil {
			t.Fatalf("accepted vector does not encode: %v", err)
		}
		if string(b) != string(data) {
			t.Fatalf("re-encoding %x gives %x", data, b)
		}
	})
}
