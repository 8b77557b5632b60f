package drift

import "math"

// Summary is the running count, mean, spread, minimum and maximum of a stream of values. It
// is mergeable: the Summary of a window is the Merge of the Summaries of its batches, in any
// order, without the raw values.
//
// Add uses Welford's update and Merge Chan et al.'s pairwise combination, so the mean and the
// sum of squared deviations never come from subtracting large sums. Std is then as accurate
// as a two-pass computation to about 1e-13 relative while |mean|/std stays below ~1e4 (1e-12
// at 1e6); data with a smaller coefficient of variation loses digits in proportion. NaN and
// ±Inf are not values: Add counts them in Invalid and leaves everything else unchanged.
// Deviations must stay below about 1e154 in magnitude for M2 to stay finite.
//
// The zero Summary is empty and ready to use; an empty Summary has Mean, Min and Max 0.
type Summary struct {
	// Count is the number of finite values seen.
	Count int64 `json:"count"`
	// Mean is their arithmetic mean.
	Mean float64 `json:"mean"`
	// M2 is the sum of their squared deviations from Mean.
	M2 float64 `json:"m2"`
	// Min and Max are the smallest and largest finite values.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Invalid counts the NaN and ±Inf values that were passed to Add and left out.
	Invalid int64 `json:"invalid,omitempty"`
}

// Add adds one value.
func (s *Summary) Add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s.Invalid++
		return
	}
	s.add(v)
}

// add is Add for a value known to be finite.
func (s *Summary) add(v float64) {
	if s.Count == 0 {
		s.Count, s.Mean, s.M2, s.Min, s.Max = 1, v, 0, v, v
		return
	}
	s.Count++
	// Multiplying by the reciprocal keeps the division off the chain of dependent updates of
	// Mean, which is what bounds Add's speed; it costs at most an ulp per update.
	inv := 1 / float64(s.Count)
	d := v - s.Mean
	s.Mean += d * inv
	s.M2 += d * (v - s.Mean)
	if v < s.Min {
		s.Min = v
	}
	if v > s.Max {
		s.Max = v
	}
}

// Merge adds the values summarised by o, as if they had been passed to Add.
func (s *Summary) Merge(o Summary) {
	invalid := s.Invalid + o.Invalid
	switch {
	case o.Count == 0:
	case s.Count == 0:
		*s = o
	default:
		na, nb := float64(s.Count), float64(o.Count)
		n := na + nb
		d := o.Mean - s.Mean
		s.Mean += d * (nb / n)
		s.M2 += o.M2 + d*d*(na*nb/n)
		s.Count += o.Count
		s.Min = math.Min(s.Min, o.Min)
		s.Max = math.Max(s.Max, o.Max)
	}
	s.Invalid = invalid
}

// Variance is the sample variance, M2 / (Count − 1), as pandas' describe reports it; it is 0
// for fewer than two values.
func (s Summary) Variance() float64 {
	if s.Count < 2 {
		return 0
	}
	return s.M2 / float64(s.Count-1)
}

// Std is the sample standard deviation, the square root of Variance.
func (s Summary) Std() float64 { return math.Sqrt(s.Variance()) }

// valid reports whether the fields can describe a real stream of values.
func (s Summary) valid() bool {
	for _, f := range []float64{s.Mean, s.M2, s.Min, s.Max} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	if s.Count < 0 || s.Invalid < 0 || s.M2 < 0 {
		return false
	}
	if s.Count == 0 {
		return s.Mean == 0 && s.M2 == 0 && s.Min == 0 && s.Max == 0
	}
	return s.Min <= s.Max
}
