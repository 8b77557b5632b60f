package preprocessor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// recordVersion is the first byte of every value in the state bucket.
//
// Version 1 layout:
//
//	version  byte     1
//	batch    uvarint length, then that many bytes: id of the telemetry.batch event applied last
//	form     byte     how before is given: 0 whole, 1 as a patch of after
//	before   uvarint length, then that many bytes: the features.State encoding before that batch,
//	         or the patch that turns after into it
//	after    the remaining bytes: the features.State encoding after the batch
//
// Keeping the state before the batch is what makes a redelivered batch exact: it restarts from
// before, not from after, whichever devices its first attempt managed to save.
//
// A patch is a sequence of runs, each: uvarint count of bytes to keep, uvarint count n of bytes
// to replace, then the n replacement bytes; the result has the length of after. Within one
// 10-minute bucket the two states differ only in the newest row's timestamp and the newest
// bucket, so the patch is about 100 bytes where the state is up to 3.6 kB: the record is half
// the size of one holding both states whole, and KV traffic is what bounds a tick.
const recordVersion = 1

// Forms of the before state in a record.
const (
	formWhole = 0
	formPatch = 1
)

// errNewerRecord marks a record written by a newer build: during a rolling upgrade a newer
// replica can handle the batch, so it is retried rather than dead-lettered, and never overwritten.
var errNewerRecord = errors.New("written by a newer build")

// maxBatchID bounds the batch id of a decoded record.
const maxBatchID = 4096

// minGap is the shortest run of equal bytes that ends a patch run: a new run costs at least two
// bytes of lengths, so shorter gaps are cheaper carried inside the run.
const minGap = 4

// record is a device's value in the state bucket.
type record struct {
	batch         string
	before, after []byte
}

// maxSize bounds the encoded size of r.
func (r *record) maxSize() int {
	return 1 + 2*binary.MaxVarintLen64 + 1 + len(r.batch) + len(r.before) + len(r.after)
}

// appendTo appends the encoding of r to dst, giving before as a patch when that is shorter.
// The patch is written once, in place after a length field of the widest size it can need (the
// uvarint of len(before)), then moved back over the unused length bytes: one pass over the
// states instead of one to size the patch and one to write it.
func (r *record) appendTo(dst []byte) []byte {
	dst = append(dst, recordVersion)
	dst = binary.AppendUvarint(dst, uint64(len(r.batch)))
	dst = append(dst, r.batch...)
	if len(r.before) == len(r.after) && len(r.before) > 0 {
		formAt := len(dst)
		lenMax := uvarintLen(len(r.before))
		dst = slices.Grow(dst, 1+lenMax+len(r.before)+len(r.after))
		start := formAt + 1 + lenMax
		p := dst[:start]
		ok := true
		diff(r.before, r.after, func(keep, from, to int) {
			if !ok {
				return
			}
			p = binary.AppendUvarint(p, uint64(keep))
			p = binary.AppendUvarint(p, uint64(to-from))
			p = append(p, r.before[from:to]...)
			if len(p)-start >= len(r.before) {
				ok = false // no shorter than the whole state
			}
		})
		if size := len(p) - start; ok && size < len(r.before) {
			p[formAt] = formPatch
			n := len(binary.AppendUvarint(p[:formAt+1], uint64(size)))
			p = append(p[:n], p[start:start+size]...) // moves back by lenMax − uvarintLen(size)
			return append(p, r.after...)
		}
		dst = dst[:formAt]
	}
	dst = append(dst, formWhole)
	dst = binary.AppendUvarint(dst, uint64(len(r.before)))
	dst = append(dst, r.before...)
	return append(dst, r.after...)
}

// diff calls run for each range before[from:to] that differs from after, with the count of equal
// bytes kept since the previous range, if before and after have one length; it reports whether
// they do.
func diff(before, after []byte, run func(keep, from, to int)) bool {
	if len(before) != len(after) {
		return false
	}
	n, end := len(before), 0 // end: where the previous range ended
	for i := 0; i < n; {
		if before[i] == after[i] {
			i++
			continue
		}
		j := i + 1
		for j < n {
			if before[j] != after[j] {
				j++
				continue
			}
			k := j // a gap of equal bytes: carry it if another difference follows soon
			for k < n && k-j < minGap && before[k] == after[k] {
				k++
			}
			if k == n || k-j == minGap {
				break
			}
			j = k
		}
		run(i-end, i, j)
		i, end = j, j
	}
	return true
}

// uvarintLen is the length of the uvarint encoding of x.
func uvarintLen(x int) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// applyPatch walks a patch against a state of size bytes, calling run for every replaced range
// (run may be nil to only check it).
func applyPatch(patch []byte, size int, run func(off int, b []byte)) error {
	pos := 0
	for len(patch) > 0 {
		keep, k := binary.Uvarint(patch)
		if k <= 0 {
			return errors.New("bad patch run")
		}
		n, k2 := binary.Uvarint(patch[k:])
		if k2 <= 0 {
			return errors.New("bad patch run")
		}
		patch = patch[k+k2:]
		if keep > uint64(size-pos) || n > uint64(size-pos)-keep || n > uint64(len(patch)) {
			return fmt.Errorf("patch run beyond the %d-byte state", size)
		}
		pos += int(keep)
		if run != nil {
			run(pos, patch[:n])
		}
		pos += int(n)
		patch = patch[n:]
	}
	return nil
}

// stored is a decoded record whose before state may still be a patch.
type stored struct {
	batch  string
	form   byte
	before []byte // whole, or the patch
	after  []byte
}

// beforeState returns the state before the batch (a new slice when it is a patch).
func (s *stored) beforeState() []byte {
	if s.form == formWhole {
		return s.before
	}
	out := append([]byte(nil), s.after...)
	_ = applyPatch(s.before, len(out), func(off int, b []byte) { copy(out[off:], b) }) // checked by parseRecord
	return out
}

// parseRecord decodes and checks a record; its slices alias data. The states themselves are
// decoded (and checked) only when used.
func parseRecord(data []byte) (stored, error) {
	if len(data) == 0 {
		return stored{}, errors.New("empty record")
	}
	if data[0] > recordVersion {
		return stored{}, fmt.Errorf("%w: record version %d, this build reads %d", errNewerRecord, data[0], recordVersion)
	}
	if data[0] != recordVersion {
		return stored{}, fmt.Errorf("record version %d, this build reads %d", data[0], recordVersion)
	}
	p := data[1:]
	field := func(what string, limit int) ([]byte, error) {
		n, k := binary.Uvarint(p)
		if k <= 0 {
			return nil, fmt.Errorf("bad %s length", what)
		}
		if n > uint64(limit) || n > uint64(len(p)-k) {
			return nil, fmt.Errorf("%s length %d exceeds the %d bytes left", what, n, len(p)-k)
		}
		f := p[k : k+int(n)]
		p = p[k+int(n):]
		return f, nil
	}
	batch, err := field("batch id", maxBatchID)
	if err != nil {
		return stored{}, err
	}
	if len(batch) == 0 {
		return stored{}, errors.New("empty batch id")
	}
	if len(p) == 0 || p[0] > formPatch {
		return stored{}, errors.New("bad before-state form")
	}
	form := p[0]
	p = p[1:]
	before, err := field("before state", len(p))
	if err != nil {
		return stored{}, err
	}
	if len(p) == 0 || form == formWhole && len(before) == 0 {
		return stored{}, errors.New("missing state")
	}
	if form == formPatch {
		if err := applyPatch(before, len(p), nil); err != nil {
			return stored{}, err
		}
	}
	return stored{batch: string(batch), form: form, before: before, after: p}, nil
}
