package labeledstream

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// BenchmarkJoin measures the in-memory join of a 100,000-row predictions batch (1,000 devices ×
// 100 ticks) with its features and labels: checking that they line up, collecting the labels and
// writing the labeled rows. "ordered" has the labels in the predictions' order (as the generator
// writes them: the merge path), "shuffled" in random order (the hash-index path).
func BenchmarkJoin(b *testing.B) {
	d := ticks(40, "netops", 1, 1000, 0, 100)
	batch := predictionsBatch("pred-1", d)
	shuffled := slices.Clone(d.labels)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, bc := range []struct {
		name   string
		labels []tables.Label
	}{{"ordered", d.labels}, {"shuffled", shuffled}} {
		b.Run(bc.name, func(b *testing.B) {
			out := make([]features.LabeledRow, len(d.preds))
			for b.Loop() {
				if err := checkPredictions(batch, d.preds, d.feats); err != nil {
					b.Fatal(err)
				}
				set := newLabelSet(batch.From, batch.To)
				set.add(bc.labels, batch.From, batch.To)
				if n := join(d.preds, d.feats, set, out); n != len(d.preds) {
					b.Fatalf("%d of %d rows matched", n, len(d.preds))
				}
			}
			b.ReportMetric(float64(b.N)*float64(len(d.preds))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkHandle measures a whole predictions.batch of 100,000 rows whose labels are indexed:
// reading the predictions, features and labels objects (file store), the join, writing the
// labeled batch and the KV updates (embedded NATS).
func BenchmarkHandle(b *testing.B) {
	w := newWorld(b)
	w.register("netops", 1)
	s := w.instance()
	d := ticks(41, "netops", 1, 1000, 0, 100)
	w.handle(s, w.labelsEvent("lab-1", d.labels))
	pe := w.predictionsEvent("pred-1", d)
	b.ResetTimer()
	for b.Loop() {
		outs, err := s.handle(context.Background(), pe)
		if err != nil || len(outs) != 1 {
			b.Fatalf("%d events, %v", len(outs), err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(d.preds))/b.Elapsed().Seconds(), "rows/s")
}
