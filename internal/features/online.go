package features

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// OnlineVersion is the version of the online vector encoding written by this build.
//
// Version 1 is OnlineSize bytes, little endian:
//
//	byte  0        version 1
//	bytes 1–8      timestamp: Unix nanoseconds, int64
//	bytes 9–368    the NumFeatures features in the order of Names(), float64 IEEE 754 bits
//
// The version fixes the feature set and order; changing either changes the version. Binary and
// not JSON because the preprocessor writes one vector per device per batch: formatting 45 floats
// as text cost more than computing them, and the vectors would be 2.5 times larger.
const OnlineVersion = 1

// OnlineSize is the length of an encoded online vector.
const OnlineSize = 1 + 8 + 8*NumFeatures

// Online is a device's latest feature vector as the online store keeps it: the preprocessor
// writes one per device (a KV bucket keyed by device id) and the model server reads it to score
// requests that name a device instead of giving its features.
type Online struct {
	// Timestamp is the event time of the telemetry row the vector was computed from.
	Timestamp time.Time
	// Features are the NumFeatures features in the order of Names().
	Features []float64
}

// OnlineOf returns the online vector of a feature row.
func OnlineOf(r *Row) Online {
	return Online{Timestamp: r.Timestamp.UTC(), Features: r.Vector()}
}

// Row returns the vector as the feature row of device.
func (o Online) Row(device string) (Row, error) {
	return FromVector(o.Timestamp, device, o.Features)
}

// MarshalOnline encodes o (see OnlineVersion). It fails for a vector of the wrong length, a NaN
// or infinite value, or a timestamp outside the years 1678–2262.
func MarshalOnline(o Online) ([]byte, error) {
	return AppendOnline(make([]byte, 0, OnlineSize), o)
}

// AppendOnline appends the encoding of o to dst.
func AppendOnline(dst []byte, o Online) ([]byte, error) {
	if err := o.check(); err != nil {
		return dst, err
	}
	dst = append(dst, OnlineVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(o.Timestamp.UnixNano()))
	for _, x := range o.Features {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	}
	return dst, nil
}

// UnmarshalOnline decodes a vector written by MarshalOnline. It rejects another version or
// length and non-finite values, so a caller never scores a vector whose features it would misread.
func UnmarshalOnline(data []byte) (Online, error) {
	if len(data) == 0 {
		return Online{}, fmt.Errorf("online vector: empty")
	}
	if data[0] != OnlineVersion {
		return Online{}, fmt.Errorf("online vector: version %d, this build reads %d", data[0], OnlineVersion)
	}
	if len(data) != OnlineSize {
		return Online{}, fmt.Errorf("online vector: %d bytes, want %d", len(data), OnlineSize)
	}
	o := Online{
		Timestamp: time.Unix(0, int64(binary.LittleEndian.Uint64(data[1:]))).UTC(),
		Features:  make([]float64, NumFeatures),
	}
	for i := range o.Features {
		o.Features[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[9+8*i:]))
	}
	if err := o.check(); err != nil {
		return Online{}, err
	}
	return o, nil
}

// check validates the vector's timestamp, length and values.
func (o Online) check() error {
	if o.Timestamp.Before(minTime) || o.Timestamp.After(maxTime) {
		return fmt.Errorf("online vector: timestamp %s outside the years 1678–2262", o.Timestamp.UTC().Format(time.RFC3339))
	}
	if len(o.Features) != NumFeatures {
		return fmt.Errorf("online vector: %d features, want %d", len(o.Features), NumFeatures)
	}
	for i, x := range o.Features {
		if !finite(x) {
			return fmt.Errorf("online vector: feature %s is %v", names[i], x)
		}
	}
	return nil
}
