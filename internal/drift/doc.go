// Package drift measures how far a model's current data has moved from its training data:
// the reference statistics the model card stores per feature and for the prediction,
// mergeable histograms of current windows on the reference's bins, the distances between the
// two (MLRun's TVD, Hellinger and KLD, and PSI, Jensen–Shannon, Kolmogorov–Smirnov and
// Wasserstein), and the report that aggregates them into a drift status (SPEC §3 and §7).
//
// The package is pure: no I/O, no clock, no logging. Reading Parquet, scheduling windows,
// storing reports, events and metrics belong to the callers.
//
// # Bins
//
// A Reference holds a Bins = 20 bin equal-width histogram over [min, max] of the training
// values, with numpy's edges and bin rule (Edges[i] ≤ v < Edges[i+1], the last bin closed);
// a constant feature's range is widened by 0.5 on each side, as numpy does. Building one
// takes two passes over the data, since the edges need the minimum and maximum first (see
// ReferenceBuilder).
//
// A Histogram counts current values on the reference edges padded with one bin on each side
// reaching to ∓math.MaxFloat64: Bins+2 bins, Bins+3 edges. Values below the reference minimum
// fall in bin 0, values above its maximum in bin Bins+1, and a value equal to the maximum in
// the last reference bin, as in the reference, so the training data itself has drift exactly
// 0. (MLRun, binning with numpy on the padded edges, sends the maximum to the outer bin.)
// Counts are int64 and the moments mergeable, so a window is the Merge of its batches'
// histograms, exactly, with no re-read of raw data.
//
// NaN and ±Inf are never binned or summarised: they are counted in Invalid (Summary.Invalid,
// Reference.Invalid) and reported, and do not otherwise change a result.
//
// # Measures
//
// Both sides become distributions over the Bins+2 bins by dividing by their count: t for the
// reference (its outer bins are 0) and u for the current window. Then
//
//	TVD           = Σ|t−u| / 2
//	Hellinger     = sqrt(max(1 − Σ sqrt(t·u), 0)), computed as sqrt(½ Σ (√t − √u)²)
//	KLD           = KL(t‖u) + KL(u‖t), KL(a‖b) = Σ_{a≠0} a·ln(a/b′), b′ = b or 1e-4 where b = 0
//	PSI           = Σ (u′−t′)·ln(u′/t′), an empty bin's proportion replaced by 1e-4
//	JensenShannon = sqrt(½ KL(t‖m) + ½ KL(u‖m)), m = (t+u)/2, in bits (so in [0, 1])
//	KS            = max over edges |T − U| of the cumulative t and u, p = Q_KS(sqrt(n·m/(n+m))·KS)
//	Wasserstein   = Σ_k |T_k − U_k|·(x_{k+1} − x_k) / reference std
//
// TVD, Hellinger and KLD are MLRun's (SPEC §7). KS is the binned approximation of the
// two-sample statistic (never above the exact one), with the asymptotic p-value of the
// Kolmogorov distribution for the effective sample size n·m/(n+m), n and m the reference and
// current counts. Wasserstein places a bin's mass at its centre x_k and the outer bins' at the
// reference minimum and maximum; a constant reference (std 0) divides by the width of its
// edges instead, which is 1 unless the widening doubled.
//
// # Report
//
// Analyze compares every feature, then takes tvd, hellinger and kld means and sums over the
// features that have current values; general drift = (tvd_mean + hellinger_mean) / 2 and
// GeneralStatus, MLRun's verdict, comes from Thresholds (DRIFT_DETECTED ≥ 0.7, POSSIBLE_DRIFT ≥
// 0.5, else NO_DRIFT by default). A feature's own status applies the same thresholds to its own
// (TVD + Hellinger) / 2. A feature has drifted by itself when its own status is DRIFT_DETECTED or
// its Wasserstein distance reaches Options.Wasserstein; the window's Status is GeneralStatus,
// raised to POSSIBLE_DRIFT when Options.DriftedFeatures features have (a mean over every feature
// hides one metric that moved). With importances, WeightedDrift is the importance-weighted mean
// of the features' drift.
//
// Bad input never yields NaN: a feature missing from the window or without a finite current
// value is NO_DATA (measures nil) and left out of the aggregates; a window in which every
// feature is so is a NO_DATA report. Inconsistent references or histograms, edges that differ,
// bad thresholds or importances fail with the sentinel errors of this package.
package drift
