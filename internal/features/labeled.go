package features

// LabeledRow is a scored feature row joined with its label (the labeled stream's labeled batch,
// labeled/model=<m>/…): the features the model saw, its answer and the truth.
//
// Labeled is false for a row whose label never arrived within the labeled stream's horizon; it is
// written out all the same (never dropped) with Label and Error false.
type LabeledRow struct {
	Row
	Model       string  `parquet:"model,dict"`
	Version     int32   `parquet:"version"`
	Probability float64 `parquet:"probability"`
	Prediction  bool    `parquet:"prediction"`
	Labeled     bool    `parquet:"labeled"`
	Label       bool    `parquet:"label"`
	// Error is prediction != label (the drift detectors' input); false when not labeled.
	Error bool `parquet:"error"`
}
