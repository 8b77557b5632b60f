package detect

import (
	"fmt"
	"math"
)

// ddm is the Drift Detection Method (Gama et al. 2004): it tracks the error rate p and its
// standard deviation s, remembers the point where p+s was lowest, and flags a warning or a
// change when p+s rises the warning or out-of-control multiple of that s above that p.
type ddm struct {
	cfg Config
	st  ddmState
}

// ddmState is DDM's statistics; comments give scikit-multiflow's names.
type ddmState struct {
	N       int       `json:"n"`      // sample_count: 1 + observations since the last reset
	P       jsonFloat `json:"p"`      // miss_prob
	S       jsonFloat `json:"s"`      // miss_std
	PMin    jsonFloat `json:"p_min"`  // miss_prob_min
	SMin    jsonFloat `json:"s_min"`  // miss_sd_min
	PSMin   jsonFloat `json:"ps_min"` // miss_prob_sd_min
	Warning bool      `json:"warning"`
	Change  bool      `json:"change"`
}

func newDDM(c Config) *ddm {
	d := &ddm{cfg: c}
	d.reset()
	return d
}

func (d *ddm) reset() {
	inf := jsonFloat(math.Inf(1))
	d.st = ddmState{N: 1, P: 1, S: 0, PMin: inf, SMin: inf, PSMin: inf}
}

func (d *ddm) Add(x float64) error {
	if err := checkBinary(KindDDM, x); err != nil {
		return err
	}
	if d.st.Change {
		d.reset()
	}
	st := &d.st
	n := float64(st.N)
	p := float64(st.P) + (x-float64(st.P))/n
	s := math.Sqrt(p * (1 - p) / n)
	st.P, st.S = jsonFloat(p), jsonFloat(s)
	st.N++
	st.Warning, st.Change = false, false
	if st.N < d.cfg.MinInstances {
		return nil
	}
	if p+s <= float64(st.PSMin) {
		st.PMin, st.SMin, st.PSMin = jsonFloat(p), jsonFloat(s), jsonFloat(p+s)
	}
	pMin, sMin := float64(st.PMin), float64(st.SMin)
	switch {
	// The float64 conversions keep the compiler from fusing multiply-adds, which would change
	// the last bit on some CPUs and with it an occasional flag.
	case p+s > pMin+float64(d.cfg.OutControlLevel*sMin):
		st.Change = true
	case p+s > pMin+float64(d.cfg.WarningLevel*sMin):
		st.Warning = true
	}
	return nil
}

func (d *ddm) Warning() bool                { return d.st.Warning }
func (d *ddm) Change() bool                 { return d.st.Change }
func (d *ddm) Estimation() float64          { return float64(d.st.P) }
func (d *ddm) Kind() string                 { return KindDDM }
func (d *ddm) MarshalJSON() ([]byte, error) { return marshalState(d.cfg, d.st) }

func (d *ddm) UnmarshalJSON(data []byte) error {
	var st ddmState
	cfg, err := unmarshalState(data, KindDDM, &st)
	if err != nil {
		return err
	}
	if st.N < 1 {
		return fmt.Errorf("%w: ddm n = %d, want >= 1", ErrState, st.N)
	}
	d.cfg, d.st = cfg, st
	return nil
}

var _ Detector = (*ddm)(nil)
