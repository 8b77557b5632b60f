package detect

import "math"

// hddmW is HDDM-W (Frías-Blanco et al. 2014): like HDDM-A but on exponentially weighted moving
// averages with McDiarmid bounds, so recent observations weigh more. It starts over on the
// observation that detects the change.
//
// scikit-multiflow 0.4.1 starts the decrease cut point at +Inf instead of -Inf, so its
// two-sided test never fires; this port keeps that behaviour to reproduce its detections, which
// makes OneSided a no-op for HDDM-W.
type hddmW struct {
	cfg Config
	st  hddmWState
}

// ewma is an exponentially weighted moving average and the sum of its squared weights
// (scikit-multiflow's SampleInfo); a negative Mean means no value yet.
type ewma struct {
	Mean   jsonFloat `json:"mean"`
	Weight jsonFloat `json:"weight"` // independent_bounded_condition_sum
}

var emptyEWMA = ewma{Mean: -1}

// add folds x into e with weight lambda.
func (e *ewma) add(x, lambda float64) {
	if e.Mean < 0 {
		e.Mean, e.Weight = jsonFloat(x), 1
		return
	}
	decay := 1.0 - lambda
	// float64 conversions: no fused multiply-add, so results match scikit-multiflow bit for bit.
	e.Mean = jsonFloat(float64(lambda*x) + float64(decay*float64(e.Mean)))
	e.Weight = jsonFloat(float64(lambda*lambda) + float64(decay*decay*float64(e.Weight)))
}

// bound is the McDiarmid bound of e at the given confidence.
func (e ewma) bound(confidence float64) float64 {
	return math.Sqrt(float64(e.Weight) * math.Log(1.0/confidence) / 2)
}

// hddmWState is HDDM-W's statistics: the average of everything, and for each direction the
// average up to the best cut point (1) and since it (2).
type hddmWState struct {
	Total    ewma      `json:"total"`
	Incr1    ewma      `json:"incr1"`
	Incr2    ewma      `json:"incr2"`
	Decr1    ewma      `json:"decr1"`
	Decr2    ewma      `json:"decr2"`
	IncrCut  jsonFloat `json:"incr_cut"`
	DecrCut  jsonFloat `json:"decr_cut"`
	Estimate jsonFloat `json:"estimation"`
	Warning  bool      `json:"warning"`
	Change   bool      `json:"change"`
}

func newHDDMW(c Config) *hddmW {
	d := &hddmW{cfg: c}
	d.reset()
	return d
}

func (d *hddmW) reset() {
	inf := jsonFloat(math.Inf(1))
	d.st = hddmWState{Total: emptyEWMA, Incr1: emptyEWMA, Incr2: emptyEWMA, Decr1: emptyEWMA, Decr2: emptyEWMA,
		IncrCut: inf, DecrCut: inf}
}

func (d *hddmW) Add(x float64) error {
	if err := checkUnit(KindHDDMW, x); err != nil {
		return err
	}
	st, lambda := &d.st, d.cfg.Lambda
	st.Total.add(x, lambda)

	if b := st.Total.bound(d.cfg.DriftConfidence); float64(st.Total.Mean)+b < float64(st.IncrCut) {
		st.IncrCut = st.Total.Mean + jsonFloat(b)
		st.Incr1, st.Incr2 = st.Total, emptyEWMA
	} else {
		st.Incr2.add(x, lambda)
	}
	st.Warning, st.Change = false, false
	switch {
	case increased(st.Incr1, st.Incr2, d.cfg.DriftConfidence):
		d.reset()
		st.Change = true
		return nil
	case increased(st.Incr1, st.Incr2, d.cfg.WarningConfidence):
		st.Warning = true
	}

	if b := st.Total.bound(d.cfg.DriftConfidence); float64(st.Total.Mean)-b > float64(st.DecrCut) {
		st.DecrCut = st.Total.Mean - jsonFloat(b)
		st.Decr1, st.Decr2 = st.Total, emptyEWMA
	} else {
		st.Decr2.add(x, lambda)
	}
	if !d.cfg.OneSided && increased(st.Decr2, st.Decr1, d.cfg.DriftConfidence) {
		d.reset()
	}
	st.Estimate = st.Total.Mean
	return nil
}

// increased reports whether the average after rose above the average before by more than
// their combined bound at the given confidence.
func increased(before, after ewma, confidence float64) bool {
	if before.Mean < 0 || after.Mean < 0 {
		return false
	}
	sum := float64(before.Weight + after.Weight)
	return float64(after.Mean-before.Mean) > math.Sqrt(sum*math.Log(1/confidence)/2)
}

func (d *hddmW) Warning() bool                { return d.st.Warning }
func (d *hddmW) Change() bool                 { return d.st.Change }
func (d *hddmW) Estimation() float64          { return float64(d.st.Estimate) }
func (d *hddmW) Kind() string                 { return KindHDDMW }
func (d *hddmW) MarshalJSON() ([]byte, error) { return marshalState(d.cfg, d.st) }

func (d *hddmW) UnmarshalJSON(data []byte) error {
	var st hddmWState
	cfg, err := unmarshalState(data, KindHDDMW, &st)
	if err != nil {
		return err
	}
	d.cfg, d.st = cfg, st
	return nil
}

var _ Detector = (*hddmW)(nil)
