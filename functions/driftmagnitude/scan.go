package driftmagnitude

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/tables"
)

// The scanner streams chosen columns of a Parquet file in chunks of rows: per row group, one
// page reader per column, advanced in lockstep a chunk at a time. Memory is the chunk buffers
// (chunk × columns values) plus one decoded page per column, whatever the number of rows, and
// no row is ever materialised as a struct: each column's values go straight from the page into
// a []float64 that the caller bins.

// DefaultChunk is the default number of rows per chunk.
const DefaultChunk = 8192

// colKind is how a scanned column is delivered.
type colKind int

const (
	kindNumber colKind = iota // float64; booleans as 0/1, nulls as NaN
	kindString                // string, interned
	kindMillis                // a timestamp, as Unix milliseconds in a float64
)

// colSpec names a column to scan.
type colSpec struct {
	name string
	kind colKind
}

// chunk is one chunk of rows: n values per column, nil for a column the file lacks.
type chunk struct {
	n    int
	num  [][]float64 // by column, for kindNumber and kindMillis
	str  [][]string  // by column, for kindString
	cols []colSpec
}

// openParquet opens a Parquet file; a corrupt one is a permanent error, a store that failed
// mid-read a retryable one.
func openParquet(r io.ReaderAt, size int64) (*parquet.File, error) {
	return tables.NewSource(r, size).Open()
}

// numericColumns lists the file's top-level columns that hold plain numbers (float, double,
// integers without a date or time annotation), in schema order.
func numericColumns(f *parquet.File) []string {
	var out []string
	for _, fld := range f.Schema().Fields() {
		if !fld.Leaf() || fld.Repeated() {
			continue
		}
		t := fld.Type()
		switch t.Kind() {
		case parquet.Double, parquet.Float:
		case parquet.Int32, parquet.Int64:
			if lt := t.LogicalType(); lt != nil && lt.Value != nil {
				if _, ok := lt.Value.(*format.IntType); !ok {
					continue
				}
			}
		default:
			continue
		}
		out = append(out, fld.Name())
	}
	return out
}

// cursor reads one column chunk's values, page after page.
type cursor struct {
	spec     colSpec
	pages    parquet.Pages
	page     parquet.Page
	vr       parquet.ValueReader
	typed    bool  // required column: use the typed readers
	msPerVal int64 // kindMillis: the divisor from the column's unit to milliseconds (1, 1000 or 1e6)
	vals     []parquet.Value
	intern   map[string]string
}

func (c *cursor) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
	}
}

// next moves to the next page.
func (c *cursor) next() error {
	if c.page != nil {
		parquet.Release(c.page)
		c.page, c.vr = nil, nil
	}
	p, err := c.pages.ReadPage()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("column %q: fewer values than rows", c.spec.name)
		}
		return fmt.Errorf("column %q: %w", c.spec.name, err)
	}
	c.page, c.vr = p, p.Values()
	return nil
}

// fill reads exactly len(num) (or len(str)) values.
func (c *cursor) fill(num []float64, str []string) error {
	n := max(len(num), len(str))
	at := 0
	for at < n {
		if c.vr == nil {
			if err := c.next(); err != nil {
				return err
			}
		}
		k, err := c.read(num, str, at, n)
		at += k
		if errors.Is(err, io.EOF) || (err == nil && k == 0) {
			c.vr = nil
			continue
		}
		if err != nil {
			return fmt.Errorf("column %q: %w", c.spec.name, err)
		}
	}
	return nil
}

func (c *cursor) read(num []float64, str []string, at, n int) (int, error) {
	if c.typed && c.spec.kind == kindNumber {
		if r, ok := c.vr.(parquet.DoubleReader); ok {
			return r.ReadDoubles(num[at:n])
		}
	}
	if cap(c.vals) < n-at {
		c.vals = make([]parquet.Value, max(n-at, 1024))
	}
	vals := c.vals[:n-at]
	k, err := c.vr.ReadValues(vals)
	for i, v := range vals[:k] {
		switch c.spec.kind {
		case kindString:
			if v.IsNull() {
				str[at+i] = ""
				continue
			}
			b := v.ByteArray()
			s, ok := c.intern[string(b)]
			if !ok {
				s = string(b)
				c.intern[s] = s
			}
			str[at+i] = s
		case kindMillis:
			if v.IsNull() {
				num[at+i] = math.NaN()
				continue
			}
			num[at+i] = float64(v.Int64() / c.msPerVal)
		default:
			num[at+i] = numberOf(v)
		}
	}
	return k, err
}

