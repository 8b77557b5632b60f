package generator

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/progress"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
)

// Backfill describes a history to write at full speed (`netops generate`).
type Backfill struct {
	Config       Config
	From, To     time.Time // the first tick is From + interval; the last is at or before To
	TicksPerFile int       // ticks per telemetry/labels object (default: one hour of ticks)
	Progress     io.Writer // where the progress bar goes; nil for none
}

// Run simulates the fleet from From to To and writes its telemetry, labels and device table to the
// store. Objects get the same keys the generator function would give them, so a backfill can be
// repeated or resumed safely. Simulation and Parquet encoding run in parallel.
func (b Backfill) Run(ctx context.Context, store blob.Store) (Result, error) {
	sc, err := b.Config.simConfig()
	if err != nil {
		return Result{}, err
	}
	if !b.To.After(b.From) {
		return Result{}, fmt.Errorf("to (%s) must be after from (%s)", b.To.Format(time.RFC3339), b.From.Format(time.RFC3339))
	}
	fleet, err := sim.NewFleet(sc, uint64(b.Config.Seed), b.From)
	if err != nil {
		return Result{}, err
	}
	id, err := fleetID(sc, b.Config.Seed)
	if err != nil {
		return Result{}, err
	}
	interval := sc.Timestamps.Interval
	ticks := int64(b.To.Sub(b.From) / interval)
	perFile := b.TicksPerFile
	if perFile <= 0 {
		perFile = max(int(time.Hour/interval), 1)
	}
	var bar *progress.Bar
	if b.Progress != nil {
		bar = progress.New(b.Progress, "generate", ticks*int64(sc.Deployment.Device.NumItems), "rows")
	}

	type batch struct {
		tel []tables.Telemetry
		lab []tables.Label
	}
	work := make(chan batch, 2)
	g, gctx := errgroup.WithContext(ctx)
	var res Result
	g.Go(func() error {
		defer close(work)
		return fleet.Run(b.To, perFile, func(tel []tables.Telemetry, lab []tables.Label) error {
			if res.From.IsZero() {
				res.From = tel[0].Timestamp
			}
			res.To = tel[len(tel)-1].Timestamp
			res.Rows += int64(len(tel))
			res.Batches++
			select {
			case work <- batch{slices.Clone(tel), slices.Clone(lab)}:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	for range max(runtime.GOMAXPROCS(0), 1) {
		g.Go(func() error {
			for bt := range work {
				if _, err := batchWriter(gctx, store, id, bt.tel, bt.lab); err != nil {
					return err
				}
				if bar != nil {
					bar.Add(int64(len(bt.tel)))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := tables.Put(ctx, store, DevicesKey, fleet.Devices()); err != nil {
		return res, fmt.Errorf("write device table: %w", err)
	}
	if bar != nil {
		bar.Finish()
	}
	res.Ticks = int(ticks)
	return res, nil
}
