package features

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// stateVersion is the first byte of every encoded State.
//
// Version 1 layout (varints as in encoding/binary, floats as IEEE 754 bits, little endian):
//
//	version  byte     1
//	n        uvarint  buckets that follow, 0–36; 0 means no rows yet and ends the encoding
//	last     varint   UnixNano of the newest row
//	n × bucket, oldest first:
//	  age    uvarint  bucket(last) − bucket number: 0–35, strictly decreasing, the final one 0
//	  rows   uvarint  rows in the bucket, ≥ 1
//	  values          rows == 1: the row's 4 metrics (8 bytes each);
//	                  rows > 1: per metric sum, min, max (96 bytes)
//
// Only buckets inside the 6h window of the newest row are written: older ones can never be seen
// again, since rows arrive in timestamp order. That makes the encoding canonical.
const stateVersion = 1

// maxBucketRows bounds the row count of a decoded bucket so sums of counts cannot overflow.
const maxBucketRows = 1 << 40

// MarshalBinary implements encoding.BinaryMarshaler; see AppendBinary.
func (s *State) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(nil)
}

// AppendBinary implements encoding.BinaryAppender: it appends the versioned binary encoding of
// the state to b. A full state (36 buckets of several rows) takes about 3.5 kB.
func (s *State) AppendBinary(b []byte) ([]byte, error) {
	if !s.has {
		return append(b, stateVersion, 0), nil
	}
	last := bucketOf(s.last)
	n := 0
	for k := last - ringSize + 1; k <= last; k++ {
		if s.live(k) {
			n++
		}
	}
	// Grow once, then write the floats in place.
	b = slices.Grow(b, 2+binary.MaxVarintLen64+n*(1+binary.MaxVarintLen64+8*numMetrics*3))
	b = append(b, stateVersion)
	b = binary.AppendUvarint(b, uint64(n))
	b = binary.AppendVarint(b, s.last)
	for k := last - ringSize + 1; k <= last; k++ {
		if !s.live(k) {
			continue
		}
		bk := &s.ring[slotOf(k)]
		b = binary.AppendUvarint(b, uint64(last-k))
		b = binary.AppendUvarint(b, uint64(bk.n))
		off := len(b)
		if bk.n == 1 {
			b = b[:off+8*numMetrics]
			for m := range bk.m {
				binary.LittleEndian.PutUint64(b[off+8*m:], math.Float64bits(bk.m[m].sum))
			}
			continue
		}
		b = b[:off+24*numMetrics]
		for m := range bk.m {
			a, p := &bk.m[m], b[off+24*m:]
			binary.LittleEndian.PutUint64(p, math.Float64bits(a.sum))
			binary.LittleEndian.PutUint64(p[8:], math.Float64bits(a.min))
			binary.LittleEndian.PutUint64(p[16:], math.Float64bits(a.max))
		}
	}
	return b, nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler: it replaces the state with the one
// encoded in data, which it does not retain. On error (errors.Is ErrBadState) the state is reset
// to the zero State; a caller must not go on with it, since a device's history would be lost.
func (s *State) UnmarshalBinary(data []byte) error {
	if err := decodeState(data, s); err != nil {
		*s = State{}
		return fmt.Errorf("%w: %w", ErrBadState, err)
	}
	return nil
}

// decodeState decodes data into s.
func decodeState(data []byte, s *State) error {
	d := decoder{buf: data}
	ver, err := d.byte()
	if err != nil {
		return err
	}
	if ver != stateVersion {
		return fmt.Errorf("unsupported version %d (want %d)", ver, stateVersion)
	}
	n, err := d.uvarint("bucket count")
	if err != nil {
		return err
	}
	if n > ringSize {
		return fmt.Errorf("bucket count %d exceeds %d", n, ringSize)
	}
	var last int64
	if n > 0 {
		if last, err = d.varint("last timestamp"); err != nil {
			return err
		}
	}
	// Slots not overwritten below must not keep buckets of a previous state.
	for i := range s.ring {
		s.ring[i].n = 0
	}
	s.last, s.has, s.priorOK = last, n > 0, false
	if n > 0 {
		if err := decodeBuckets(&d, int(n), bucketOf(last), s); err != nil {
			return err
		}
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%d trailing bytes", len(d.buf))
	}
	return nil
}

// decodeBuckets reads n buckets relative to bucket last into s.
func decodeBuckets(d *decoder, n int, last int64, s *State) error {
	var bk bucket
	prevAge := uint64(ringSize)
	for i := range n {
		age, err := d.uvarint("bucket age")
		if err != nil {
			return err
		}
		if age >= prevAge {
			return fmt.Errorf("bucket %d: age %d not below %d", i, age, prevAge)
		}
		prevAge = age
		rows, err := d.uvarint("bucket rows")
		if err != nil {
			return err
		}
		if rows == 0 || rows > maxBucketRows {
			return fmt.Errorf("bucket %d: %d rows", i, rows)
		}
		bk.idx, bk.n = last-int64(age), int64(rows)
		width := 8 // bytes per metric
		if rows > 1 {
			width = 24
		}
		p, err := d.take(width * numMetrics)
		if err != nil {
			return err
		}
		for m := range bk.m {
			a, q := &bk.m[m], p[width*m:]
			a.sum = math.Float64frombits(binary.LittleEndian.Uint64(q))
			a.min, a.max = a.sum, a.sum
			if rows > 1 {
				a.min = math.Float64frombits(binary.LittleEndian.Uint64(q[8:]))
				a.max = math.Float64frombits(binary.LittleEndian.Uint64(q[16:]))
			}
			if !finite(a.sum) || !finite(a.min) || !finite(a.max) || a.min > a.max {
				return fmt.Errorf("bucket %d: metric %d: bad aggregate sum=%v min=%v max=%v", i, m, a.sum, a.min, a.max)
			}
		}
		s.ring[slotOf(bk.idx)] = bk
	}
	if prevAge != 0 {
		return fmt.Errorf("newest bucket has age %d, want 0", prevAge)
	}
	return nil
}

// decoder reads the fields of an encoded State.
type decoder struct{ buf []byte }

func (d *decoder) byte() (byte, error) {
	if len(d.buf) == 0 {
		return 0, fmt.Errorf("empty")
	}
	c := d.buf[0]
	d.buf = d.buf[1:]
	return c, nil
}

func (d *decoder) uvarint(what string) (uint64, error) {
	x, k := binary.Uvarint(d.buf)
	if k <= 0 {
		return 0, fmt.Errorf("bad %s varint", what)
	}
	d.buf = d.buf[k:]
	return x, nil
}

func (d *decoder) varint(what string) (int64, error) {
	x, k := binary.Varint(d.buf)
	if k <= 0 {
		return 0, fmt.Errorf("bad %s varint", what)
	}
	d.buf = d.buf[k:]
	return x, nil
}

// take returns the next n bytes.
func (d *decoder) take(n int) ([]byte, error) {
	if len(d.buf) < n {
		return nil, fmt.Errorf("truncated floats: %d bytes left, want %d", len(d.buf), n)
	}
	p := d.buf[:n]
	d.buf = d.buf[n:]
	return p, nil
}
