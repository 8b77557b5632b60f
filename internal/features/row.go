package features

import (
	"fmt"
	"time"
)

// Row is the feature row of one telemetry row: its timestamp and device and the NumFeatures
// features, whose Parquet columns are named as in Names() and come in that order.
type Row struct {
	Timestamp           time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Device              string    `parquet:"device,dict"`
	CPUUtilization      float64   `parquet:"cpu_utilization"`
	Latency             float64   `parquet:"latency"`
	PacketLoss          float64   `parquet:"packet_loss"`
	Throughput          float64   `parquet:"throughput"`
	CPUUtilizationAvg1h float64   `parquet:"cpu_utilization_avg_1h"`
	CPUUtilizationAvg6h float64   `parquet:"cpu_utilization_avg_6h"`
	CPUUtilizationMin1h float64   `parquet:"cpu_utilization_min_1h"`
	CPUUtilizationMin6h float64   `parquet:"cpu_utilization_min_6h"`
	CPUUtilizationMax1h float64   `parquet:"cpu_utilization_max_1h"`
	CPUUtilizationMax6h float64   `parquet:"cpu_utilization_max_6h"`
	LatencyAvg1h        float64   `parquet:"latency_avg_1h"`
	LatencyAvg6h        float64   `parquet:"latency_avg_6h"`
	LatencyMin1h        float64   `parquet:"latency_min_1h"`
	LatencyMin6h        float64   `parquet:"latency_min_6h"`
	LatencyMax1h        float64   `parquet:"latency_max_1h"`
	LatencyMax6h        float64   `parquet:"latency_max_6h"`
	PacketLossAvg1h     float64   `parquet:"packet_loss_avg_1h"`
	PacketLossAvg6h     float64   `parquet:"packet_loss_avg_6h"`
	PacketLossMin1h     float64   `parquet:"packet_loss_min_1h"`
	PacketLossMin6h     float64   `parquet:"packet_loss_min_6h"`
	PacketLossMax1h     float64   `parquet:"packet_loss_max_1h"`
	PacketLossMax6h     float64   `parquet:"packet_loss_max_6h"`
	ThroughputAvg1h     float64   `parquet:"throughput_avg_1h"`
	ThroughputAvg6h     float64   `parquet:"throughput_avg_6h"`
	ThroughputMin1h     float64   `parquet:"throughput_min_1h"`
	ThroughputMin6h     float64   `parquet:"throughput_min_6h"`
	ThroughputMax1h     float64   `parquet:"throughput_max_1h"`
	ThroughputMax6h     float64   `parquet:"throughput_max_6h"`
	Models0             float64   `parquet:"models_0"`
	Models1             float64   `parquet:"models_1"`
	Models2             float64   `parquet:"models_2"`
	Models3             float64   `parquet:"models_3"`
	Models4             float64   `parquet:"models_4"`
	Models5             float64   `parquet:"models_5"`
	Models6             float64   `parquet:"models_6"`
	Models7             float64   `parquet:"models_7"`
	Models8             float64   `parquet:"models_8"`
	Models9             float64   `parquet:"models_9"`
	CountryA            float64   `parquet:"country_A"`
	CountryB            float64   `parquet:"country_B"`
	CountryC            float64   `parquet:"country_C"`
	CountryD            float64   `parquet:"country_D"`
	CountryE            float64   `parquet:"country_E"`
	CountryF            float64   `parquet:"country_F"`
	CountryG            float64   `parquet:"country_G"`
}

// TrainingRow is a feature row with the label of its device attached by the as-of join.
type TrainingRow struct {
	Row
	IsError bool `parquet:"is_error"`
}

// Vector returns the row's features in the order of Names().
func (r *Row) Vector() []float64 {
	return r.AppendVector(make([]float64, 0, NumFeatures))
}

// AppendVector appends the row's features, in the order of Names(), to dst; appending rows one
// after another builds a row-major matrix.
func (r *Row) AppendVector(dst []float64) []float64 {
	return append(dst,
		r.CPUUtilization, r.Latency, r.PacketLoss, r.Throughput,
		r.CPUUtilizationAvg1h, r.CPUUtilizationAvg6h, r.CPUUtilizationMin1h, r.CPUUtilizationMin6h,
		r.CPUUtilizationMax1h, r.CPUUtilizationMax6h, r.LatencyAvg1h, r.LatencyAvg6h,
		r.LatencyMin1h, r.LatencyMin6h, r.LatencyMax1h, r.LatencyMax6h,
		r.PacketLossAvg1h, r.PacketLossAvg6h, r.PacketLossMin1h, r.PacketLossMin6h,
		r.PacketLossMax1h, r.PacketLossMax6h, r.ThroughputAvg1h, r.ThroughputAvg6h,
		r.ThroughputMin1h, r.ThroughputMin6h, r.ThroughputMax1h, r.ThroughputMax6h,
		r.Models0, r.Models1, r.Models2, r.Models3,
		r.Models4, r.Models5, r.Models6, r.Models7,
		r.Models8, r.Models9, r.CountryA, r.CountryB,
		r.CountryC, r.CountryD, r.CountryE, r.CountryF,
		r.CountryG,
	)
}

// FromVector builds the row of a device at a timestamp from features in the order of Names().
func FromVector(ts time.Time, device string, v []float64) (Row, error) {
	if len(v) != NumFeatures {
		return Row{}, fmt.Errorf("feature vector has %d values, want %d", len(v), NumFeatures)
	}
	r := Row{Timestamp: ts, Device: device}
	r.setVector((*[NumFeatures]float64)(v))
	return r, nil
}

// setVector sets the row's features from v, in the order of Names().
func (r *Row) setVector(v *[NumFeatures]float64) {
	r.CPUUtilization = v[0]
	r.Latency = v[1]
	r.PacketLoss = v[2]
	r.Throughput = v[3]
	r.CPUUtilizationAvg1h = v[4]
	r.CPUUtilizationAvg6h = v[5]
	r.CPUUtilizationMin1h = v[6]
	r.CPUUtilizationMin6h = v[7]
	r.CPUUtilizationMax1h = v[8]
	r.CPUUtilizationMax6h = v[9]
	r.LatencyAvg1h = v[10]
	r.LatencyAvg6h = v[11]
	r.LatencyMin1h = v[12]
	r.LatencyMin6h = v[13]
	r.LatencyMax1h = v[14]
	r.LatencyMax6h = v[15]
	r.PacketLossAvg1h = v[16]
	r.PacketLossAvg6h = v[17]
	r.PacketLossMin1h = v[18]
	r.PacketLossMin6h = v[19]
	r.PacketLossMax1h = v[20]
	r.PacketLossMax6h = v[21]
	r.ThroughputAvg1h = v[22]
	r.ThroughputAvg6h = v[23]
	r.ThroughputMin1h = v[24]
	r.ThroughputMin6h = v[25]
	r.ThroughputMax1h = v[26]
	r.ThroughputMax6h = v[27]
	r.Models0 = v[28]
	r.Models1 = v[29]
	r.Models2 = v[30]
	r.Models3 = v[31]
	r.Models4 = v[32]
	r.Models5 = v[33]
	r.Models6 = v[34]
	r.Models7 = v[35]
	r.Models8 = v[36]
	r.Models9 = v[37]
	r.CountryA = v[38]
	r.CountryB = v[39]
	r.CountryC = v[40]
	r.CountryD = v[41]
	r.CountryE = v[42]
	r.CountryF = v[43]
	r.CountryG = v[44]
}