// numberOf converts a numeric value to float64: NaN for null and for non-numeric kinds.
func numberOf(v parquet.Value) float64 {
	switch v.Kind() {
	case parquet.Double:
		return v.Double()
	case parquet.Float:
		return float64(v.Float())
	case parquet.Int32:
		return float64(v.Int32())
	case parquet.Int64:
		return float64(v.Int64())
	case parquet.Boolean:
		if v.Boolean() {
			return 1
		}
		return 0
	}
	return math.NaN()
}

// scan calls fn for every chunk of at most size rows with the values of cols. A column the file
// lacks is nil in every chunk; one of the wrong type is a permanent error.
func scan(f *parquet.File, cols []colSpec, size int, fn func(*chunk) error) (err error) {
	defer func() {
		if p := recover(); p != nil { // parquet-go panics on some malformed inputs
			err = fault.Permanent(fmt.Errorf("corrupt parquet: %v", p))
		}
	}()
	if size < 1 {
		size = DefaultChunk
	}
	leaves := make([]int, len(cols))
	div := make([]int64, len(cols))
	required := make([]bool, len(cols))
	for i, c := range cols {
		leaves[i] = -1
		leaf, ok := f.Schema().Lookup(c.name)
		if !ok || leaf.Node == nil || !leaf.Node.Leaf() {
			continue
		}
		if leaf.MaxRepetitionLevel != 0 {
			return fault.Permanent(fmt.Errorf("column %q is repeated, want one value per row", c.name))
		}
		if div[i], err = checkKind(c, leaf.Node.Type()); err != nil {
			return fault.Permanent(err)
		}
		leaves[i], required[i] = leaf.ColumnIndex, leaf.MaxDefinitionLevel == 0
	}
	ch := &chunk{cols: cols, num: make([][]float64, len(cols)), str: make([][]string, len(cols))}
	bufNum := make([][]float64, len(cols))
	bufStr := make([][]string, len(cols))
	for i, c := range cols {
		if leaves[i] < 0 {
			continue
		}
		if c.kind == kindString {
			bufStr[i] = make([]string, size)
		} else {
			bufNum[i] = make([]float64, size)
		}
	}
	interned := map[string]string{}
	for _, rg := range f.RowGroups() {
		if err := scanGroup(rg, cols, leaves, required, div, interned, bufNum, bufStr, ch, size, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanGroup(rg parquet.RowGroup, cols []colSpec, leaves []int, required []bool, div []int64, interned map[string]string,
	bufNum [][]float64, bufStr [][]string, ch *chunk, size int, fn func(*chunk) error) error {
	chunks := rg.ColumnChunks()
	curs := make([]*cursor, len(cols))
	defer func() {
		for _, c := range curs {
			if c != nil {
				c.close()
			}
		}
	}()
	for i, c := range cols {
		if leaves[i] < 0 {
			continue
		}
		curs[i] = &cursor{spec: c, pages: chunks[leaves[i]].Pages(), typed: required[i], msPerVal: div[i], intern: interned}
	}
	rows := int(rg.NumRows())
	for at := 0; at < rows; at += size {
		n := min(size, rows-at)
		ch.n = n
		for i, c := range curs {
			ch.num[i], ch.str[i] = nil, nil
			if c == nil {
				continue
			}
			if cols[i].kind == kindString {
				ch.str[i] = bufStr[i][:n]
			} else {
				ch.num[i] = bufNum[i][:n]
			}
			if err := c.fill(ch.num[i], ch.str[i]); err != nil {
				return fault.Permanent(fmt.Errorf("corrupt parquet: %w", err))
			}
		}
		if err := fn(ch); err != nil {
			return err
		}
	}
	return nil
}

// checkKind checks a column's type against what the scan wants of it, and returns the divisor
// from a timestamp's unit to milliseconds.
func checkKind(c colSpec, t parquet.Type) (int64, error) {
	switch c.kind {
	case kindString:
		if t.Kind() != parquet.ByteArray {
			return 0, fmt.Errorf("column %q is %s, want a string", c.name, t)
		}
	case kindMillis:
		if lt := t.LogicalType(); t.Kind() == parquet.Int64 && lt != nil {
			if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
				return int64(time.Millisecond / ts.Unit.Value.Duration()), nil
			}
		}
		return 0, fmt.Errorf("column %q is %s, want a timestamp", c.name, t)
	default:
		switch t.Kind() {
		case parquet.Double, parquet.Float, parquet.Int32, parquet.Int64, parquet.Boolean:
		default:
			return 0, fmt.Errorf("column %q is %s, want a number", c.name, t)
		}
	}
	return 1, nil
}
