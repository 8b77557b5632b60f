package modelserver

import (
	"math"
	"strconv"
)

// appendOIP appends the OIP inference response of a scored call, byte for byte what
// encoding/json writes for {"model_name", "model_version", "id", "outputs": [probability, label]}
// but without reflection: it is the hot path of single-row inference.
func appendOIP(b []byte, c *call) []byte {
	b = append(b, `{"model_name":`...)
	b = strconv.AppendQuote(b, c.l.name)
	b = append(b, `,"model_version":`...)
	b = strconv.AppendQuote(b, c.l.label)
	b = append(b, `,"id":`...)
	b = appendString(b, c.id)
	b = append(b, `,"outputs":[{"name":"probability","shape":[`...)
	b = strconv.AppendInt(b, int64(len(c.p)), 10)
	b = append(b, `],"datatype":"FP64","data":[`...)
	for i, p := range c.p {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, p)
	}
	b = append(b, `]},{"name":"label","shape":[`...)
	b = strconv.AppendInt(b, int64(len(c.labels)), 10)
	b = append(b, `],"datatype":"BOOL","data":[`...)
	for i, l := range c.labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendBool(b, l)
	}
	return append(b, "]}]}"...)
}

// appendFloat formats like encoding/json: shortest representation, exponent form outside
// [1e-6, 1e21) with a one-digit negative exponent written without its leading zero.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString quotes s as JSON: the request id is the only string here that comes from outside,
// and plain ASCII ids (the norm) take the fast path.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendJSON(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
