package modelserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// newID returns a request id for a request that did not bring one (a random UUID-shaped string;
// not a secret, so math/rand suffices).
func newID() string {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(hi>>(8*i)), byte(lo>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// describeJSONError makes a decoding error say what was wrong in the terms of the request: a
// NaN or Infinity token (Python's json.dumps writes them) is a non-finite value, not a typo.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) && (strings.Contains(err.Error(), "character 'N'") || strings.Contains(err.Error(), "character 'I'")) {
		return fmt.Errorf("%w at byte %d: NaN and Infinity are not JSON numbers, every value must be finite", err, syn.Offset)
	}
	return err
}

// finiteJSON checks that a JSON value holds no null outside strings: encoding/json would decode
// a null element of a number list as 0, silently turning a missing value into a feature value.
// (NaN and Infinity cannot get through: they are not JSON.)
func finiteJSON(raw []byte) error {
	in := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && c == 'n':
			return errors.New("null value: every feature value must be a finite number")
		}
	}
	return nil
}

// firstDevice returns the device id of the first MLRun V2 row that is one (["<id>"]), or "".
func firstDevice(inputs []json.RawMessage) string {
	for _, in := range inputs {
		var ids []string
		if json.Unmarshal(in, &ids) == nil && len(ids) == 1 {
			return ids[0]
		}
	}
	return ""
}

// appendJSON appends s as encoding/json quotes it (HTML-safe escaping included).
func appendJSON(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
