//go:build !amd64 || purego

package matrixprofile

// haveAVX2 is false: the AVX2 row kernel exists only on amd64.
const haveAVX2 = false

// useAVX2 stays false here; it is a variable so that tests compile on every platform.
var useAVX2 = false

func sweepRowAVX2(c, dfY, dgY, invY, colRho *float64, colIdx *int, n int, df, dg, inv float64, i int) float64 {
	panic("matrixprofile: AVX2 kernel called without AVX2")
}
