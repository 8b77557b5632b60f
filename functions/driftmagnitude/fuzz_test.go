package driftmagnitude

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/fault"
)

// FuzzScan: any bytes given as a labeled batch or a current file either scan or fail with a
// permanent error; never a panic.
func FuzzScan(f *testing.F) {
	rows := newGen(1, nil).rows("netops", 1, 50, t0, time.Minute)
	seed := parquetOf(f, rows)
	data := make([]byte, seed.Size())
	if _, err := seed.ReadAt(data, 0); err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("PAR1PAR1"))
	card := testCard(f, "netops", 500, false)
	base, _ := CardBaseline(card)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if _, err := PartialOf([]io.ReaderAt{r}, []int64{r.Size()}, base, 16); err != nil && !fault.IsPermanent(err) {
			t.Fatalf("PartialOf: %v is not permanent", err)
		}
		pf, err := openParquet(r, r.Size())
		if err != nil {
			return
		}
		g := newGrouper(pf, 10*time.Minute, func(string, int) (*drift.Baseline, error) { return &base, nil })
		if err := scan(pf, g.cols, 16, g.chunk); err != nil && !fault.IsPermanent(err) {
			t.Fatalf("scan: %v is not permanent", err)
		}
	})
}
