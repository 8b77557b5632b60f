package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Model kinds, as used in Params.Kind, Classifier.Kind, the "kind" field of the JSON format
// and the training CLI's --models flag.
const (
	KindLogistic = "lr"  // logistic regression
	KindForest   = "rf"  // random forest
	KindBoosted  = "gbt" // gradient-boosted trees
)

// Kinds lists every model kind, in a stable order.
var Kinds = []string{KindLogistic, KindForest, KindBoosted}

// ClassWeightBalanced weights each class by n/(2·n_class) so that both classes carry the same
// total weight (scikit-learn's class_weight="balanced"). The empty string means unweighted.
const ClassWeightBalanced = "balanced"

// Classifier is a fitted binary classifier. It is immutable and safe for concurrent use.
type Classifier interface {
	// Kind reports the model kind, one of Kinds.
	Kind() string
	// FeatureNames returns the training features in input order. The slice must not be
	// modified.
	FeatureNames() []string
	// NumFeatures reports how many values a row has.
	NumFeatures() int
	// PredictProba returns the probability that row x is positive. x must hold exactly
	// NumFeatures values (callers check input length; a wrong length panics). Values should
	// be finite: NaN yields NaN for logistic regression and takes the right branch of every
	// tree split.
	PredictProba(x []float64) float64
	// PredictBatch writes the probability of each row of the row-major matrix x into out;
	// x must hold len(out)·NumFeatures values, else it returns an error and writes nothing.
	PredictBatch(x, out []float64) error
	// Importances returns one non-negative importance per feature: total split gain,
	// normalised to sum to 1, for trees; |coefficient| on standardised inputs for logistic
	// regression.
	Importances() []float64
	// Params returns the parameters the model was fitted with.
	Params() Params
}

// Params is the parameter struct of one model kind; Fit dispatches on its Kind.
type Params interface {
	// Kind reports the model kind these parameters fit.
	Kind() string
	// Validate reports the first invalid field as a *ParamError.
	Validate() error
}

// ParamError reports an invalid parameter by its JSON name.
type ParamError struct {
	Kind  string // model kind, such as "gbt"
	Field string // JSON name of the field, such as "learning_rate"
	Msg   string
}

// Error implements error.
func (e *ParamError) Error() string {
	return fmt.Sprintf("models: %s params: %s: %s", e.Kind, e.Field, e.Msg)
}

// paramErr builds a *ParamError with a formatted message.
func paramErr(kind, field, format string, args ...any) error {
	return &ParamError{Kind: kind, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Fit trains the model that p describes on ds.
func Fit(ds Dataset, p Params) (Classifier, error) {
	switch p := p.(type) {
	case LogisticParams:
		return FitLogistic(ds, p)
	case ForestParams:
		return FitForest(ds, p)
	case BoostedParams:
		return FitBoosted(ds, p)
	case nil:
		return nil, errors.New("models: nil params")
	default:
		return nil, fmt.Errorf("models: unsupported params type %T", p)
	}
}

// DefaultParams returns the default parameters of a model kind.
func DefaultParams(kind string) (Params, error) {
	switch kind {
	case KindLogistic:
		return DefaultLogisticParams(), nil
	case KindForest:
		return DefaultForestParams(), nil
	case KindBoosted:
		return DefaultBoostedParams(), nil
	}
	return nil, fmt.Errorf("models: unknown model kind %q (want one of %v)", kind, Kinds)
}

// ParseParams decodes JSON parameters of a model kind over its defaults, so {"c": 10} is the
// default logistic regression with C = 10. Unknown fields are errors, and the result is
// validated.
func ParseParams(kind string, data []byte) (Params, error) {
	var err error
	var p Params
	switch kind {
	case KindLogistic:
		v := DefaultLogisticParams()
		err, p = decodeStrict(data, &v), &v
	case KindForest:
		v := DefaultForestParams()
		err, p = decodeStrict(data, &v), &v
	case KindBoosted:
		v := DefaultBoostedParams()
		err, p = decodeStrict(data, &v), &v
	default:
		return nil, fmt.Errorf("models: unknown model kind %q (want one of %v)", kind, Kinds)
	}
	if err != nil {
		return nil, fmt.Errorf("models: %s params: %w", kind, err)
	}
	p = deref(p)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// deref turns a pointer to a params struct into the struct, the form Fit expects.
func deref(p Params) Params {
	switch v := p.(type) {
	case *LogisticParams:
		return *v
	case *ForestParams:
		return *v
	case *BoostedParams:
		return *v
	}
	return p
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// workerCount resolves a Workers parameter: 0 or less means GOMAXPROCS.
func workerCount(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

// parallelFor calls fn(i) for every i in [0, n) on up to w goroutines. Callers make results
// independent of scheduling by writing only to slot i.
func parallelFor(n, w int, fn func(i int)) {
	if w > n {
		w = n
	}
	if w <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// batchChunk is the number of rows one goroutine predicts at a time.
const batchChunk = 2048

// predictBatch checks the shape of a batch and fills out with one(row) per row, in parallel
// for large batches.
func predictBatch(d int, x, out []float64, one func(row []float64) float64) error {
	if len(x) != len(out)*d {
		return fmt.Errorf("models: batch of %d values is not %d rows × %d features", len(x), len(out), d)
	}
	chunks := (len(out) + batchChunk - 1) / batchChunk
	parallelFor(chunks, runtime.GOMAXPROCS(0), func(c int) {
		lo, hi := c*batchChunk, min((c+1)*batchChunk, len(out))
		for i := lo; i < hi; i++ {
			out[i] = one(x[i*d : (i+1)*d : (i+1)*d])
		}
	})
	return nil
}
