// Package describe is the exploratory data analysis step of the training workflow (SPEC §3):
// per-feature summary statistics, the class balance, the correlation matrix and histograms
// of a training set, as a JSON-ready Description, and their SVG plots.
//
// # Definitions
//
// The statistics are those of pandas' DataFrame.describe, with missing values (NaN, and also
// ±Inf, which no statistic can hold) counted apart and left out of everything else:
//
//	count     the number of finite values; missing the number of the others
//	mean      the arithmetic mean
//	std       the sample standard deviation (n − 1); 0 for a single value
//	quartiles 25%, 50% and 75% by linear interpolation between order statistics, pandas'
//	          and numpy's default: the q-quantile of sorted x₀ … xₙ₋₁ is xₖ + f·(xₖ₊₁ − xₖ)
//	          with k + f = (n − 1)·q
//	min, max  the extremes
//
// A feature without a single finite value has count 0 and every statistic 0 (pandas would
// print NaN, which JSON cannot hold); its histogram is nil, as it is for a feature with values
// beyond about ±1e154, whose moments internal/drift cannot hold.
//
// Histograms have 20 equal-width bins over [min, max], exactly the reference histograms of
// the model card (internal/drift's NewReference, numpy's edges and bin rule), so what the EDA
// shows is what drift is later measured against.
//
// The correlation matrix is Pearson's over pairwise-complete rows (the rows where both
// features are finite), as pandas' DataFrame.corr. A pair with fewer than two such rows, or
// in which either feature is constant over them, has correlation 0 rather than NaN: a
// constant feature carries no linear information. The diagonal is 1 for every feature,
// constant ones included, and the matrix is symmetric.
//
// The package is pure computation and drawing: no I/O, no logging.
package describe
