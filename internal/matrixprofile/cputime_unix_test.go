//go:build unix

package matrixprofile

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, which on a shared machine measures the work
// of a benchmark better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
