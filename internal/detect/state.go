package detect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// StateVersion is the version of the saved-state format written by MarshalJSON.
const StateVersion = 1

// ErrState marks saved state that cannot be restored: malformed, of another version, or of
// another detector kind.
var ErrState = errors.New("detect: bad state")

// envelope is the saved form of every detector: what it is, how it was configured, and its
// kind-specific statistics.
type envelope struct {
	Kind    string          `json:"kind"`
	Version int             `json:"version"`
	Config  Config          `json:"config"`
	State   json.RawMessage `json:"state"`
}

// marshalState saves a detector of cfg.Kind whose statistics are st.
func marshalState(cfg Config, st any) ([]byte, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("detect: save %s state: %w", cfg.Kind, err)
	}
	return json.Marshal(envelope{Kind: cfg.Kind, Version: StateVersion, Config: cfg, State: raw})
}

// unmarshalState decodes saved state of the given kind into st and returns its configuration,
// defaults applied.
func unmarshalState(data []byte, kind string, st any) (Config, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrState, err)
	}
	if env.Kind != kind {
		return Config{}, fmt.Errorf("%w: state is for detector %q, not %q", ErrState, env.Kind, kind)
	}
	if env.Version != StateVersion {
		return Config{}, fmt.Errorf("%w: %s state version %d, want %d", ErrState, kind, env.Version, StateVersion)
	}
	if env.Config.Kind != kind {
		return Config{}, fmt.Errorf("%w: %s state holds a %q config", ErrState, kind, env.Config.Kind)
	}
	if err := env.Config.Validate(); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrState, err)
	}
	dec := json.NewDecoder(bytes.NewReader(env.State))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return Config{}, fmt.Errorf("%w: %s statistics: %v", ErrState, kind, err)
	}
	return env.Config.withDefaults(), nil
}

// Restore rebuilds a detector of whatever kind data was saved from (by Detector.MarshalJSON).
func Restore(data []byte) (Detector, error) {
	var head struct {
		Config Config `json:"config"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	if err := head.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	d := newDetector(head.Config.withDefaults())
	if err := d.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return d, nil
}

// jsonFloat is a float64 that survives JSON exactly, including the ±Inf DDM starts with.
// Finite values use the shortest representation that parses back to the same bits.
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return []byte(strconv.Quote(strconv.FormatFloat(v, 'g', -1, 64))), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", b, err)
	}
	*f = jsonFloat(v)
	return nil
}
