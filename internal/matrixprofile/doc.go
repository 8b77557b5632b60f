// Package matrixprofile finds repeated patterns (motifs) and anomalies (discords) in a numeric time
// series by comparing every subsequence of a fixed length with every other one.
//
// All comparisons use the z-normalised Euclidean distance: each subsequence is shifted to mean 0 and
// scaled to standard deviation 1 before the distance is taken, so shapes match regardless of offset
// and amplitude. [MASS] gives the distance from one query to every subsequence of a series in
// O(n log n); [SelfJoin] and [ABJoin] give the matrix profile (each subsequence's distance to its
// nearest neighbour, and where that neighbour is) in O(n²) time and O(n) memory using the MPX
// algorithm; [Profile.Motifs] and [Profile.Discords] read the best and worst matches off a profile.
//
// Constant subsequences (all values equal) have no shape; following Stumpy, two constant
// subsequences are at distance 0 and a constant and a non-constant one are at distance sqrt(m).
// Outputs never contain NaN: a subsequence without any admissible neighbour has distance +Inf and
// index -1.
//
// Results match a brute-force evaluation of the definition to about 1e-9 (relative, or absolute
// below 1), also for series on large offsets, with spikes, or mixing very different scales; see
// stats.go and drift.go for how rounding is kept in check. Every function is safe for concurrent
// use and spreads its work over GOMAXPROCS goroutines; results are bit-for-bit the same for any
// GOMAXPROCS. On amd64 CPUs with AVX2 the join sweep runs an assembly kernel (kernel_amd64.s)
// whose cells round exactly like those of the Go kernels (build with -tags purego to use Go
// only); the two can differ at most in which of two near-tied neighbours I names.
//
// The package is pure computation over []float64: it does not read or write tables, choose the
// subsequence length, resample or fill gaps (non-finite values are rejected, not skipped), and it
// does not stream (every call sees the whole series).
package matrixprofile
