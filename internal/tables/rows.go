// Package tables defines the Parquet row types that functions exchange through the object store
// and the helpers that write and read them.
//
// Every table uses plain logical types so pandas, DuckDB and Spark read the files as they are:
// timestamps are TIMESTAMP(MILLIS, UTC), strings are UTF-8, numbers are DOUBLE, INT32 or BOOLEAN.
package tables

import "time"

// Telemetry is one device's metrics at one tick (the generator's telemetry batch).
type Telemetry struct {
	Timestamp      time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Device         string    `parquet:"device,dict"`
	CPUUtilization float64   `parquet:"cpu_utilization"`
	Latency        float64   `parquet:"latency"`
	PacketLoss     float64   `parquet:"packet_loss"`
	Throughput     float64   `parquet:"throughput"`
}

// Label is one device's error flags at one tick (the generator's labels batch).
type Label struct {
	Timestamp             time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Device                string    `parquet:"device,dict"`
	CPUUtilizationIsError bool      `parquet:"cpu_utilization_is_error"`
	LatencyIsError        bool      `parquet:"latency_is_error"`
	PacketLossIsError     bool      `parquet:"packet_loss_is_error"`
	ThroughputIsError     bool      `parquet:"throughput_is_error"`
	IsError               bool      `parquet:"is_error"`
}

// Device is a device's static attributes, written once per fleet.
type Device struct {
	Device  string `parquet:"device"`
	Models  int32  `parquet:"models"`
	Country string `parquet:"country"`
}

// Metrics names the four telemetry metrics in their fixed order.
var Metrics = [4]string{"cpu_utilization", "latency", "packet_loss", "throughput"}

// Values returns the four metrics of a telemetry row in the order of Metrics.
func (t Telemetry) Values() [4]float64 {
	return [4]float64{t.CPUUtilization, t.Latency, t.PacketLoss, t.Throughput}
}

// Prediction is one scored row of a features batch (the model server's predictions batch).
type Prediction struct {
	Timestamp   time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Device      string    `parquet:"device,dict"`
	Model       string    `parquet:"model,dict"`
	Version     int32     `parquet:"version"`
	Probability float64   `parquet:"probability"`
	Prediction  bool      `parquet:"prediction"`
}
