package detect

import (
	"fmt"
	"math"
)

// hddmA is HDDM-A (Frías-Blanco et al. 2014): it compares the mean since the point where the
// mean plus its Hoeffding bound was lowest with the overall mean, and flags a warning or a
// change when the increase is significant at the warning or drift confidence. Two-sided, it also
// starts over when the mean drops significantly below its highest point. Unlike DDM, it starts
// over on the observation that detects the change.
type hddmA struct {
	cfg Config
	st  hddmAState
}

// hddmAState is HDDM-A's statistics: counts n and sums c of the observations so far, at the
// minimum and at the maximum, and of the last detected concept (for the estimate).
type hddmAState struct {
	N          int       `json:"n"`
	C          jsonFloat `json:"c"`
	NMin       int       `json:"n_min"`
	CMin       jsonFloat `json:"c_min"`
	NMax       int       `json:"n_max"`
	CMax       jsonFloat `json:"c_max"`
	NEst       int       `json:"n_estimation"`
	CEst       jsonFloat `json:"c_estimation"`
	Estimation jsonFloat `json:"estimation"`
	Warning    bool      `json:"warning"`
	Change     bool      `json:"change"`
}

func newHDDMA(c Config) *hddmA { return &hddmA{cfg: c} }

func (d *hddmA) Add(x float64) error {
	if err := checkUnit(KindHDDMA, x); err != nil {
		return err
	}
	st := &d.st
	st.N++
	st.C += jsonFloat(x)
	if st.NMin == 0 {
		st.NMin, st.CMin = st.N, st.C
	}
	if st.NMax == 0 {
		st.NMax, st.CMax = st.N, st.C
	}
	mean := float64(st.C) / float64(st.N)
	logDrift := math.Log(1.0 / d.cfg.DriftConfidence)
	bound := math.Sqrt(1.0 / float64(2*st.N) * logDrift)
	if float64(st.CMin)/float64(st.NMin)+math.Sqrt(1.0/float64(2*st.NMin)*logDrift) >= mean+bound {
		st.NMin, st.CMin = st.N, st.C
	}
	if float64(st.CMax)/float64(st.NMax)-math.Sqrt(1.0/float64(2*st.NMax)*logDrift) <= mean-bound {
		st.NMax, st.CMax = st.N, st.C
	}
	st.Warning, st.Change = false, false
	switch {
	case meanIncrease(st.CMin, st.NMin, st.C, st.N, d.cfg.DriftConfidence):
		st.NEst, st.CEst = st.N-st.NMin, st.C-st.CMin
		d.restart()
		st.Change = true
	case meanIncrease(st.CMin, st.NMin, st.C, st.N, d.cfg.WarningConfidence):
		st.Warning = true
	}
	if !d.cfg.OneSided && meanIncrease(-st.CMax, st.NMax, -st.C, st.N, d.cfg.DriftConfidence) {
		st.NEst, st.CEst = st.N-st.NMax, st.C-st.CMax
		d.restart()
	}
	if st.N >= st.NEst {
		st.NEst, st.CEst = 0, 0
		st.Estimation = 0
		if st.N > 0 {
			st.Estimation = st.C / jsonFloat(st.N)
		}
	} else {
		st.Estimation = st.CEst / jsonFloat(st.NEst)
	}
	return nil
}

// restart forgets the current concept but keeps the flags and the estimate of the last one.
func (d *hddmA) restart() {
	st := &d.st
	st.N, st.NMin, st.NMax = 0, 0, 0
	st.C, st.CMin, st.CMax = 0, 0, 0
}

// meanIncrease reports whether the mean c/n of everything exceeds the mean cMin/nMin up to the
// cut point by more than the Hoeffding bound at the given confidence. With negated sums it
// tests for a decrease below the maximum instead.
func meanIncrease(cMin jsonFloat, nMin int, c jsonFloat, n int, confidence float64) bool {
	if nMin == n {
		return false
	}
	m := float64(n-nMin) / float64(nMin) * (1.0 / float64(n))
	bound := math.Sqrt(m / 2 * math.Log(2.0/confidence))
	return float64(c)/float64(n)-float64(cMin)/float64(nMin) >= bound
}

func (d *hddmA) Warning() bool                { return d.st.Warning }
func (d *hddmA) Change() bool                 { return d.st.Change }
func (d *hddmA) Estimation() float64          { return float64(d.st.Estimation) }
func (d *hddmA) Kind() string                 { return KindHDDMA }
func (d *hddmA) MarshalJSON() ([]byte, error) { return marshalState(d.cfg, d.st) }

func (d *hddmA) UnmarshalJSON(data []byte) error {
	var st hddmAState
	cfg, err := unmarshalState(data, KindHDDMA, &st)
	if err != nil {
		return err
	}
	if st.N < 0 || st.NMin < 0 || st.NMax < 0 || st.NEst < 0 || st.NMin > st.N || st.NMax > st.N {
		return fmt.Errorf("%w: hddm_a counts n=%d n_min=%d n_max=%d n_estimation=%d", ErrState, st.N, st.NMin, st.NMax, st.NEst)
	}
	d.cfg, d.st = cfg, st
	return nil
}

var _ Detector = (*hddmA)(nil)
