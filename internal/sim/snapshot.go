package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrBadSnapshot marks a snapshot that cannot be restored: corrupt, truncated, of another format
// version, or taken from a fleet with a different config, seed or start.
var ErrBadSnapshot = errors.New("bad fleet snapshot")

const snapshotMagic = "netops.sim\x01"

// pcgSize is the length of a PCG's binary encoding.
const pcgSize = 20

// MarshalBinary encodes the fleet's state: tick counters, every device's random stream and episode
// state, and the ticks simulated ahead for the label horizon. Restoring it with UnmarshalBinary
// into a fleet made by NewFleet with the same config, seed and start continues the identical
// sequence of rows.
func (f *Fleet) MarshalBinary() ([]byte, error) {
	n := len(f.devs)
	ahead := int(f.simulated - f.emitted)
	b := make([]byte, 0, len(snapshotMagic)+32+n*(pcgSize+4+1+16+32+40)+ahead*n*32)
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint64(b, f.fingerprint)
	b = binary.LittleEndian.AppendUint64(b, f.simulated)
	b = binary.LittleEndian.AppendUint64(b, f.emitted)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, uint32(f.window))
	for i := range f.devs {
		d := &f.devs[i]
		var err error
		if b, err = d.pcg.AppendBinary(b); err != nil {
			return nil, fmt.Errorf("marshal fleet: %w", err)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(d.step))
		b = append(b, d.mask)
		for _, p := range d.peakLen {
			b = binary.LittleEndian.AppendUint32(b, uint32(p))
		}
		for _, c := range d.chance {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c))
		}
		for _, l := range d.last {
			b = binary.LittleEndian.AppendUint64(b, l)
		}
	}
	for t := f.emitted + 1; t <= f.simulated; t++ {
		slot := int(t % uint64(f.window))
		for _, v := range f.vals[slot*n*4 : (slot+1)*n*4] {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b, nil
}

// UnmarshalBinary restores a state encoded by MarshalBinary. The fleet must come from NewFleet
// with the same config, seed and start as the encoded one; otherwise, or if data is corrupt, it
// returns an error wrapping ErrBadSnapshot and leaves the fleet unchanged.
func (f *Fleet) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	if string(r.bytes(len(snapshotMagic))) != snapshotMagic {
		return badSnapshot("not a fleet snapshot of this version")
	}
	if r.u64() != f.fingerprint {
		return badSnapshot("taken from a fleet with another config, seed or start")
	}
	simulated, emitted := r.u64(), r.u64()
	n, window := int(r.u32()), int(r.u32())
	if r.err != nil {
		return badSnapshot("truncated header")
	}
	if n != len(f.devs) || window != f.window {
		return badSnapshot("fleet shape differs")
	}
	if simulated < emitted || !(simulated == 0 && emitted == 0) && simulated != emitted+uint64(window-1) {
		return badSnapshot("inconsistent tick counters")
	}
	devs := make([]device, n)
	for i := range devs {
		if err := r.device(&devs[i], f.length, simulated); err != nil {
			return err
		}
	}
	vals := make([]float64, len(f.vals))
	for t := emitted + 1; t <= simulated; t++ {
		slot := int(t % uint64(window))
		for j := slot * n * 4; j < (slot+1)*n*4; j++ {
			vals[j] = math.Float64frombits(r.u64())
		}
	}
	if r.err != nil {
		return badSnapshot("truncated")
	}
	if len(r.b) != 0 {
		return badSnapshot("trailing bytes")
	}
	for i := range f.devs {
		d, s := &f.devs[i], &devs[i]
		d.pcg = s.pcg // d.rng keeps drawing from d.pcg
		d.step, d.mask, d.peakLen, d.chance, d.last = s.step, s.mask, s.peakLen, s.chance, s.last
	}
	f.vals = vals
	f.simulated, f.emitted = simulated, emitted
	f.resetWorld()
	f.advanceWorld(simulated)
	return nil
}

func badSnapshot(msg string) error { return fmt.Errorf("%w: %s", ErrBadSnapshot, msg) }

// reader decodes little-endian fields, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = ErrBadSnapshot
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// device decodes and checks one device's state into d.
func (r *reader) device(d *device, length int32, simulated uint64) error {
	if err := d.pcg.UnmarshalBinary(r.bytes(pcgSize)); err != nil || r.err != nil {
		return badSnapshot("bad random stream state")
	}
	d.step = int32(r.u32())
	d.mask = r.u8()
	for m := range d.peakLen {
		d.peakLen[m] = int32(r.u32())
	}
	for m := range d.chance {
		d.chance[m] = math.Float64frombits(r.u64())
	}
	for b := range d.last {
		d.last[b] = r.u64()
	}
	if r.err != nil {
		return badSnapshot("truncated device state")
	}
	if d.step < 0 || d.step > length+1 || d.mask&^allMetrics != 0 {
		return badSnapshot("device episode state out of range")
	}
	for m := range d.peakLen {
		if d.peakLen[m] < 0 || d.peakLen[m] > length || !(d.chance[m] >= 0 && d.chance[m] <= 1) {
			return badSnapshot("device episode parameters out of range")
		}
	}
	for _, l := range d.last {
		if l > simulated {
			return badSnapshot("device flag tick ahead of the simulation")
		}
	}
	return nil
}
