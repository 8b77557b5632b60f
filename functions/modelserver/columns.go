package modelserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/tables"
)

// batchColumns is a features batch read column by column: only the columns the serving versions
// use, so a model of 10 features does not pay for decoding 45. It is what makes batch scoring
// bounded by the model rather than by Parquet.
type batchColumns struct {
	n       int
	times   []time.Time
	devices []string
	values  map[string][]float64 // feature name → column
}

// readColumns reads the timestamp, the device and the named feature columns of a features batch.
func readColumns(ctx context.Context, store blob.Store, key string, names []string) (b *batchColumns, err error) {
	o, err := store.Open(ctx, key)
	if errors.Is(err, blob.ErrInvalidKey) {
		return nil, fault.Permanent(fmt.Errorf("read %s: %w", key, err))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer o.Close()
	// The source tells a store that failed mid-read (retryable) from bad bytes (permanent).
	src := tables.NewSource(o, o.Size())
	defer func() {
		if p := recover(); p != nil { // parquet-go panics on some malformed inputs
			b, err = nil, fmt.Errorf("read %s: %w", key, src.Fail(fmt.Errorf("%v", p)))
		}
	}()
	f, err := src.Open()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	b = &batchColumns{n: int(f.NumRows()), values: make(map[string][]float64, len(names))}
	b.times, b.devices = make([]time.Time, 0, b.n), make([]string, 0, b.n)
	leaf := func(name string, want parquet.Kind) (int, error) {
		l, ok := f.Schema().Lookup(name)
		if !ok || l.MaxDefinitionLevel != 0 || l.MaxRepetitionLevel != 0 || l.Node.Type().Kind() != want {
			return 0, fault.Permanent(fmt.Errorf("read %s: column %q missing or not a required %s", key, name, want))
		}
		return l.ColumnIndex, nil
	}
	tsCol, err := leaf("timestamp", parquet.Int64)
	if err != nil {
		return nil, err
	}
	devCol, err := leaf("device", parquet.ByteArray)
	if err != nil {
		return nil, err
	}
	cols := make([]int, len(names))
	for i, name := range names {
		if cols[i], err = leaf(name, parquet.Double); err != nil {
			return nil, err
		}
		b.values[name] = make([]float64, 0, b.n)
	}
	interned := map[string]string{}
	for _, rg := range f.RowGroups() {
		chunks := rg.ColumnChunks()
		err := eachPage(chunks[tsCol], func(vr parquet.ValueReader) error {
			r, ok := vr.(parquet.Int64Reader)
			if !ok {
				return errors.New("timestamp: not an INT64 page")
			}
			return readAll(r.ReadInt64s, func(v []int64) {
				for _, ms := range v {
					b.times = append(b.times, time.UnixMilli(ms).UTC())
				}
			})
		})
		if err == nil {
			err = eachPage(chunks[devCol], func(vr parquet.ValueReader) error {
				return readAll(vr.ReadValues, func(v []parquet.Value) {
					for _, x := range v {
						s, ok := interned[string(x.ByteArray())]
						if !ok {
							s = string(x.ByteArray())
							interned[s] = s
						}
						b.devices = append(b.devices, s)
					}
				})
			})
		}
		for i, name := range names {
			if err != nil {
				break
			}
			err = eachPage(chunks[cols[i]], func(vr parquet.ValueReader) error {
				r, ok := vr.(parquet.DoubleReader)
				if !ok {
					return readAll(vr.ReadValues, func(v []parquet.Value) {
						for _, x := range v {
							b.values[name] = append(b.values[name], x.Double())
						}
					})
				}
				return readAll(r.ReadDoubles, func(v []float64) { b.values[name] = append(b.values[name], v...) })
			})
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, src.Fail(err))
		}
	}
	if len(b.times) != b.n || len(b.devices) != b.n {
		return nil, fault.Permanent(fmt.Errorf("read %s: %d timestamps and %d devices for %d rows", key, len(b.times), len(b.devices), b.n))
	}
	for name, v := range b.values {
		if len(v) != b.n {
			return nil, fault.Permanent(fmt.Errorf("read %s: column %q holds %d values for %d rows", key, name, len(v), b.n))
		}
	}
	return b, nil
}

// eachPage calls fn with the values of every page of a column chunk.
func eachPage(cc parquet.ColumnChunk, fn func(parquet.ValueReader) error) error {
	pages := cc.Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		err = fn(p.Values())
		parquet.Release(p)
		if err != nil {
			return err
		}
	}
}

// readAll drains a typed page reader in batches.
func readAll[E any](read func([]E) (int, error), use func([]E)) error {
	buf := make([]E, 4096)
	for {
		k, err := read(buf)
		use(buf[:k])
		if errors.Is(err, io.EOF) || err == nil && k == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// matrix returns the rows of the batch in a version's feature order, row-major.
func (b *batchColumns) matrix(names []string) []float64 {
	x := make([]float64, b.n*len(names))
	d := len(names)
	for k, name := range names {
		col := b.values[name]
		for i, v := range col {
			x[i*d+k] = v
		}
	}
	return x
}
