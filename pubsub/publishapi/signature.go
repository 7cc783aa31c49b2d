package publishapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the request header that carries the signature.
const SignatureHeader = "X-Signature"

// DefaultTolerance is how far the timestamp of a signature may be from the
// server's clock, either way, by default.
const DefaultTolerance = 5 * time.Minute

// Bounds of the signature header, so that a hostile one costs little.
const (
	maxSignatureHeader = 1024 // bytes
	maxSignatureItems  = 16   // comma-separated elements, known or not
	maxSignatures      = 8    // v1 values
	maxTimestampDigits = 18   // fits an int64 whatever the digits
)

// Errors of the signature check. The 401 answer says which one, never
// what the expected signature is.
var (
	// ErrNoSignature is a request without the X-Signature header.
	ErrNoSignature = errors.New("publishapi: no " + SignatureHeader + " header")
	// ErrMalformedSignature is an X-Signature header that is not
	// "t=<unix seconds>,v1=<64 hex digits>[,v1=...]".
	ErrMalformedSignature = errors.New("publishapi: malformed " + SignatureHeader + " header")
	// ErrStaleSignature is a signature whose timestamp is further from the
	// server's clock than the tolerance (a clock off, or a request
	// replayed later).
	ErrStaleSignature = errors.New("publishapi: signature timestamp outside the tolerance")
	// ErrBadSignature is a signature that does not match the body with any
	// of the secrets.
	ErrBadSignature = errors.New("publishapi: signature does not match")
)

// Sign returns the X-Signature header value for body sent at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of secret over t.body>", where the
// signed text is the decimal timestamp, a '.', then the body's bytes
// exactly as sent. For Go backends and tests; other languages compute the
// same (see the package documentation for a shell version).
func Sign(secret []byte, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := computeMAC(secret, ts, body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac[:])
}

// computeMAC is HMAC-SHA256(secret, ts + "." + body).
func computeMAC(secret []byte, ts string, body []byte) [sha256.Size]byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// signature is a parsed X-Signature header.
type signature struct {
	unix int64               // the timestamp
	ts   string              // the timestamp as sent: what was signed
	v1   [][sha256.Size]byte // the signatures, at least one
}

// parseSignature parses "t=<unix seconds>,v1=<hex>[,v1=<hex>...]".
// Elements are separated by commas, with optional spaces or tabs around
// them; t appears exactly once, v1 at least once (several for a secret
// being rotated), and elements with other keys (a later scheme) are
// ignored. Every error wraps ErrMalformedSignature and says what is wrong.
func parseSignature(header string) (signature, error) {
	var sig signature
	bad := func(format string, args ...any) (signature, error) {
		return signature{}, fmt.Errorf("%w: %s", ErrMalformedSignature, fmt.Sprintf(format, args...))
	}
	if len(header) > maxSignatureHeader {
		return bad("longer than %d bytes", maxSignatureHeader)
	}
	if strings.Count(header, ",") >= maxSignatureItems {
		return bad("more than %d elements", maxSignatureItems)
	}
	haveT := false
	for item := range strings.SplitSeq(header, ",") {
		item = strings.Trim(item, " \t")
		key, value, ok := strings.Cut(item, "=")
		switch {
		case item == "":
			return bad("an empty element (want t=<unix seconds>,v1=<hex>)")
		case !ok:
			return bad("element %q is not key=value", truncate(item))
		case key == "t":
			if haveT {
				return bad("t appears more than once")
			}
			if value == "" || len(value) > maxTimestampDigits || strings.Trim(value, "0123456789") != "" {
				return bad("t=%q is not a Unix time in seconds", truncate(value))
			}
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil { // cannot happen: at most 18 digits
				return bad("t=%q: %v", truncate(value), err)
			}
			sig.unix, sig.ts, haveT = n, value, true
		case key == "v1":
			if len(sig.v1) == maxSignatures {
				return bad("more than %d v1 signatures", maxSignatures)
			}
			var mac [sha256.Size]byte
			if len(value) != 2*sha256.Size {
				return bad("v1 has %d characters, want %d hex digits", len(value), 2*sha256.Size)
			}
			if _, err := hex.Decode(mac[:], []byte(value)); err != nil {
				return bad("v1 is not hexadecimal")
			}
			sig.v1 = append(sig.v1, mac)
		}
	}
	if !haveT {
		return bad("no t=<unix seconds>")
	}
	if len(sig.v1) == 0 {
		return bad("no v1=<hex HMAC-SHA256>")
	}
	return sig, nil
}

// truncate shortens what an error message quotes of the header.
func truncate(s string) string {
	const n = 32
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// verifySignature checks header against body: well formed, within
// tolerance of now, and matching one of the secrets. The comparison takes
// the same time wherever the signatures differ.
func verifySignature(header string, body []byte, secrets [][]byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrNoSignature
	}
	sig, err := parseSignature(header)
	if err != nil {
		return err
	}
	// At most 18 digits: the difference cannot overflow.
	if skew := now.Unix() - sig.unix; skew > int64(tolerance/time.Second) || -skew > int64(tolerance/time.Second) {
		return fmt.Errorf("%w: t=%s is %s from the server's clock, the tolerance is %s (check the clocks; sign each request when it is sent)",
			ErrStaleSignature, sig.ts, skewText(sig.unix, now), tolerance)
	}
	for _, secret := range secrets {
		want := computeMAC(secret, sig.ts, body)
		for i := range sig.v1 {
			if hmac.Equal(want[:], sig.v1[i][:]) {
				return nil
			}
		}
	}
	return ErrBadSignature
}

// skewText says how far the timestamp is from now, for the 401's message.
func skewText(unix int64, now time.Time) string {
	d := now.Unix() - unix
	switch {
	case d > 100*365*24*3600 || d < -100*365*24*3600:
		return "more than 100 years"
	case d >= 0:
		return (time.Duration(d) * time.Second).String() + " behind"
	default:
		return (time.Duration(-d) * time.Second).String() + " ahead"
	}
}
