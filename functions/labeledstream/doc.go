// Package labeledstream is the labeled-stream function (SPEC §5): it joins every
// predictions.batch with the labels.batch rows of the same (device, timestamp), whichever arrives
// first, writes one labeled batch per predictions batch to
// labeled/model=<m>/date=YYYY-MM-DD/hour=HH/<id>.parquet (features.LabeledRow: timestamp, device,
// the features, model, version, probability, prediction, labeled, label, error) and announces it
// as labeled.batch; and it keeps the label-based fields of the model endpoint record (accuracy,
// precision, recall, F1 and the confusion counts over a sliding window of labeled rows).
//
// It is not a training-set builder (that is trainset's as-of join): a prediction is joined only
// with the label of exactly its own device and timestamp.
//
// # How the join waits
//
// The labels objects the generator writes are the label buffer: nothing is copied. The KV bucket
// (--labeled-bucket) holds small indexes (state.go): per hour, the labels batches touching it;
// the list of predictions batches waiting for labels (their event payloads, at most
// --max-pending); and the watermark, the latest end of a labels batch seen (event time).
//
//   - predictions.batch: read the predictions, the features batch named by the event's Source
//     (row i of each must be the same device and timestamp) and the indexed labels batches
//     overlapping [From, To]; join in memory. If every row has its label, or the watermark is
//     already more than --label-horizon past the batch's To, write the labeled batch and return
//     its event. Otherwise add the batch to the pending list, look at the index and watermark
//     once more (a labels batch handled meanwhile cannot have seen it pending), and, if the list
//     is longer than --max-pending, write its oldest batches with the labels they have.
//   - labels.batch: read and check the labels, index them, advance the watermark, and settle
//     every pending batch that overlaps them or that the watermark has pushed past the horizon:
//     join it again and, if complete or past the horizon, write it, publish its event and remove
//     it from the list. Index hours more than --label-retention behind the watermark are deleted.
//
// Rows whose label never came are written with Labeled=false (Label and Error false), counted in
// netops_labeled_stream_rows_total{labeled="false"} and in the endpoint's unlabeled_total; they
// are never dropped. A predictions batch is written exactly once it is complete, at the horizon,
// or when evicted, so each has exactly one labeled batch, whose rows are in the order of the
// predictions rows.
//
// The function runs Serial (one event at a time across replicas, in stream order), which keeps
// the sliding window in stream order; the state changes are compare-and-set updates and ordered
// so that concurrent handling (push mode) cannot lose a release either.
//
// # Exactly-once effect
//
// The output key and event id derive from the predictions event id
// (events.DerivedID(id, "labeled")), and the label set used is ordered by key, so writing a batch
// again — after a redelivery, a crash, or because two events both completed it — writes the same
// bytes and publishes an id JetStream drops as a duplicate. The metric window remembers the ids
// of the last 256 batches it added, so their rows are added once; the endpoint record's fields are
// recomputed from the window every time. A batch released by a labels.batch is published by this
// package before it leaves the pending list (see settle), so a crash in between republishes it.
// Prometheus counters count again on redelivery.
//
// # Bad input
//
// Rejected as a whole with fault.Permanent (dead-lettered with the reason; nothing is written):
//
//   - an invalid event payload (events.Decode), or a batch spanning more than 7 days;
//   - a predictions batch without a model, with a model name the registry would not accept, a
//     version below 1, or no Source (its features batch);
//   - a missing column or a column of another type in any object (tables.Get: a prediction or
//     label that is not BOOLEAN, i.e. not 0/1, is a schema mismatch) or a corrupt object;
//   - a predictions batch whose row count is not its event's, whose features batch has another
//     row count or another device or timestamp at some row ("do not line up"), a row outside
//     [From, To], a row of another model or version than the event's, or a probability that is
//     NaN or outside [0, 1] (±Inf included) — each message names the row, device and timestamp;
//   - a labels batch whose row count is not its event's, a row outside [From, To], or the same
//     (device, timestamp) twice; such a batch is not indexed, so predictions needing it are
//     written unlabeled at the horizon.
//
// Handled and documented, not rejected:
//
//   - Rows need not be in timestamp order within a batch, and batches may arrive in any event-time
//     order: the join is by key. A predictions batch that arrives after the watermark has passed
//     its To plus the horizon is joined with the labels indexed and written at once, unmatched rows
//     unlabeled. A labels batch ending more than the horizon before the watermark is indexed and
//     completes what is still pending, and counted in netops_labeled_stream_late_label_batches_total;
//     batches already written are final and not rewritten.
//   - The same (device, timestamp) twice in a predictions batch (the preprocessor keeps equal
//     timestamps as separate rows): each row is joined, and both get the same label.
//   - Two labels batches labeling one (device, timestamp) differently: the batch with the smaller
//     key wins, and the rows are counted in netops_labeled_stream_label_conflicts_total.
//   - A model version the registry does not hold: the batch is still joined and written (the model
//     name comes from the event), counted in netops_labeled_stream_unknown_model_batches_total,
//     and no endpoint record is created for it.
//   - A pending batch whose objects have become unreadable by the time labels arrive: dropped from
//     the list with an error log (netops_labeled_stream_dropped_pending_total), so it cannot block
//     the labels; an indexed labels object that has disappeared is joined as absent.
//
// Retryable: missing objects (not visible yet), store and KV failures, lost compare-and-sets.
//
// # Metrics window
//
// Per model version, the KV key window.<model>.v<N> holds the outcomes of the last --window-rows
// labeled rows, in the order their batches were written; accuracy, precision, recall and F1 are
// computed over them (precision, recall and F1 are 0 when their denominator is 0, as
// scikit-learn's zero_division=0), with the confusion counts, the labeled and unlabeled totals
// and the latest event time, into endpoint.Record.Metrics.
//
// # Performance
//
// The join is a hash join on (device, millisecond timestamp) over the labels within the batch's
// range; labels batches are cached in memory (about 1M rows) because each is read once per
// model. BenchmarkJoin measures the join alone, BenchmarkHandle a whole predictions.batch with
// Parquet reads and writes and KV updates.
package labeledstream
