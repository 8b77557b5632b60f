// Package features computes the model feature vector of a telemetry row: the shared core of the
// online preprocessor (per arriving batch, window state per device in KV) and the offline
// training-set builder (one pass over history). Both paths call the same State.Update, so online
// and offline features are identical by construction, bit for bit.
//
// The package is pure: no I/O, no clock, no logging. Reading and writing Parquet, KV and the
// object store belong to the callers.
//
// # Windows
//
// Time is cut into 10-minute buckets aligned on the Unix epoch: bucket(ts) = floor(ts / Period).
// A row at ts in bucket b sees the rows of its device in buckets b−W+1 … b, where W = 6 for the
// 1h window and W = 36 for the 6h window, and bucket b holds that device's rows up to and
// including the row itself (rows of b that come later are not seen). The first row of a device
// therefore has avg = min = max = its value. Missing buckets (gaps) contribute nothing; a window
// is never empty because it always holds the row itself.
//
// avg is the window's sum divided by its row count. The sum is accumulated in a fixed order,
// which is what makes it reproducible: each bucket sums its rows in arrival order (starting from
// the first value), and the window sum is 0 + the sums of the buckets b−W+1 … b−1 in ascending
// bucket order + the sum of bucket b.
//
// # Feature order
//
// The vector has NumFeatures = 45 float64 features, in the order of Names():
//
//	 0– 3  cpu_utilization, latency, packet_loss, throughput (the raw row)
//	 4–27  <metric>_<op>_<window>: metric-major in the order above, then op (avg, min, max),
//	       then window (1h, 6h): cpu_utilization_avg_1h, cpu_utilization_avg_6h,
//	       cpu_utilization_min_1h, cpu_utilization_min_6h, cpu_utilization_max_1h,
//	       cpu_utilization_max_6h, latency_avg_1h, …, throughput_max_6h
//	28–37  models_0 … models_9 (one-hot of the device's models attribute)
//	38–44  country_A … country_G (one-hot of the device's country attribute)
//
// A static value outside those sets, or a device without static attributes, encodes as all
// zeros in its group.
//
// # State
//
// A State holds one device's per-bucket aggregates (row count, and per metric sum, min and max)
// in a ring of 36 buckets, so memory is proportional to devices × window buckets, never to rows.
// Its binary encoding (MarshalBinary, versioned) stores only the buckets inside the largest
// window and the exact float64 bits, so a state restored from KV yields bit-identical features.
//
// Rows of one device must arrive in non-decreasing timestamp order (equal timestamps are
// separate rows, both counted); an older row fails with an *OrderError (errors.Is ErrOutOfOrder).
// NaN or ±Inf metric values, timestamps outside the years 1678–2262, and windows whose sum
// overflows fail with a *ValueError (errors.Is ErrInvalidValue) naming the column. A failed
// Update leaves the state unchanged.
//
// # Offline and online
//
// Compute runs a batch through a map of states, creating a state for a device it has not seen.
// Offline, one map lives across all batches of the history (Stream does this over a sequence of
// batches and feeds AsOfJoin). Online, the caller loads the states of the batch's devices
// (Devices) from KV with UnmarshalBinary, calls Compute, and stores every state back with
// AppendBinary; a caller that shards devices over workers can instead call State.Update row by
// row with one reused State per worker. Either way a batch delivered twice is counted twice:
// rows with equal timestamps are legal, so deduplicating redeliveries is the caller's job.
//
// # Labels
//
// Training rows get the label of their device by an as-of join (AsOfJoin, Joiner): the latest
// label with label.timestamp <= row.timestamp. Both streams must be sorted by timestamp; the join
// keeps one label per device in memory. Rows with no such label (a device's rows before its first
// label) are dropped and counted in JoinStats.Dropped.
//
// The package is not the feature store: it does not decide which rows to compute, where vectors
// are kept, or how models select features.
package features
