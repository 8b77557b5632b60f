package tables

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
)

// codec is zstd at its fastest level: telemetry compresses well even so, and the default level
// made compression the bottleneck of a backfill.
var codec = &zstd.Codec{Level: zstd.SpeedFastest}

// writerOptions are the options every table is written with: zstd pages, and pages small enough
// that readers can stream a large object.
func writerOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(codec),
		parquet.PageBufferSize(1 << 20),
	}
}

// Encode returns rows as a Parquet file.
func Encode[T any](rows []T) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes rows to w as one Parquet file.
func Write[T any](w io.Writer, rows []T) error {
	pw := parquet.NewGenericWriter[T](w, writerOptions()...)
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	return nil
}

// Writer streams rows of type T into a Parquet file, flushing a row group every 128Ki rows, for
// outputs too large to hold in memory.
type Writer[T any] struct {
	w *parquet.GenericWriter[T]
}

// NewWriter starts a Parquet file on w.
func NewWriter[T any](w io.Writer) *Writer[T] {
	opts := append(writerOptions(), parquet.MaxRowsPerRowGroup(128<<10))
	return &Writer[T]{w: parquet.NewGenericWriter[T](w, opts...)}
}

// NewFastWriter is NewWriter with Snappy instead of zstd: for wide, large outputs (training sets)
// where compression speed matters more than size. Its Snappy blocks come from the fast encoder,
// not the "better" one parquet-go uses (same format; on training sets 1% larger and twice as
// fast); only the non-double columns get page statistics and min/max bounds (computing them for
// tens of feature columns cost a tenth of the encoding, and nobody filters a training set on a
// feature's range); and pages are 256 KiB, which spent less time growing column buffers.
func NewFastWriter[T any](w io.Writer) *Writer[T] {
	opts := append(writerOptions(), parquet.MaxRowsPerRowGroup(128<<10), parquet.Compression(&fastSnappy{}), parquet.PageBufferSize(256<<10))
	schema := parquet.SchemaOf(new(T))
	for _, path := range schema.Columns() {
		if leaf, ok := schema.Lookup(path...); ok && leaf.Node.Type().Kind() == parquet.Double {
			opts = append(opts, parquet.SkipPageBounds(path...), parquet.SkipPageStatistics(path...))
		}
	}
	return &Writer[T]{w: parquet.NewGenericWriter[T](w, opts...)}
}

// fastSnappy is the Snappy codec with the fast block encoder; any Snappy decoder reads it.
type fastSnappy struct{ snappy.Codec }

func (*fastSnappy) CompressionCodec() format.CompressionCodec { return format.Snappy }

func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) {
	return s2.EncodeSnappy(dst, src), nil
}

// Write appends rows.
func (w *Writer[T]) Write(rows []T) error {
	if _, err := w.w.Write(rows); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	return nil
}

// Close writes the footer.
func (w *Writer[T]) Close() error { return w.w.Close() }

// Reader streams rows of type T out of a Parquet file.
type Reader[T any] struct {
	r    *parquet.GenericReader[T]
	rows int64
	src  *Source
}

// NewReader opens a Parquet file of the given size and checks that it has every column T needs,
// with the same physical and logical type. Errors here mean the data is bad: they are permanent.
func NewReader[T any](r io.ReaderAt, size int64) (rd *Reader[T], err error) {
	src := NewSource(r, size)
	defer func() {
		// parquet-go panics on some malformed inputs; a bad file must never crash a function.
		if p := recover(); p != nil {
			rd, err = nil, src.Fail(fmt.Errorf("%v", p))
		}
	}()
	f, err := src.Open()
	if err != nil {
		return nil, err
	}
	want := parquet.SchemaOf(new(T))
	if err := checkSchema(want, f.Schema()); err != nil {
		return nil, fault.Permanent(err)
	}
	return &Reader[T]{r: parquet.NewGenericReader[T](f), rows: f.NumRows(), src: src}, nil
}

func checkSchema(want, got *parquet.Schema) error {
	for _, col := range want.Fields() {
		g, ok := fieldByName(got, col.Name())
		if !ok {
			return fmt.Errorf("schema mismatch: missing column %q", col.Name())
		}
		if !col.Leaf() || !g.Leaf() {
			continue
		}
		wt, gt := col.Type(), g.Type()
		if wt.Kind() != gt.Kind() {
			return fmt.Errorf("schema mismatch: column %q is %s, want %s", col.Name(), gt, wt)
		}
		if wl, gl := wt.LogicalType(), gt.LogicalType(); (wl == nil) != (gl == nil) || (wl != nil && wl.String() != gl.String()) {
			return fmt.Errorf("schema mismatch: column %q is %s, want %s", col.Name(), gt, wt)
		}
	}
	return nil
}

func fieldByName(s *parquet.Schema, name string) (parquet.Field, bool) {
	for _, f := range s.Fields() {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// NumRows is the number of rows in the file.
func (r *Reader[T]) NumRows() int64 { return r.rows }

// Read fills rows and returns how many it read; io.EOF at the end.
func (r *Reader[T]) Read(rows []T) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, r.src.Fail(fmt.Errorf("%v", p))
		}
	}()
	n, err = r.r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		err = r.src.Fail(err)
	}
	return n, err
}

// Close releases the reader.
func (r *Reader[T]) Close() error { return r.r.Close() }

// Decode reads every row of a Parquet file held in memory.
func Decode[T any](data []byte) ([]T, error) {
	return ReadAll[T](bytes.NewReader(data), int64(len(data)))
}

// ReadAll reads every row of a Parquet file, column by column when T is a flat table (see
// columnar.go) and by row reconstruction otherwise.
func ReadAll[T any](r io.ReaderAt, size int64) (rows []T, err error) {
	src := NewSource(r, size)
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, src.Fail(fmt.Errorf("%v", p))
		}
	}()
	f, err := src.Open()
	if err != nil {
		return nil, err
	}
	if err := checkSchema(parquet.SchemaOf(new(T)), f.Schema()); err != nil {
		return nil, fault.Permanent(err)
	}
	if rows, ok, err := readColumnar[T](f); ok {
		if err != nil {
			return nil, src.Fail(err)
		}
		return rows, nil
	}
	rd := &Reader[T]{r: parquet.NewGenericReader[T](f), rows: f.NumRows(), src: src}
	defer rd.Close()
	rows = make([]T, rd.NumRows())
	n := 0
	for n < len(rows) {
		k, err := rd.Read(rows[n:])
		n += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if n != len(rows) {
		return nil, src.Fail(fmt.Errorf("read %d of %d rows", n, len(rows)))
	}
	return rows, nil
}

// Put writes rows as a Parquet object under key. The write is atomic (see blob.Store).
func Put[T any](ctx context.Context, s blob.Store, key string, rows []T) error {
	data, err := Encode(rows)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return blob.PutBytes(ctx, s, key, data)
}

// Get reads every row of the Parquet object under key. A missing object is a retryable error (it
// may not be visible yet); a corrupt or mismatched one is permanent; both name the key.
func Get[T any](ctx context.Context, s blob.Store, key string) ([]T, error) {
	o, err := s.Open(ctx, key)
	if errors.Is(err, blob.ErrInvalidKey) {
		return nil, fault.Permanent(fmt.Errorf("read %s: %w", key, err))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer o.Close()
	rows, err := ReadAll[T](o, o.Size())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return rows, nil
}
