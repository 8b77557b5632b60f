package detect

import (
	"fmt"
	"math"
)

// EDDM's constants; scikit-multiflow 0.4.1 does not let them be configured.
const (
	eddmOutControl   = 0.9
	eddmWarning      = 0.95
	eddmMinInstances = 30
	eddmMinErrors    = 30
)

// eddm is the Early Drift Detection Method (Baena-García et al. 2006): it tracks the mean m and
// standard deviation s of the distance between consecutive errors, remembers the largest m+2s,
// and flags a warning or a change when m+2s falls below 95% or 90% of it.
//
// Only observations equal to 1 (errors) update the statistics and the warning flag; a 0 only
// advances the position and clears the change flag.
type eddm struct {
	st eddmState
}

// eddmState is EDDM's statistics, in scikit-multiflow's names without the m_ prefix.
type eddmState struct {
	N       int       `json:"n"`      // 1 + observations since the last reset
	Errors  int       `json:"errors"` // num_errors
	D       int       `json:"d"`      // position of the last error
	LastD   int       `json:"last_d"` // position of the error before it
	Mean    jsonFloat `json:"mean"`
	StdTemp jsonFloat `json:"std_temp"` // running sum of squared deviations (Welford)
	M2SMax  jsonFloat `json:"m2s_max"`
	Warning bool      `json:"warning"`
	Change  bool      `json:"change"`
}

func newEDDM() *eddm {
	d := &eddm{}
	d.reset()
	return d
}

func (d *eddm) reset() { d.st = eddmState{N: 1} }

func (d *eddm) Add(x float64) error {
	if err := checkBinary(KindEDDM, x); err != nil {
		return err
	}
	if d.st.Change {
		d.reset()
	}
	st := &d.st
	st.Change = false
	st.N++
	if x != 1 {
		return nil
	}
	st.Warning = false
	st.Errors++
	st.LastD = st.D
	st.D = st.N - 1
	dist := float64(st.D - st.LastD)
	old := float64(st.Mean)
	mean := old + (dist-old)/float64(st.Errors)
	// float64 conversions: no fused multiply-add, so results match scikit-multiflow bit for bit.
	stdTemp := float64(st.StdTemp) + float64((dist-mean)*(dist-old))
	std := math.Sqrt(stdTemp / float64(st.Errors))
	m2s := mean + float64(2*std)
	st.Mean, st.StdTemp = jsonFloat(mean), jsonFloat(stdTemp)
	if st.N < eddmMinInstances {
		return nil
	}
	if m2s > float64(st.M2SMax) {
		st.M2SMax = jsonFloat(m2s)
		return nil
	}
	p := m2s / float64(st.M2SMax)
	switch {
	case st.Errors > eddmMinErrors && p < eddmOutControl:
		st.Change = true
	case st.Errors > eddmMinErrors && p < eddmWarning:
		st.Warning = true
	}
	return nil
}

func (d *eddm) Warning() bool                { return d.st.Warning }
func (d *eddm) Change() bool                 { return d.st.Change }
func (d *eddm) Estimation() float64          { return float64(d.st.Mean) }
func (d *eddm) Kind() string                 { return KindEDDM }
func (d *eddm) MarshalJSON() ([]byte, error) { return marshalState(Config{Kind: KindEDDM}, d.st) }

func (d *eddm) UnmarshalJSON(data []byte) error {
	var st eddmState
	if _, err := unmarshalState(data, KindEDDM, &st); err != nil {
		return err
	}
	if st.N < 1 || st.Errors < 0 {
		return fmt.Errorf("%w: eddm n = %d, errors = %d", ErrState, st.N, st.Errors)
	}
	d.st = st
	return nil
}

var _ Detector = (*eddm)(nil)
