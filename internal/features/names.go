package features

import (
	"strconv"

	"github.com/netopsfn/netops/internal/tables"
)

// NumFeatures is the length of a feature vector.
const NumFeatures = 45

// Positions of the feature groups in the vector; see the package doc for the order.
const (
	numMetrics = len(tables.Metrics)
	numOps     = 3 // avg, min, max
	numWindows = 2 // 1h, 6h
	numModels  = 10
	numCountry = 7

	windowStart  = numMetrics
	modelsStart  = windowStart + numMetrics*numOps*numWindows
	countryStart = modelsStart + numModels
)

// opNames and windowNames spell the window features' name parts, in vector order.
var (
	opNames     = [numOps]string{"avg", "min", "max"}
	windowNames = [numWindows]string{"1h", "6h"}
	// windowBuckets is each window's length in buckets of Period.
	windowBuckets = [numWindows]int64{6, 36}
)

// countries are the known values of the country attribute, in vector order.
const countries = "ABCDEFG"

var names = buildNames()

func buildNames() [NumFeatures]string {
	var n [NumFeatures]string
	i := 0
	for _, m := range tables.Metrics {
		n[i] = m
		i++
	}
	for _, m := range tables.Metrics {
		for _, op := range opNames {
			for _, w := range windowNames {
				n[i] = m + "_" + op + "_" + w
				i++
			}
		}
	}
	for k := range numModels {
		n[i] = "models_" + strconv.Itoa(k)
		i++
	}
	for _, c := range countries {
		n[i] = "country_" + string(c)
		i++
	}
	return n
}

// Names returns the names of the NumFeatures features in vector order (a fresh slice).
func Names() []string {
	n := names
	return n[:]
}

// windowIndex returns the vector position of metric m's op over window w.
func windowIndex(m, op, w int) int {
	return windowStart + (m*numOps+op)*numWindows + w
}

// Static is a device's static attributes encoded for the one-hot features. The zero Static is a
// device without known attributes and encodes as all zeros.
type Static struct {
	// model and country are the one-hot positions plus one; 0 means unknown.
	model, country uint8
}

// EncodeStatic encodes a device's static attributes: models 0–9 and country "A"–"G" are known,
// any other value encodes as all zeros in its group.
func EncodeStatic(d tables.Device) Static {
	var s Static
	if d.Models >= 0 && d.Models < numModels {
		s.model = uint8(d.Models) + 1
	}
	if len(d.Country) == 1 {
		for k := range len(countries) {
			if d.Country[0] == countries[k] {
				s.country = uint8(k) + 1
			}
		}
	}
	return s
}

// put writes the one-hot features of s into v.
func (s Static) put(v *[NumFeatures]float64) {
	for k := modelsStart; k < NumFeatures; k++ {
		v[k] = 0
	}
	if s.model != 0 {
		v[modelsStart+int(s.model)-1] = 1
	}
	if s.country != 0 {
		v[countryStart+int(s.country)-1] = 1
	}
}

// Statics maps device ids to their encoded static attributes. A device missing from it encodes
// as all zeros, like an unknown value.
type Statics map[string]Static

// NewStatics encodes the static attributes of a fleet. When a device appears more than once, the
// last entry wins.
func NewStatics(devices []tables.Device) Statics {
	s := make(Statics, len(devices))
	for _, d := range devices {
		s[d.Device] = EncodeStatic(d)
	}
	return s
}
