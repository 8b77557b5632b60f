// Package trainset builds offline training sets from the lake: windowed features over the
// telemetry history (the same code the preprocessor runs online, so there is no train/serve skew)
// with each row's label attached by an as-of join on device (SPEC §2). It streams object by
// object, so memory is proportional to devices × window buckets, not to rows.
package trainset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/progress"
	"github.com/netopsfn/netops/internal/tables"
)

// Options says where the history is and where the training set goes.
type Options struct {
	Telemetry string // key prefix of the telemetry objects, e.g. "telemetry/" or "telemetry/date=2026-11-22/"
	Labels    string // key prefix of the labels objects
	Devices   string // key of the static device table
	Out       string // key of the training set to write
	// From and To, when set, keep only feature rows in [From, To]; windows still see earlier rows.
	From, To time.Time
	Progress io.Writer // progress bar destination; nil for none
}

// Result counts what Build did.
type Result struct {
	Objects int                `json:"objects"`
	Rows    int64              `json:"rows"`
	Written int64              `json:"written"`
	Join    features.JoinStats `json:"join"`
	Key     string             `json:"key"`
}

// Build computes the training set and writes it as one Parquet object of features.TrainingRow.
func Build(ctx context.Context, store blob.Store, o Options) (Result, error) {
	res := Result{Key: o.Out}
	if o.Out == "" {
		return res, errors.New("out: required")
	}
	devs, err := tables.Get[tables.Device](ctx, store, o.Devices)
	if err != nil {
		return res, fmt.Errorf("device table: %w", err)
	}
	telKeys, err := objects(ctx, store, o.Telemetry)
	if err != nil {
		return res, err
	}
	labKeys, err := objects(ctx, store, o.Labels)
	if err != nil {
		return res, err
	}
	if len(telKeys) == 0 {
		return res, fmt.Errorf("no telemetry objects under %q", o.Telemetry)
	}
	res.Objects = len(telKeys)
	var bar *progress.Bar
	if o.Progress != nil {
		total, err := countRows(ctx, store, telKeys)
		if err != nil {
			return res, err
		}
		bar = progress.New(o.Progress, "features", total, "rows")
	}
	telemetry := func(yield func([]tables.Telemetry, error) bool) {
		for rows, err := range prefetch(ctx, store, telKeys, tables.Get[tables.Telemetry]) {
			if !yield(rows, err) || err != nil {
				return
			}
			res.Rows += int64(len(rows))
			if bar != nil {
				bar.Add(int64(len(rows)))
			}
		}
	}
	labels := flatten(prefetch(ctx, store, labKeys, tables.Get[tables.Label]))
	rows := features.Stream(map[string]*features.State{}, features.NewStatics(devs), telemetry)
	joined := features.AsOfJoin(window(rows, o.From, o.To), labels, &res.Join)

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- store.Put(ctx, o.Out, pr, -1) }()
	werr := write(pw, joined, &res.Written)
	pw.CloseWithError(werr)
	if err := <-done; werr == nil && err != nil {
		werr = fmt.Errorf("write %s: %w", o.Out, err)
	}
	if werr != nil {
		return res, werr
	}
	if bar != nil {
		bar.Finish()
	}
	return res, nil
}

// write encodes the rows into w in a goroutine of its own, chunk by chunk, so encoding overlaps
// with computing the features. Chunks are small on purpose: the writer reads each chunk once per
// column (47 passes), and a chunk of 512 rows (200 kB) stays in the CPU cache across them where
// one of 8192 did not: that alone cut the encoding's CPU by a third. Small chunks also keep the
// memory in flight small.
func write(w io.Writer, rows iter.Seq2[features.TrainingRow, error], n *int64) error {
	const chunk = 512
	chunks := make(chan []features.TrainingRow, 2)
	free := make(chan []features.TrainingRow, 3)
	for range 3 {
		free <- make([]features.TrainingRow, 0, chunk)
	}
	done := make(chan error, 1)
	go func() {
		pw := tables.NewFastWriter[features.TrainingRow](w)
		var err error
		for c := range chunks {
			if err == nil {
				err = pw.Write(c)
			}
			free <- c[:0]
		}
		if err == nil {
			err = pw.Close()
		}
		done <- err
	}()
	buf := <-free
	var err error
	for r, rerr := range rows {
		if rerr != nil {
			err = rerr
			break
		}
		buf = append(buf, r)
		if len(buf) == chunk {
			*n += int64(len(buf))
			chunks <- buf
			buf = <-free
		}
	}
	if err == nil {
		*n += int64(len(buf))
		chunks <- buf
	}
	close(chunks)
	if werr := <-done; err == nil {
		err = werr
	}
	return err
}

// prefetch reads the objects in order, up to two ahead of the consumer, in a goroutine.
func prefetch[T any](ctx context.Context, store blob.Store, keys []string, get func(context.Context, blob.Store, string) ([]T, error)) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		type result struct {
			rows []T
			err  error
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		out := make(chan result, 2)
		go func() {
			defer close(out)
			for _, k := range keys {
				rows, err := get(ctx, store, k)
				select {
				case out <- result{rows, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
		for r := range out {
			if r.err == nil {
				r.err = ctx.Err()
			}
			if !yield(r.rows, r.err) || r.err != nil {
				return
			}
		}
	}
}

// window keeps rows in [from, to] (zero bounds are open).
func window(rows iter.Seq2[features.Row, error], from, to time.Time) iter.Seq2[features.Row, error] {
	return func(yield func(features.Row, error) bool) {
		for r, err := range rows {
			if err == nil && ((!from.IsZero() && r.Timestamp.Before(from)) || (!to.IsZero() && r.Timestamp.After(to))) {
				continue
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

func flatten[T any](batches iter.Seq2[[]T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for batch, err := range batches {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, r := range batch {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// objects lists the Parquet objects under prefix in key order, which is time order for the
// generator's keys.
func objects(ctx context.Context, store blob.Store, prefix string) ([]string, error) {
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, in := range infos {
		if strings.HasSuffix(in.Key, ".parquet") {
			keys = append(keys, in.Key)
		}
	}
	return keys, nil
}

// countRows sums the row counts in the objects' footers, for the progress bar.
func countRows(ctx context.Context, store blob.Store, keys []string) (int64, error) {
	var rows int64
	for _, k := range keys {
		o, err := store.Open(ctx, k)
		if err != nil {
			return 0, err
		}
		r, err := tables.NewReader[tables.Telemetry](o, o.Size())
		if err != nil {
			o.Close()
			return 0, fmt.Errorf("read %s: %w", k, err)
		}
		rows += r.NumRows()
		r.Close()
		o.Close()
	}
	return rows, nil
}
