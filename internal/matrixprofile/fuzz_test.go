package matrixprofile

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzJoinsSmallIntegers decodes each byte as an int8 sample and checks every entry point against
// the brute-force reference; small integers give many exact ties and constant stretches.
func FuzzJoinsSmallIntegers(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(3))
	f.Add([]byte{0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 1, 2}, uint8(4))
	f.Add([]byte{200, 10, 200, 10, 200, 10, 7, 7, 7, 7, 7, 7, 7, 200, 10}, uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, mb uint8) {
		if len(data) > 80 {
			data = data[:80]
		}
		x := make([]float64, len(data))
		for i, v := range data {
			x[i] = float64(int8(v))
		}
		m := int(mb % 24)
		p, err := small.selfJoin(x, m)
		if m < MinWindow || m > len(x) {
			if err == nil {
				t.Fatalf("SelfJoin(m=%d, n=%d) accepted", m, len(x))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkProfile(t, p, x, x, m, ExclusionZone(m))
		half := len(x) / 2
		if half >= m && len(x)-half >= m {
			ab, err := small.abJoin(x[:half], x[half:], m)
			if err != nil {
				t.Fatal(err)
			}
			checkProfile(t, ab, x[:half], x[half:], m, -1)
		}
		d, err := MASS(x[len(x)-m:], x)
		if err != nil {
			t.Fatal(err)
		}
		checkDistances(t, d, bruteMASS(x[len(x)-m:], x))
	})
}

// FuzzJoinsAnyFloat decodes raw float64 bits, so inputs span every magnitude, subnormals,
// NaN and ±Inf. Only invariants are checked: no panic, errors exactly for non-finite input, and
// well-formed outputs.
func FuzzJoinsAnyFloat(f *testing.F) {
	f.Add(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(make([]byte, 40), math.Float64bits(1e300)), math.Float64bits(-1e-310)), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mb uint8) {
		x := make([]float64, min(len(data)/8, 48))
		finite := true
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			finite = finite && !math.IsNaN(x[i]) && !math.IsInf(x[i], 0)
		}
		m := int(mb % 16)
		valid := finite && len(x) > 0 && m >= MinWindow && m <= len(x)
		p, err := small.selfJoin(x, m)
		if (err == nil) != valid {
			t.Fatalf("valid input = %v but err = %v", valid, err)
		}
		if err != nil {
			return
		}
		limit := 2*math.Sqrt(float64(m)) + 1e-9
		for i, d := range p.P {
			j := p.I[i]
			switch {
			case math.IsInf(d, 1):
				if j != -1 {
					t.Fatalf("P[%d] = +Inf with I = %d", i, j)
				}
			case !(d >= 0 && d <= limit):
				t.Fatalf("P[%d] = %v outside [0, 2√m]", i, d)
			case j < 0 || j >= len(p.P) || abs(i-j) <= ExclusionZone(m):
				t.Fatalf("I[%d] = %d not admissible", i, j)
			}
		}
		d, err := MASS(x[:m], x)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range d {
			if !(v >= 0 && v <= limit) {
				t.Fatalf("MASS[%d] = %v outside [0, 2√m]", i, v)
			}
		}
	})
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
