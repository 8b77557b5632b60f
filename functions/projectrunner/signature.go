package projectrunner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhook authentication headers. The signature is HMAC-SHA256, keyed with the webhook secret,
// over the timestamp, a dot and the raw body ("<unix seconds>.<body>"), sent as sha256=<hex> as
// GitHub sends X-Hub-Signature-256. Binding the timestamp into the signature is what makes the
// replay window mean something: a signature over the body alone could be replayed forever with a
// fresh timestamp header.
const (
	SignatureHeader = "X-Netops-Signature"
	TimestampHeader = "X-Netops-Timestamp"
)

// Sign returns the X-Netops-Signature value for a body sent at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// errUnauthorized is the class of every authentication failure; the message says which check
// failed but never echoes the secret or the expected signature.
var errUnauthorized = errors.New("unauthorized")

// verifier checks webhook signatures and remembers the ones it accepted for the replay window, so
// the very same request cannot be played twice either.
type verifier struct {
	secret []byte
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // signature → when it stops mattering
}

func newVerifier(secret []byte, window time.Duration) *verifier {
	return &verifier{secret: secret, window: window, now: time.Now, seen: map[string]time.Time{}}
}

func (v *verifier) verify(sigHeader, tsHeader string, body []byte) error {
	if len(v.secret) == 0 {
		return fmt.Errorf("%w: no webhook secret is configured (set NETOPS_WEBHOOK_SECRET or NETOPS_WEBHOOK_SECRET_FILE)", errUnauthorized)
	}
	if sigHeader == "" {
		return fmt.Errorf("%w: missing %s header", errUnauthorized, SignatureHeader)
	}
	if tsHeader == "" {
		return fmt.Errorf("%w: missing %s header", errUnauthorized, TimestampHeader)
	}
	secs, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not unix seconds", errUnauthorized, TimestampHeader)
	}
	now := v.now()
	ts := time.Unix(secs, 0)
	if d := now.Sub(ts); d > v.window || d < -v.window {
		return fmt.Errorf("%w: timestamp %s is outside the %s replay window", errUnauthorized, ts.UTC().Format(time.RFC3339), v.window)
	}
	hexSig, ok := strings.CutPrefix(sigHeader, "sha256=")
	if !ok {
		return fmt.Errorf("%w: %s must be sha256=<hex>", errUnauthorized, SignatureHeader)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", errUnauthorized, SignatureHeader)
	}
	if !hmac.Equal(got, mac(v.secret, tsHeader, body)) {
		return fmt.Errorf("%w: signature does not match", errUnauthorized)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for s, until := range v.seen {
		if now.After(until) {
			delete(v.seen, s)
		}
	}
	if _, dup := v.seen[hexSig]; dup {
		return fmt.Errorf("%w: replayed request (this signature was already used)", errUnauthorized)
	}
	v.seen[hexSig] = ts.Add(v.window)
	return nil
}
