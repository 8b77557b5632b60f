//go:build amd64 && !purego

package matrixprofile

// haveAVX2 reports whether the CPU and the operating system support AVX2.
var haveAVX2 = detectAVX2()

// useAVX2 selects the AVX2 row kernel; tests turn it off to check the Go kernels.
var useAVX2 = haveAVX2

func detectAVX2() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state enabled by the OS
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

// sweepRowAVX2 is sweepOneGo for n cells (n a multiple of 4) on pointers to the first elements,
// four diagonals per step; it rounds exactly like sweepOneGo and returns the row's best
// correlation.
//
//go:noescape
func sweepRowAVX2(c, dfY, dgY, invY, colRho *float64, colIdx *int, n int, df, dg, inv float64, i int) float64

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)
