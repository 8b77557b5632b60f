package driftmagnitude

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/fault"
)

// PartialOf streams Parquet files and bins the baseline's columns into one Partial (the whole
// data as one window). It reads column by column, each column page by page in chunks of
// chunkRows values, on up to GOMAXPROCS (at most 4) goroutines that each own their columns'
// histograms, so memory is a page and a chunk per goroutine whatever the size of the files,
// and the result is exactly the sequential one. A column none of the files has is left out
// of the partial, so the report shows it as NO_DATA; NaN and ±Inf are counted as invalid.
func PartialOf(files []io.ReaderAt, sizes []int64, b drift.Baseline, chunkRows int) (*drift.Partial, error) {
	p, err := drift.NewPartial(b.Columns())
	if err != nil {
		return nil, err
	}
	names := sortedNames(p.Columns)
	pf := make([]*parquet.File, len(files))
	for k, r := range files {
		if pf[k], err = openParquet(r, sizes[k]); err != nil {
			return nil, err
		}
		p.Rows += pf[k].NumRows()
	}
	seen := make([]bool, len(names))
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 4, max(len(names), 1)) {
		wg.Go(func() {
			for i := range next {
				h := p.Columns[names[i]]
				for _, f := range pf {
					errs[i] = scan(f, []colSpec{{names[i], kindNumber}}, chunkRows, func(c *chunk) error {
						if c.num[0] != nil {
							seen[i] = true
							addAll(h, c.num[0])
						}
						return nil
					})
					if errs[i] != nil {
						break
					}
				}
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, name := range names {
		if !seen[i] {
			delete(p.Columns, name)
		}
	}
	return p, nil
}

// addAll bins values.
func addAll(h *drift.Histogram, values []float64) {
	for _, v := range values {
		h.Add(v)
	}
}

// References builds a reference per plain numeric column of Parquet files (see
// numericColumns: floats and integers, not timestamps, strings or booleans), reading them
// twice in chunks: once for the range, once to bin on the edges it fixes. Columns named in
// exclude are left out, and so are columns without a finite value, which are returned as
// skipped. Columns are those of the first file.
func References(files []io.ReaderAt, sizes []int64, exclude []string, chunkRows int) (refs map[string]drift.Reference, order, skipped []string, err error) {
	if len(files) == 0 {
		return nil, nil, nil, errors.New("no reference file")
	}
	pf := make([]*parquet.File, len(files))
	for i, r := range files {
		if pf[i], err = openParquet(r, sizes[i]); err != nil {
			return nil, nil, nil, err
		}
	}
	var cols []colSpec
	for _, name := range numericColumns(pf[0]) {
		if !contains(exclude, name) {
			cols = append(cols, colSpec{name: name, kind: kindNumber})
			order = append(order, name)
		}
	}
	first := make([]drift.Summary, len(cols))
	for _, f := range pf {
		err := scan(f, cols, chunkRows, func(c *chunk) error {
			for i, vals := range c.num {
				for _, v := range vals {
					first[i].Add(v)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
	}
	builders := make([]*drift.ReferenceBuilder, len(cols))
	for i := range cols {
		if builders[i], err = drift.NewReferenceBuilder(first[i]); err != nil {
			if !errors.Is(err, drift.ErrNoValues) {
				return nil, nil, nil, fmt.Errorf("column %q: %w", cols[i].name, err)
			}
			skipped = append(skipped, cols[i].name)
		}
	}
	for _, f := range pf {
		err := scan(f, cols, chunkRows, func(c *chunk) error {
			for i, vals := range c.num {
				if b := builders[i]; b != nil {
					for _, v := range vals {
						b.Add(v)
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
	}
	refs = make(map[string]drift.Reference, len(cols))
	kept := order[:0:0]
	for i, b := range builders {
		if b == nil {
			continue
		}
		ref, err := b.Reference()
		if err != nil {
			return nil, nil, nil, fault.Permanent(fmt.Errorf("column %q changed between passes: %w", cols[i].name, err))
		}
		refs[cols[i].name] = ref
		kept = append(kept, cols[i].name)
	}
	return refs, kept, skipped, nil
}

// groupKey identifies the rows of one model version in one event-time bucket.
type groupKey struct {
	model   string
	version int
	bucket  int64 // bucket start in Unix milliseconds
}

// group accumulates one groupKey's rows.
type group struct {
	key     groupKey
	partial *drift.Partial
	cols    []int // scanned column indexes binned by this group
	hists   []*drift.Histogram
	maxMs   float64 // latest row timestamp
}

// grouper splits a labeled batch into groups and bins each group's rows on its model version's
// baseline. baseline returns nil for a model version without a usable card; its rows are
// counted as skipped.
type grouper struct {
	bucketMs int64
	cols     []colSpec // model, version, timestamp, then the value columns
	colIndex map[string]int
	baseline func(model string, version int) (*drift.Baseline, error)
	groups   map[groupKey]*group
	skipped  int64
}

// Columns of a labeled batch the grouper reads before the values (features.LabeledRow).
const (
	colModel     = "model"
	colVersion   = "version"
	colTimestamp = "timestamp"
)

func newGrouper(f *parquet.File, bucket time.Duration, baseline func(string, int) (*drift.Baseline, error)) *grouper {
	g := &grouper{bucketMs: bucket.Milliseconds(), baseline: baseline, groups: map[groupKey]*group{}, colIndex: map[string]int{}}
	g.cols = []colSpec{{colModel, kindString}, {colVersion, kindNumber}, {colTimestamp, kindMillis}}
	for _, name := range numericColumns(f) {
		if name == colVersion {
			continue
		}
		g.colIndex[name] = len(g.cols)
		g.cols = append(g.cols, colSpec{name, kindNumber})
	}
	return g
}

// chunk bins one chunk of rows, run by run of rows of the same group.
func (g *grouper) chunk(c *chunk) error {
	models, versions, ts := c.str[0], c.num[1], c.num[2]
	if models == nil || versions == nil || ts == nil {
		return fault.Permanent(errors.New("labeled batch: want model, version and timestamp columns"))
	}
	for start := 0; start < c.n; {
		key, err := g.keyOf(models[start], versions[start], ts[start])
		if err != nil {
			return err
		}
		end := start + 1
		for end < c.n && models[end] == key.model && versions[end] == float64(key.version) &&
			g.bucketOf(ts[end]) == key.bucket {
			end++
		}
		if err := g.add(key, c, start, end); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (g *grouper) bucketOf(ms float64) int64 {
	m := int64(ms)
	b := m / g.bucketMs * g.bucketMs
	if m < 0 && b != m {
		b -= g.bucketMs
	}
	return b
}

func (g *grouper) keyOf(model string, version, ms float64) (groupKey, error) {
	if math.IsNaN(ms) || math.IsNaN(version) || version != math.Trunc(version) || version < 0 || version > math.MaxInt32 {
		return groupKey{}, fault.Permanent(fmt.Errorf("labeled batch: row of model %q with version %g at %g ms", model, version, ms))
	}
	return groupKey{model: model, version: int(version), bucket: g.bucketOf(ms)}, nil
}

// add bins rows [start, end) of c, all of group key.
func (g *grouper) add(key groupKey, c *chunk, start, end int) error {
	gr, ok := g.groups[key]
	if !ok {
		b, err := g.baseline(key.model, key.version)
		if err != nil {
			return err
		}
		if b == nil {
			g.skipped += int64(end - start)
			return nil
		}
		p, err := drift.NewPartial(b.Columns())
		if err != nil {
			return fault.Permanent(fmt.Errorf("model %s v%d: %w", key.model, key.version, err))
		}
		gr = &group{key: key, partial: p, maxMs: math.Inf(-1)}
		for _, name := range sortedNames(p.Columns) {
			if i, ok := g.colIndex[name]; ok {
				gr.cols = append(gr.cols, i)
				gr.hists = append(gr.hists, p.Columns[name])
			} else {
				delete(p.Columns, name) // the batch lacks the column: NO_DATA, not an empty histogram
			}
		}
		g.groups[key] = gr
	}
	gr.partial.Rows += int64(end - start)
	for _, ms := range c.num[2][start:end] {
		gr.maxMs = max(gr.maxMs, ms)
	}
	for j, i := range gr.cols {
		if vals := c.num[i]; vals != nil {
			addAll(gr.hists[j], vals[start:end])
		}
	}
	return nil
}

// sorted returns the groups ordered by model, version and bucket.
func (g *grouper) sorted() []*group {
	out := make([]*group, 0, len(g.groups))
	for _, gr := range g.groups {
		out = append(out, gr)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].key, out[j].key
		if a.model != b.model {
			return a.model < b.model
		}
		if a.version != b.version {
			return a.version < b.version
		}
		return a.bucket < b.bucket
	})
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
