// Package preprocessor is the function that turns telemetry batches into feature batches (SPEC §2):
// for every telemetry row, the 45 features of package features, computed online per arriving
// batch with each device's window state kept in NATS KV.
//
// For each telemetry.batch event it reads the telemetry Parquet object, encodes each device's
// static attributes from the device table (devices/devices.parquet, cached, reread when a device
// it does not hold appears and the object has changed; a device still missing gets all-zero
// one-hot features and is counted), runs each device's rows through features.State.Update from
// the state stored in KV, and then writes
//
//   - the feature rows, in input order, to features/date=YYYY-MM-DD/hour=HH/<id>.parquet
//     (partitioned by the batch's From time in UTC; id = events.DerivedID(input id)),
//   - each device's latest vector to the online bucket (features.MarshalOnline, key = device id),
//     which the model server reads,
//   - each device's new window state to the state bucket, with compare-and-set on the revision,
//
// and returns one features.batch event with the derived id and the input's From and To. Because
// the online path calls the same State.Update as the offline builder, the features are the ones
// features.Compute gives over the same rows in one pass, bit for bit.
//
// It runs Serial: one batch at a time across replicas, in stream order, so a device's window only
// moves forward.
//
// # Bad input
//
// A batch is rejected as a whole (fault.Permanent: the runtime dead-letters it with the reason)
// when no retry can fix it and no part of it can be trusted: an invalid event payload; a missing
// column, a column of the wrong type or a corrupt object (tables.Get); a row count other than the
// event's; rows of one device out of timestamp order within the batch (the message names the
// device and both timestamps: a producer that reorders rows is broken, and sorting them would
// hide it); a state record in KV that cannot be decoded (the message names the device; delete
// its key to restart its windows; a record of a newer build is retried instead, for a newer
// replica). Nothing is written before these checks pass.
//
// A row is skipped, counted in netops_preprocessor_rows_skipped_total by reason, and the rest of
// the batch goes on, when only that row is bad, so one sensor glitch cannot stop a fleet's
// features:
//
//   - late: its timestamp is not after the newest row its device's state holds from an earlier
//     batch (a duplicate or a straggler). Equal timestamps within one batch are separate rows.
//   - invalid_value: a NaN or infinite metric, a timestamp outside the years 1678–2262, or values
//     so large a window sum overflows. The device's window goes on without the row.
//   - invalid_device: a device id that cannot be a KV key (1–255 characters, each a letter,
//     digit, hyphen or underscore).
//
// The batch's warning log line gives the counts and the first invalid row's device, timestamp and
// column. An offline builder that must match these features skips the same rows.
//
// Retryable: a missing telemetry object (it may not be visible yet), a missing device table
// (until it has been read once) or an unreadable one (the batch is fine), a state record written
// by a newer build, store and KV failures, and a lost compare-and-set. Each message names the
// key, bucket or device.
//
// # Exactly-once effect
//
// A batch may be delivered again after a crash at any point. The value of a device's key in the
// state bucket holds the id of the last batch applied to it and the device's state before and
// after that batch (record.go; "before" is usually a patch of "after" under 100 bytes). A
// device whose record names the batch being handled restarts from "before", any other from
// "after"; so every device computes from the same state on every delivery, its rows and vector
// are byte-identical, and so is its final state, however many devices the first attempt saved.
// The features object, the vectors and the states are then written concurrently, since a crash
// between any of them is repaired the same way. A redelivery does not rewrite a record that
// already holds the batch's result; it rewrites the device's vector (the same bytes), since it
// cannot know whether that write happened. A features object that exists is overwritten with the
// same bytes, except when rows were skipped as late: then the batch may be an old one replayed
// after newer ones, and the object written when it was first handled is kept.
//
// The guarantee assumes batches in stream order (Serial). Replaying a batch after a newer one was
// applied does not undo anything: its rows are late and skipped. A batch dead-lettered after some
// of its devices were saved (a store or KV failure outlasting the retries) stays applied to them.
//
// # Performance
//
// Devices are computed in parallel. KV reads are concurrent gets, or one watch of the bucket when
// the batch holds most of its keys; writes are asynchronous publishes with at most --kv-in-flight
// unacknowledged per bucket (see kvStore). BenchmarkTick100k measures a tick of 100,000 devices:
// its cost is two KV writes per device (on the 2-core development machine the embedded server
// takes about 80,000 a second), and with full 6h windows the 3.6 kB state records.
package preprocessor
