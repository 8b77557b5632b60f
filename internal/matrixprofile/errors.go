package matrixprofile

import (
	"errors"
	"fmt"
	"math"
)

// MinWindow is the shortest subsequence length accepted; shorter subsequences have too few degrees
// of freedom after z-normalisation for their distances to mean anything.
const MinWindow = 3

// Sentinel errors wrapped by every [InputError]; test for them with [errors.Is].
var (
	// ErrEmpty reports an input series with no values.
	ErrEmpty = errors.New("empty input")
	// ErrNonFinite reports a NaN or infinite value in an input series.
	ErrNonFinite = errors.New("non-finite value")
	// ErrWindowTooShort reports a subsequence length below MinWindow.
	ErrWindowTooShort = errors.New("subsequence length too short")
	// ErrWindowTooLong reports a subsequence length greater than the length of a series.
	ErrWindowTooLong = errors.New("subsequence length longer than series")
)

// InputError is a rejected argument: which one, what is wrong with it, and the sentinel error that
// classifies the problem. All input errors are permanent: retrying with the same input fails again.
type InputError struct {
	// Input names the argument: "series", "query", "a", "b" or "m".
	Input string
	// Detail says what is wrong, e.g. "series[17] is NaN".
	Detail string
	// Err is one of ErrEmpty, ErrNonFinite, ErrWindowTooShort or ErrWindowTooLong.
	Err error
}

// Error names the package, the argument and the problem.
func (e *InputError) Error() string {
	return fmt.Sprintf("matrixprofile: %s: %s: %v", e.Input, e.Detail, e.Err)
}

// Unwrap returns the sentinel error, for errors.Is.
func (e *InputError) Unwrap() error { return e.Err }

// checkSeries rejects an empty series or one holding NaN or ±Inf.
func checkSeries(name string, x []float64) error {
	if len(x) == 0 {
		return &InputError{Input: name, Detail: "no values", Err: ErrEmpty}
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &InputError{Input: name, Detail: fmt.Sprintf("%s[%d] is %v", name, i, v), Err: ErrNonFinite}
		}
	}
	return nil
}

// checkWindow rejects a subsequence length m that is too short or longer than the named series.
func checkWindow(input string, m int, name string, n int) error {
	if m < MinWindow {
		return &InputError{Input: input, Detail: fmt.Sprintf("length %d is below the minimum %d", m, MinWindow), Err: ErrWindowTooShort}
	}
	if m > n {
		return &InputError{Input: input, Detail: fmt.Sprintf("length %d exceeds len(%s) = %d", m, name, n), Err: ErrWindowTooLong}
	}
	return nil
}
