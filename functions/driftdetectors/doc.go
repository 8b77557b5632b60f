// Package driftdetectors is the function that runs streaming drift detectors over each model
// version's error stream (SPEC §6): it consumes labeled.batch and publishes drift.warning and
// drift.detected.
//
// For each labeled batch it reads the batch's Parquet object (features.LabeledRow), keeps the
// rows with Labeled true, groups them by model version (the row's own model and version, else
// the event's), and feeds each group's error stream (1 = prediction != label) to that version's
// detectors, one row at a time, in event-time order. Then, per model version, it
//
//   - saves the detectors' state in the KV bucket --state-bucket under <model>.v<version>, with
//     compare-and-set,
//   - writes every flag change (a row on which a detector's warning or change flag differs from
//     the row before) to monitoring/<model>/detectors/date=…/hour=…/<id>.parquet (LogRow),
//   - sets the Detectors field of the endpoint record (internal/endpoint) to each detector's
//     latest flags, counters, stream index and event time,
//
// and returns a drift.warning event each time a detector enters its warning zone and a
// drift.detected event for each change (events.DriftSignal; Statistic is the detector's
// estimate at that row, see detect.Detector.Estimation). Event ids are SignalID: derived from
// the input event id, model, version, detector, signal and index.
//
// # Detectors and their parameters
//
// Every model runs --detectors (default ddm,eddm,ph,adwin) with the original demo's settings:
// DDM warning 2 / out-of-control 3, Page-Hinkley threshold 10 (other parameters as in
// scikit-multiflow 0.4.1), EDDM, and ADWIN delta 0.002. --params changes them, for all models
// (ph.threshold=20) or one (netops.ph.threshold=20; a model's own value wins whatever the order).
// --detectors-file names a YAML or JSON file that gives some models their own list:
//
//	models:
//	  netops:
//	    - {kind: ddm, warning_level: 2.5, out_control_level: 3.5}
//	    - {kind: page_hinkley, threshold: 20}
//
// A model listed there runs exactly those detectors, with scikit-multiflow's defaults for the
// parameters left out (not the demo's). Parameter names are detect.Config's.
//
// # Warm-up and the stream index
//
// The first batch of a model version starts its detectors warmed up (detect.Warmup) on the
// version's Card.TestErrors — the model's error stream on its test set — with min_instances set
// to its length for DDM and Page-Hinkley, as the original demo did (so after a change these two
// stay silent for that many rows again). A card with no test errors starts the detectors cold,
// with a warning in the log; --warmup=false always starts them cold. A detector added to a
// model's list, or whose parameters changed, starts over the same way at the next batch; the
// others continue.
//
// The stream index (DriftSignal.Index, LogRow.Index) is the 0-based position of the row in the
// model version's live error stream: the labeled rows fed so far, warm-up rows not counted. On a
// cold start it is exactly detect.Run's index over the concatenated stream.
//
// # Order of rows
//
// Within a batch, rows are fed sorted by event time (timestamp), ties broken by device id, and
// rows equal in both kept in batch order: a batch may arrive in any order and is fed the same.
// Across batches, rows are fed in the order the batches arrive (the function runs Serial: one
// batch at a time across replicas, in stream order). A row older than a row an earlier batch fed
// — a label that arrived late — is still fed, after the rows fed before it, and counted in
// netops_drift_detectors_rows_late_total: dropping late labels would bias
// the error rate, since whether a label is late is not independent of the error.
//
// # Bad input
//
// Permanent errors (the runtime dead-letters the batch with the reason), checked for every model
// version of a batch before any state is written: an invalid event; a missing column, wrong type
// or corrupt object; a row count other than the event's; a labeled row for a model version that
// has no registry card when warm-up is on (the message names the model and version: its
// detectors could only start cold and would never be warmed up); a card whose test errors are
// not 0/1; a saved state that cannot be decoded (delete the key <model>.v<version> to start
// over). Rows that are skipped and counted, the rest going on: unlabeled rows, and rows with no
// valid model name or version in the row or the event. A batch with no rows to feed publishes
// nothing. Retryable: a missing labeled object, store and KV failures, a lost compare-and-set.
//
// # Exactly-once effect
//
// The state of a model version records the ids of the last --applied-history batches it fed,
// each with the flag changes it caused (those of the older batches are dropped past 256 KiB,
// always kept for the newest). A batch found there is not fed again: its log object,
// endpoint flags and events are rebuilt from what it recorded (the same bytes and the same ids,
// which JetStream's duplicate window drops when they were published already). A compare-and-set
// that loses to another writer recomputes the batch from the fresh state. So a restart, a scale
// from zero or a redelivery after a crash at any point continues exactly where the state left
// off: the indices are those of one uninterrupted run.
package driftdetectors
