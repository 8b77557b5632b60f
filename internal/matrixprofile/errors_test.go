package matrixprofile

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRejectedInputs(t *testing.T) {
	walk := randomWalk(1, 50)
	withNaN := randomWalk(2, 50)
	withNaN[17] = math.NaN()
	withInf := randomWalk(3, 50)
	withInf[49] = math.Inf(-1)
	tests := []struct {
		name      string
		call      func() error
		want      error
		wantInput string
		wantText  string
	}{
		{"MASS empty query", func() error { _, err := MASS(nil, walk); return err }, ErrEmpty, "query", "no values"},
		{"MASS empty series", func() error { _, err := MASS(walk[:5], []float64{}); return err }, ErrEmpty, "series", "no values"},
		{"MASS NaN in query", func() error { _, err := MASS(withNaN[10:30], walk); return err }, ErrNonFinite, "query", "query[7] is NaN"},
		{"MASS Inf in series", func() error { _, err := MASS(walk[:5], withInf); return err }, ErrNonFinite, "series", "series[49] is -Inf"},
		{"MASS query too short", func() error { _, err := MASS(walk[:2], walk); return err }, ErrWindowTooShort, "query", "below the minimum 3"},
		{"MASS query longer than series", func() error { _, err := MASS(walk, walk[:49]); return err }, ErrWindowTooLong, "query", "exceeds len(series) = 49"},
		{"SelfJoin nil series", func() error { _, err := SelfJoin(nil, 3); return err }, ErrEmpty, "series", "no values"},
		{"SelfJoin NaN", func() error { _, err := SelfJoin(withNaN, 5); return err }, ErrNonFinite, "series", "series[17] is NaN"},
		{"SelfJoin m=2", func() error { _, err := SelfJoin(walk, 2); return err }, ErrWindowTooShort, "m", "length 2"},
		{"SelfJoin m=0", func() error { _, err := SelfJoin(walk, 0); return err }, ErrWindowTooShort, "m", "length 0"},
		{"SelfJoin negative m", func() error { _, err := SelfJoin(walk, -4); return err }, ErrWindowTooShort, "m", "length -4"},
		{"SelfJoin m>n", func() error { _, err := SelfJoin(walk, 51); return err }, ErrWindowTooLong, "m", "exceeds len(series) = 50"},
		{"ABJoin empty a", func() error { _, err := ABJoin(nil, walk, 5); return err }, ErrEmpty, "a", "no values"},
		{"ABJoin empty b", func() error { _, err := ABJoin(walk, nil, 5); return err }, ErrEmpty, "b", "no values"},
		{"ABJoin Inf in b", func() error { _, err := ABJoin(walk, withInf, 5); return err }, ErrNonFinite, "b", "b[49] is -Inf"},
		{"ABJoin m>len(a)", func() error { _, err := ABJoin(walk[:8], walk, 9); return err }, ErrWindowTooLong, "m", "exceeds len(a) = 8"},
		{"ABJoin m>len(b)", func() error { _, err := ABJoin(walk, walk[:8], 9); return err }, ErrWindowTooLong, "m", "exceeds len(b) = 8"},
		{"ABJoin m too short", func() error { _, err := ABJoin(walk, walk, 1); return err }, ErrWindowTooShort, "m", "length 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input != tt.wantInput {
				t.Fatalf("error = %#v, want an *InputError for %q", err, tt.wantInput)
			}
			if !strings.Contains(err.Error(), tt.wantText) || !strings.HasPrefix(err.Error(), "matrixprofile: ") {
				t.Errorf("message %q does not start with the package or lacks %q", err, tt.wantText)
			}
		})
	}
}
