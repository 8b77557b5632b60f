package drift

import "errors"

// Sentinel errors for errors.Is. All of them mean bad input, never a transient failure:
// retrying with the same input fails the same way, so callers mark them permanent.
var (
	// ErrNoValues marks a reference asked of data without a single finite value.
	ErrNoValues = errors.New("no finite values")
	// ErrInvalidReference marks reference statistics that are inconsistent or unusable.
	ErrInvalidReference = errors.New("invalid reference")
	// ErrInvalidHistogram marks a histogram whose edges, counts or statistics are inconsistent.
	ErrInvalidHistogram = errors.New("invalid histogram")
	// ErrEdgeMismatch marks two histograms, or a histogram and a reference, on different edges.
	ErrEdgeMismatch = errors.New("histogram edges differ")
	// ErrInvalidOptions marks bad thresholds or importances.
	ErrInvalidOptions = errors.New("invalid drift options")
	// ErrDuplicateFeature marks a feature name given twice to Analyze.
	ErrDuplicateFeature = errors.New("duplicate feature")
)
