package detect

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readStream reads a test vector: one number per line.
func readStream(t testing.TB, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var xs []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		x, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		xs = append(xs, x)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return xs
}

// vectors are scikit-multiflow 0.4.1's detections on the streams in testdata (see its README).
var vectors = []struct {
	file    string
	cfg     Config
	changes []int
}{
	{"skm_drift_stream.txt", Config{Kind: KindPageHinkley}, []int{1013, 1335, 1505, 1758}},
	{"skm_drift_stream.txt", Config{Kind: KindADWIN, Delta: 0.002}, []int{1023, 1055, 1087, 1151}},
	{"skm_seed1_stream_A.txt", Config{Kind: KindDDM}, []int{103, 1060}},
	{"skm_seed1_stream_A.txt", Config{Kind: KindEDDM}, []int{64, 1135}},
	{"skm_seed1_stream_A.txt", Config{Kind: KindPageHinkley}, []int{1099}},
	{"skm_seed1_stream_A.txt", Config{Kind: KindHDDMA}, []int{1052}},
	{"skm_seed1_stream_A.txt", Config{Kind: KindHDDMW}, []int{1018}},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.cfg.Kind+"/"+v.file, func(t *testing.T) {
			d, err := New(v.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, changes, err := Run(d, readStream(t, v.file))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(changes, v.changes) {
				t.Errorf("changes = %v, want %v", changes, v.changes)
			}
		})
	}
}
