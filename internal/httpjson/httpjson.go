// Package httpjson writes JSON responses and JSON errors ({"error": "..."}, the Open Inference
// Protocol's shape) the same way across every HTTP API of the project.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Write sends v as JSON with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Error sends {"error": msg} with the given status.
func Error(w http.ResponseWriter, status int, format string, args ...any) {
	Write(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// Decode reads a JSON request body of at most limit bytes into v, rejecting unknown fields when
// strict is set. The error says what is wrong and the status to answer with.
func Decode(r *http.Request, limit int64, strict bool, v any) (int, error) {
	body := http.MaxBytesReader(nil, r.Body, limit)
	dec := json.NewDecoder(body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", limit)
		case errors.Is(err, io.EOF):
			return http.StatusBadRequest, errors.New("empty request body, want JSON")
		default:
			return http.StatusBadRequest, fmt.Errorf("invalid JSON body: %w", err)
		}
	}
	if dec.More() {
		return http.StatusBadRequest, errors.New("invalid JSON body: more than one JSON value")
	}
	return 0, nil
}
