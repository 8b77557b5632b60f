// Package data reads and writes the files the scikit-learn comparison passes between Go and
// Python: a split is either <name>.csv (a header of feature names then is_error, one row per
// line) or, for large synthetic sets, <name>.f64 (row-major little-endian float64) with
// <name>.y (one byte 0 or 1 per row) and the feature count in features.txt (one name a line).
package data

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/netopsfn/netops/internal/models"
)

// Load reads split name ("train", "valid", "test") from dir, in whichever format is there.
func Load(dir, name string) (models.Dataset, error) {
	csvPath := filepath.Join(dir, name+".csv")
	if _, err := os.Stat(csvPath); err == nil {
		return loadCSV(csvPath)
	}
	return loadBinary(dir, name)
}

// loadCSV reads a CSV split.
func loadCSV(path string) (models.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return models.Dataset{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	if !sc.Scan() {
		return models.Dataset{}, fmt.Errorf("%s: no header", path)
	}
	head := strings.Split(sc.Text(), ",")
	if len(head) < 2 || head[len(head)-1] != "is_error" {
		return models.Dataset{}, fmt.Errorf("%s: header must end with is_error", path)
	}
	d := len(head) - 1
	ds := models.Dataset{Features: head[:d]}
	for line := 2; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != d+1 {
			return models.Dataset{}, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), d+1)
		}
		for _, s := range fields[:d] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return models.Dataset{}, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			ds.X = append(ds.X, v)
		}
		ds.Y = append(ds.Y, fields[d] == "1")
	}
	return ds, sc.Err()
}

// loadBinary reads a binary split.
func loadBinary(dir, name string) (models.Dataset, error) {
	names, err := os.ReadFile(filepath.Join(dir, "features.txt"))
	if err != nil {
		return models.Dataset{}, err
	}
	feats := strings.Fields(string(names))
	raw, err := os.ReadFile(filepath.Join(dir, name+".f64"))
	if err != nil {
		return models.Dataset{}, err
	}
	y, err := os.ReadFile(filepath.Join(dir, name+".y"))
	if err != nil {
		return models.Dataset{}, err
	}
	if len(raw) != 8*len(y)*len(feats) {
		return models.Dataset{}, fmt.Errorf("%s: %d bytes for %d rows × %d features", name, len(raw), len(y), len(feats))
	}
	ds := models.Dataset{Features: feats, X: make([]float64, len(raw)/8), Y: make([]bool, len(y))}
	for i := range ds.X {
		ds.X[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	for i, b := range y {
		ds.Y[i] = b == 1
	}
	return ds, nil
}

// WriteBinary writes ds as split name in the binary format, and features.txt.
func WriteBinary(dir, name string, ds models.Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "features.txt"), []byte(strings.Join(ds.Features, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, name+".f64"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var b [8]byte
	for _, v := range ds.X {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		w.Write(b[:])
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return err
	}
	y := make([]byte, len(ds.Y))
	for i, v := range ds.Y {
		if v {
			y[i] = 1
		}
	}
	return os.WriteFile(filepath.Join(dir, name+".y"), y, 0o644)
}

// WriteScores writes one score per line with full precision.
func WriteScores(path string, scores []float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := writeScores(w, scores); err != nil {
		f.Close()
		return err
	}
	return errors.Join(w.Flush(), f.Close())
}

// writeScores writes scores, one a line.
func writeScores(w io.Writer, scores []float64) error {
	buf := make([]byte, 0, 32)
	for _, s := range scores {
		buf = strconv.AppendFloat(buf[:0], s, 'g', -1, 64)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
