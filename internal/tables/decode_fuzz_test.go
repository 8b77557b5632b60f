package tables

import (
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/fault"
)

// FuzzDecode feeds arbitrary bytes, seeded with real batches and their truncations, to Decode for
// the tables functions read from the store (an object is outside input: any writer with store
// access can put one there). It must never panic or hang, every failure must be permanent (the
// same bytes fail the same way on redelivery), and rows it returns must encode again.
func FuzzDecode(f *testing.F) {
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	tel := []Telemetry{{Timestamp: ts, Device: "0000000000001", CPUUtilization: 50, Latency: 3, PacketLoss: 0.1, Throughput: 250},
		{Timestamp: ts.Add(5 * time.Second), Device: "0000000000002", CPUUtilization: 70, Latency: 9, PacketLoss: 0, Throughput: 100}}
	lab := []Label{{Timestamp: ts, Device: "0000000000001", LatencyIsError: true}, {Timestamp: ts, Device: "0000000000002", IsError: true}}
	pred := []Prediction{{Timestamp: ts, Device: "0000000000001", Model: "netops", Version: 1, Probability: 0.7, Prediction: true}}
	for _, enc := range []func() ([]byte, error){
		func() ([]byte, error) { return Encode(tel) },
		func() ([]byte, error) { return Encode(lab) },
		func() ([]byte, error) { return Encode(pred) },
		func() ([]byte, error) { return Encode([]Telemetry{}) },
	} {
		data, err := enc()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[len(data)/2:])
	}
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode[Telemetry](t, data)
		fuzzDecode[Label](t, data)
		fuzzDecode[Prediction](t, data)
	})
}

func fuzzDecode[T any](t *testing.T, data []byte) {
	rows, err := Decode[T](data)
	if err != nil {
		if !fault.IsPermanent(err) {
			t.Fatalf("Decode[%T] of %d bytes: error is not permanent: %v", rows, len(data), err)
		}
		return
	}
	if _, err := Encode(rows); err != nil {
		t.Fatalf("Decode[%T] returned %d rows that do not encode: %v", rows, len(rows), err)
	}
}
