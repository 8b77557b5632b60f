package detect

import (
	"fmt"
	"math"
)

// pageHinkley is the Page-Hinkley test (Page 1954) as scikit-multiflow runs it: a cumulative
// sum of deviations above the running mean (less delta), decayed by alpha and floored at 0,
// flags a change when it exceeds the threshold. It has no warning zone.
type pageHinkley struct {
	cfg Config
	st  phState
}

// phState is Page-Hinkley's statistics.
type phState struct {
	N      int       `json:"n"` // sample_count: 1 + observations since the last reset
	Mean   jsonFloat `json:"mean"`
	Sum    jsonFloat `json:"sum"`
	Change bool      `json:"change"`
}

func newPageHinkley(c Config) *pageHinkley {
	d := &pageHinkley{cfg: c}
	d.reset()
	return d
}

func (d *pageHinkley) reset() { d.st = phState{N: 1} }

func (d *pageHinkley) Add(x float64) error {
	if err := checkFinite(KindPageHinkley, x); err != nil {
		return err
	}
	if d.st.Change {
		d.reset()
	}
	st := &d.st
	mean := float64(st.Mean) + (x-float64(st.Mean))/float64(st.N)
	// The float64 conversion keeps the compiler from fusing the multiply-add.
	sum := math.Max(0, float64(d.cfg.Alpha*float64(st.Sum))+(x-mean-d.cfg.Delta))
	st.Mean, st.Sum = jsonFloat(mean), jsonFloat(sum)
	st.N++
	st.Change = false
	if st.N < d.cfg.MinInstances {
		return nil
	}
	st.Change = sum > d.cfg.Threshold
	return nil
}

func (d *pageHinkley) Warning() bool                { return false }
func (d *pageHinkley) Change() bool                 { return d.st.Change }
func (d *pageHinkley) Estimation() float64          { return float64(d.st.Mean) }
func (d *pageHinkley) Kind() string                 { return KindPageHinkley }
func (d *pageHinkley) MarshalJSON() ([]byte, error) { return marshalState(d.cfg, d.st) }

func (d *pageHinkley) UnmarshalJSON(data []byte) error {
	var st phState
	cfg, err := unmarshalState(data, KindPageHinkley, &st)
	if err != nil {
		return err
	}
	if st.N < 1 {
		return fmt.Errorf("%w: page_hinkley n = %d, want >= 1", ErrState, st.N)
	}
	d.cfg, d.st = cfg, st
	return nil
}

var _ Detector = (*pageHinkley)(nil)
