package tables

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// The columnar path decodes flat tables (every field a required float64, int32, int64, bool,
// string or millisecond timestamp, possibly through embedded structs) page by page with
// parquet-go's typed readers and stores each value straight into its field. It is several times
// faster than row reconstruction, which stays the fallback for anything else.

type fieldKind int

const (
	kindFloat64 fieldKind = iota
	kindInt32
	kindInt64
	kindBool
	kindString
	kindTimeMillis
)

type column struct {
	name   string
	offset uintptr
	kind   fieldKind
}

var timeType = reflect.TypeOf(time.Time{})

// columnsOf lists the fields of T the columnar path can fill, or false if any field is not one.
func columnsOf(t reflect.Type, base uintptr, out []column) ([]column, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			var ok bool
			if out, ok = columnsOf(sf.Type, base+sf.Offset, out); !ok {
				return nil, false
			}
			continue
		}
		tag := sf.Tag.Get("parquet")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		c := column{name: name, offset: base + sf.Offset}
		switch {
		case sf.Type == timeType:
			if !strings.Contains(opts, "timestamp(millisecond)") {
				return nil, false
			}
			c.kind = kindTimeMillis
		case sf.Type.Kind() == reflect.Float64:
			c.kind = kindFloat64
		case sf.Type.Kind() == reflect.Int32:
			c.kind = kindInt32
		case sf.Type.Kind() == reflect.Int64:
			c.kind = kindInt64
		case sf.Type.Kind() == reflect.Bool:
			c.kind = kindBool
		case sf.Type.Kind() == reflect.String:
			c.kind = kindString
		default:
			return nil, false
		}
		if strings.Contains(opts, "optional") {
			return nil, false
		}
		out = append(out, c)
	}
	return out, true
}

// readColumnar decodes every row of f into a []T, or returns ok=false when the file or T is not
// flat enough for the columnar path.
func readColumnar[T any](f *parquet.File) (rows []T, ok bool, err error) {
	var zero T
	t := reflect.TypeOf(zero)
	if t.Kind() != reflect.Struct {
		return nil, false, nil
	}
	cols, ok := columnsOf(t, 0, nil)
	if !ok {
		return nil, false, nil
	}
	leaves := make([]int, len(cols))
	for i, c := range cols {
		leaf, found := f.Schema().Lookup(c.name)
		if !found || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return nil, false, nil
		}
		leaves[i] = leaf.ColumnIndex
	}
	rows = make([]T, f.NumRows())
	if len(rows) == 0 {
		return rows, true, nil
	}
	stride := t.Size()
	base := unsafe.Pointer(&rows[0])
	start := 0
	for _, rg := range f.RowGroups() {
		chunks := rg.ColumnChunks()
		n := int(rg.NumRows())
		if start+n > len(rows) {
			return nil, true, errors.New("row groups hold more rows than the footer says")
		}
		for i, c := range cols {
			got, err := readChunk(chunks[leaves[i]], c, unsafe.Add(base, uintptr(start)*stride), stride, n)
			if err != nil {
				return nil, true, fmt.Errorf("column %q: %w", c.name, err)
			}
			if got != n {
				return nil, true, fmt.Errorf("column %q: %d values in a row group of %d rows", c.name, got, n)
			}
		}
		start += n
	}
	if start != len(rows) {
		return nil, true, fmt.Errorf("read %d of %d rows", start, len(rows))
	}
	return rows, true, nil
}

type scratch struct {
	f64  []float64
	i32  []int32
	i64  []int64
	b    []bool
	vals []parquet.Value
}

// readChunk decodes one column chunk into the field at c.offset of n consecutive rows at dst.
func readChunk(cc parquet.ColumnChunk, c column, dst unsafe.Pointer, stride uintptr, n int) (int, error) {
	pages := cc.Pages()
	defer pages.Close()
	var s scratch
	strings := map[string]string{} // devices repeat: one allocation per distinct value
	at := 0
	field := func(i int) unsafe.Pointer { return unsafe.Add(dst, uintptr(at+i)*stride+c.offset) }
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return at, nil
		}
		if err != nil {
			return at, err
		}
		if at+int(p.NumValues()) > n {
			parquet.Release(p)
			return at, errors.New("more values than rows")
		}
		err = readPage(p.Values(), c.kind, &s, strings, field, &at)
		parquet.Release(p)
		if err != nil {
			return at, err
		}
	}
}

func readPage(vr parquet.ValueReader, kind fieldKind, s *scratch, interned map[string]string, field func(int) unsafe.Pointer, at *int) error {
	const batch = 4096
	for {
		var k int
		var err error
		switch r := vr.(type) {
		case parquet.DoubleReader:
			if kind != kindFloat64 {
				return fmt.Errorf("unexpected double column")
			}
			s.f64 = grow(s.f64, batch)
			k, err = r.ReadDoubles(s.f64)
			for i := range k {
				*(*float64)(field(i)) = s.f64[i]
			}
		case parquet.Int32Reader:
			if kind != kindInt32 {
				return fmt.Errorf("unexpected int32 column")
			}
			s.i32 = grow(s.i32, batch)
			k, err = r.ReadInt32s(s.i32)
			for i := range k {
				*(*int32)(field(i)) = s.i32[i]
			}
		case parquet.Int64Reader:
			s.i64 = grow(s.i64, batch)
			k, err = r.ReadInt64s(s.i64)
			switch kind {
			case kindInt64:
				for i := range k {
					*(*int64)(field(i)) = s.i64[i]
				}
			case kindTimeMillis:
				for i := range k {
					*(*time.Time)(field(i)) = time.UnixMilli(s.i64[i]).UTC()
				}
			default:
				return fmt.Errorf("unexpected int64 column")
			}
		case parquet.BooleanReader:
			if kind != kindBool {
				return fmt.Errorf("unexpected boolean column")
			}
			s.b = grow(s.b, batch)
			k, err = r.ReadBooleans(s.b)
			for i := range k {
				*(*bool)(field(i)) = s.b[i]
			}
		default: // dictionary-encoded and byte-array pages: generic values
			s.vals = grow(s.vals, batch)
			k, err = vr.ReadValues(s.vals)
			for i := range k {
				if err := setValue(field(i), kind, s.vals[i], interned); err != nil {
					return err
				}
			}
		}
		*at += k
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if k == 0 {
			return nil
		}
	}
}

func setValue(p unsafe.Pointer, kind fieldKind, v parquet.Value, interned map[string]string) error {
	if v.IsNull() {
		return errors.New("null in a required column")
	}
	switch kind {
	case kindString:
		b := v.ByteArray()
		s, ok := interned[string(b)]
		if !ok {
			s = string(b)
			interned[s] = s
		}
		*(*string)(p) = s
	case kindFloat64:
		*(*float64)(p) = v.Double()
	case kindInt32:
		*(*int32)(p) = v.Int32()
	case kindInt64:
		*(*int64)(p) = v.Int64()
	case kindTimeMillis:
		*(*time.Time)(p) = time.UnixMilli(v.Int64()).UTC()
	case kindBool:
		*(*bool)(p) = v.Boolean()
	}
	return nil
}

func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}
