//go:build chaos

package chaos

import (
	"runtime"
	"testing"

	"github.com/netopsfn/netops/internal/tables"
)

// TestParquetFooterLengthIsBounded shows what FuzzDecode (internal/tables) found: the footer
// length in the last 8 bytes of a Parquet object is trusted before it is checked against the
// object's size, so a 12-byte object makes the reader allocate up to 4 GiB (parquet-go OpenFile
// allocates the footer buffer first). Any object a function reads is outside input; one such
// object kills a function process with "fatal error: out of memory" (which recover cannot
// catch) on every redelivery. This object claims a 256 MiB footer, to show the effect cheaply.
func TestParquetFooterLengthIsBounded(t *testing.T) {
	obj := []byte("PAR1\x00\x00\x00\x10PAR1") // footer length 0x10000000 = 256 MiB in a 12-byte object
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := tables.Decode[tables.Telemetry](obj)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("decode of a %d-byte object: allocated %d MiB, err = %v", len(obj), allocated>>20, err)
	if err == nil {
		t.Fatal("a 12-byte object decoded without error")
	}
	if allocated > 16<<20 {
		t.Errorf("BUG: decoding a %d-byte Parquet object allocated %d MiB: the footer length is not checked against the object size before allocating (a length of 0xffffffff allocates 4 GiB)", len(obj), allocated>>20)
	}
}
