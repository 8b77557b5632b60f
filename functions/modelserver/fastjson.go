package modelserver

import (
	"strconv"
	"unsafe"
)

// parseOIPFast decodes the common OIP request — {"id": "…", "inputs": [{"name", "shape",
// "datatype", "data": [numbers]}, …]} with plain strings and flat data — without reflection.
// It accepts only what the encoding/json path would decode to the same value and reports ok=false
// for anything else (escapes, nested data, parameters, duplicate or unknown keys, malformed
// JSON), which then takes the encoding/json path and gets its exact error. FuzzFastOIP checks
// the two paths agree.
func parseOIPFast(b []byte) (req oipBody, ok bool) {
	p := &fastParser{b: b}
	var seenID, seenInputs bool
	ok = p.object(func(key string) bool {
		switch {
		case key == "id" && !seenID:
			seenID = true
			var ok bool
			req.ID, ok = p.str()
			return ok
		case key == "inputs" && !seenInputs:
			seenInputs = true
			return p.array(func() bool {
				t, ok := p.tensor()
				req.Inputs = append(req.Inputs, t)
				return ok
			})
		}
		return false
	})
	p.ws()
	return req, ok && p.i == len(p.b) && seenInputs
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *fastParser) eat(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object parses {"key": value, …}, calling field for each key with the parser at the value.
func (p *fastParser) object(field func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.eat(':') || !field(key) {
			return false
		}
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// array parses [elem, …], calling elem with the parser at each element.
func (p *fastParser) array(elem func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// str parses a string without escapes or control characters, of printable ASCII only (so that
// encoding/json's UTF-8 handling cannot differ).
func (p *fastParser) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return "", false
		}
	}
	return "", false
}

// number parses a JSON number (strict grammar) as a float64.
func (p *fastParser) number() (float64, bool) {
	p.ws()
	start, b := p.i, p.b
	digits := func() bool {
		n := p.i
		for p.i < len(b) && b[p.i] >= '0' && b[p.i] <= '9' {
			p.i++
		}
		return p.i > n
	}
	if p.i < len(b) && b[p.i] == '-' {
		p.i++
	}
	if p.i < len(b) && b[p.i] == '0' {
		p.i++
	} else if !digits() {
		return 0, false
	}
	if p.i < len(b) && b[p.i] == '.' {
		p.i++
		if !digits() {
			return 0, false
		}
	}
	if p.i < len(b) && (b[p.i] == 'e' || b[p.i] == 'E') {
		p.i++
		if p.i < len(b) && (b[p.i] == '+' || b[p.i] == '-') {
			p.i++
		}
		if !digits() {
			return 0, false
		}
	}
	s := b[start:p.i]
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(s), len(s)), 64)
	return v, err == nil
}

// integer parses a JSON number that encoding/json would decode into an int.
func (p *fastParser) integer() (int, bool) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	s := p.b[start:p.i]
	if len(s) == 0 || s[0] == '0' && len(s) > 1 || len(s) > 1 && s[0] == '-' && s[1] == '0' {
		return 0, false
	}
	v, err := strconv.Atoi(unsafe.String(unsafe.SliceData(s), len(s)))
	return v, err == nil
}

// tensor parses one input tensor with flat numeric data, decoded into values (Data stays nil: it
// would alias the pooled request buffer).
func (p *fastParser) tensor() (t tensor, ok bool) {
	var seen [4]bool
	ok = p.object(func(key string) bool {
		var ok bool
		switch key {
		case "name":
			if seen[0] {
				return false
			}
			seen[0] = true
			t.Name, ok = p.str()
		case "datatype":
			if seen[1] {
				return false
			}
			seen[1] = true
			t.Datatype, ok = p.str()
		case "shape":
			if seen[2] {
				return false
			}
			seen[2] = true
			t.Shape = []int{}
			ok = p.array(func() bool {
				v, ok := p.integer()
				t.Shape = append(t.Shape, v)
				return ok
			})
		case "data":
			if seen[3] {
				return false
			}
			seen[3] = true
			t.values = []float64{}
			ok = p.array(func() bool {
				v, ok := p.number()
				t.values = append(t.values, v)
				return ok
			})
		}
		return ok
	})
	return t, ok && seen[3]
}
