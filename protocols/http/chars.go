package http

import "errors"

// Character classes of RFC 9110, RFC 9112 and RFC 3986, one bit each in
// charClass.
const (
	cToken   = 1 << iota // tchar
	cValue               // field-vchar, SP or HTAB: what a field value may hold
	cTarget              // a byte accepted in a request-target
	cRegName             // unreserved / sub-delims (a reg-name, without pct-encoded)
	cHex                 // HEXDIG
	cCookie              // cookie-octet (RFC 6265)
	cQdtext              // qdtext of a quoted-string
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isAlpha := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
		isDigit := '0' <= b && b <= '9'
		var m uint8
		if isAlpha || isDigit || contains("!#$%&'*+-.^_`|~", b) {
			m |= cToken
		}
		if b == '\t' || b >= 0x20 && b != 0x7f {
			m |= cValue
		}
		// Printable ASCII except '#': a fragment is never sent in a request.
		if 0x21 <= b && b <= 0x7e && b != '#' {
			m |= cTarget
		}
		if isAlpha || isDigit || contains("-._~!$&'()*+,;=", b) {
			m |= cRegName
		}
		if isDigit || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' {
			m |= cHex
		}
		if b == 0x21 || 0x23 <= b && b <= 0x2b || 0x2d <= b && b <= 0x3a ||
			0x3c <= b && b <= 0x5b || 0x5d <= b && b <= 0x7e {
			m |= cCookie
		}
		if b == '\t' || b == ' ' || b == 0x21 || 0x23 <= b && b <= 0x5b || 0x5d <= b && b <= 0x7e || b >= 0x80 {
			m |= cQdtext
		}
		t[c] = m
	}
	return t
}()

func contains(set string, b byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == b {
			return true
		}
	}
	return false
}

func isToken[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if charClass[s[i]]&cToken == 0 {
			return false
		}
	}
	return true
}

// validValue reports whether s may be a field value: no control character
// other than HTAB (so no CR, LF or NUL) and no DEL.
func validValue[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if charClass[s[i]]&cValue == 0 {
			return false
		}
	}
	return true
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// equalFold compares ASCII case-insensitively. Unlike strings.EqualFold it
// never folds non-ASCII letters (the Kelvin sign is not "k").
func equalFold[A, B ~string | ~[]byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func isOWS(b byte) bool { return b == ' ' || b == '\t' }

// trimOWS removes optional whitespace (SP, HTAB) from both ends.
func trimOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// nextElement splits the first element off a comma-separated list
// (RFC 9110 §5.6.1), ignoring commas inside quoted strings, and returns it
// with surrounding whitespace removed. Empty elements are returned as "";
// callers skip them, as the RFC asks recipients to.
func nextElement(list string) (elem, rest string, more bool) {
	if list == "" {
		return "", "", false
	}
	quoted := false
	for i := 0; i < len(list); i++ {
		switch c := list[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			return trimOWS(list[:i]), list[i+1:], true
		}
	}
	return trimOWS(list), "", true
}

// hasToken reports whether any comma-separated list in values contains tok,
// compared case-insensitively (as in Connection: keep-alive, Upgrade).
func hasToken(h Header, name, tok string) bool {
	for i := range h {
		if !equalFold(h[i].Name, name) {
			continue
		}
		for e, rest, ok := nextElement(h[i].Value); ok; e, rest, ok = nextElement(rest) {
			if equalFold(e, tok) {
				return true
			}
		}
	}
	return false
}

// unhex returns the value of a hexadecimal digit, or 255.
func unhex(b byte) byte {
	switch {
	case '0' <= b && b <= '9':
		return b - '0'
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10
	}
	return 255
}

// parseQuoted reads a quoted-string at the start of s and returns the
// length it occupies, or -1 if s does not start with a valid one.
func parseQuoted[S ~string | ~[]byte](s S) int {
	if len(s) == 0 || s[0] != '"' {
		return -1
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
			if i+1 >= len(s) || charClass[s[i+1]]&cValue == 0 {
				return -1
			}
			i++
		case charClass[c]&cQdtext == 0:
			return -1
		}
	}
	return -1
}

// parseDigits parses 1*DIGIT (at most 18 digits, so no overflow).
func parseDigits(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, errors.New("http: invalid number")
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("http: invalid number")
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, nil
}
