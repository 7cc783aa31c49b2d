package http

import "bytes"

// targetForm is the form of a request-target (RFC 9112 §3.2).
type targetForm uint8

const (
	formOrigin    targetForm = iota // "/path?query"
	formAbsolute                    // "http://host/path?query"
	formAuthority                   // "host:port", CONNECT only
	formAsterisk                    // "*", OPTIONS only
)

// targetInfo locates the parts of a request-target, as offsets from its
// first byte. path is empty for the authority and asterisk forms; query is
// -1 when there is no '?'.
type targetInfo struct {
	form         targetForm
	authS, authE int // the authority (absolute and authority forms)
	pathS, pathE int // the raw path, before '?'
	query        int // offset of '?', or -1
}

// parseTarget checks a request-target against its method and locates its
// parts. Every byte must be printable ASCII other than '#', and every '%'
// must start a valid percent-encoding.
func parseTarget(method, t []byte) (targetInfo, *Error) {
	ti := targetInfo{query: -1}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if charClass[c]&cTarget == 0 {
			return ti, errTarget
		}
		if c == '%' {
			if i+2 >= len(t) || unhex(t[i+1]) > 15 || unhex(t[i+2]) > 15 {
				return ti, errPercent
			}
			i += 2
		}
	}
	if string(method) == "CONNECT" {
		if t[0] == '/' || !validAuthority(t, true) {
			return ti, errConnectTarget
		}
		ti.form, ti.authE = formAuthority, len(t)
		return ti, nil
	}
	switch {
	case t[0] == '/':
		ti.form = formOrigin
		ti.pathS = 0
	case len(t) == 1 && t[0] == '*':
		if string(method) != "OPTIONS" {
			return ti, errAsterisk
		}
		ti.form = formAsterisk
		return ti, nil
	default:
		// absolute-form: scheme "://" authority path-abempty [ "?" query ]
		colon := bytes.IndexByte(t, ':')
		if colon <= 0 || !validScheme(t[:colon]) {
			return ti, errTarget
		}
		if !equalFold(t[:colon], "http") && !equalFold(t[:colon], "https") {
			return ti, errScheme
		}
		if !bytes.HasPrefix(t[colon+1:], []byte("//")) {
			return ti, errTarget
		}
		ti.form = formAbsolute
		ti.authS = colon + 3
		ti.authE = len(t)
		if i := bytes.IndexAny(t[ti.authS:], "/?"); i >= 0 {
			ti.authE = ti.authS + i
		}
		auth := t[ti.authS:ti.authE]
		if bytes.IndexByte(auth, '@') >= 0 {
			return ti, errUserinfo
		}
		if !validAuthority(auth, false) {
			return ti, errAuthority
		}
		ti.pathS = ti.authE
	}
	ti.pathE = len(t)
	if i := bytes.IndexByte(t[ti.pathS:], '?'); i >= 0 {
		ti.pathE = ti.pathS + i
		ti.query = ti.pathE
	}
	return ti, nil
}

// validScheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s []byte) bool {
	for i, c := range s {
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alpha && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return len(s) > 0
}

// validAuthority checks uri-host [ ":" port ] (RFC 3986 §3.2.2, without
// userinfo): a bracketed IP literal or a reg-name (which covers IPv4), with
// a non-empty host, and a port of digits that must be present and non-empty
// when needPort is set.
func validAuthority[S ~string | ~[]byte](a S, needPort bool) bool {
	if len(a) == 0 {
		return false
	}
	var port S
	hasPort := false
	if a[0] == '[' {
		j := 1
		for j < len(a) && a[j] != ']' {
			j++
		}
		if j == len(a) || !validIPLiteral(a[1:j]) {
			return false
		}
		if rest := a[j+1:]; len(rest) > 0 {
			if rest[0] != ':' {
				return false
			}
			port, hasPort = rest[1:], true
		}
	} else {
		host := a
		for j := len(a) - 1; j >= 0; j-- {
			if a[j] == ':' {
				host, port, hasPort = a[:j], a[j+1:], true
				break
			}
		}
		if len(host) == 0 || !validRegName(host) {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return !needPort || hasPort && len(port) > 0
}

// validRegName: *( unreserved / pct-encoded / sub-delims ).
func validRegName[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || unhex(s[i+1]) > 15 || unhex(s[i+2]) > 15 {
				return false
			}
			i += 2
			continue
		}
		if charClass[c]&cRegName == 0 {
			return false
		}
	}
	return true
}

// validIPLiteral checks what is inside "[...]": an IPv6 address (hex digits,
// colons, and dots for an embedded IPv4 address) or an IPvFuture
// ("v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )).
func validIPLiteral[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	if s[0] == 'v' || s[0] == 'V' {
		i := 1
		for i < len(s) && charClass[s[i]]&cHex != 0 {
			i++
		}
		if i == 1 || i >= len(s)-1 || s[i] != '.' {
			return false
		}
		for i++; i < len(s); i++ {
			if s[i] != ':' && charClass[s[i]]&cRegName == 0 {
				return false
			}
		}
		return true
	}
	colons := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			colons++
		case c == '.' || charClass[c]&cHex != 0:
		default:
			return false
		}
	}
	return colons >= 2
}

// validHost checks a Host header value: empty (allowed when the target URI
// has no authority, RFC 9112 §3.2), or uri-host [ ":" port ].
func validHost(v string) bool {
	return v == "" || validAuthority(v, false)
}

// unescapePath decodes the percent-encodings of a path that parseTarget
// validated. A path without '%' is returned as is, without allocating.
func unescapePath(s string) string {
	i := 0
	for i < len(s) && s[i] != '%' {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
