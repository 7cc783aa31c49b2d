package http

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// h2RequestHead is an HTTP/2 request's header block made into the head of
// an HTTP/1.1 request, for the stream's codec to parse like any other.
type h2RequestHead struct {
	wire     []byte // the HTTP/1.1 head, empty line included
	method   string
	bodyLeft int64 // the content-length the client gave, -1 if none
	chunked  bool  // the body follows, of unknown length: fed as chunks
}

// requestHead checks fields, a request's decoded header block, as RFC 9113
// §8.2 and §8.3.1 ask (a malformed request is an error, which resets the
// stream), and writes it as an HTTP/1.1 head. end says the block ended the
// stream: no body follows.
//
// The head carries "Connection: close": a stream answers one request. The
// stream's parser then checks everything else, as for HTTP/1.1 (a field
// it does not accept is answered 400 on the stream).
func requestHead(fields []hpack.HeaderField, end bool) (h2RequestHead, error) {
	var method, scheme, authority, path string
	var cookies []string
	h := h2RequestHead{bodyLeft: -1}
	regular := false
	seen := 0
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			if regular {
				return h, fmt.Errorf("pseudo-header %s after a regular field", f.Name)
			}
			var dst *string
			bit := 0
			switch f.Name {
			case ":method":
				dst, bit = &method, 1
			case ":scheme":
				dst, bit = &scheme, 2
			case ":authority":
				dst, bit = &authority, 4
			case ":path":
				dst, bit = &path, 8
			default:
				return h, fmt.Errorf("unknown pseudo-header %s", f.Name)
			}
			if seen&bit != 0 {
				return h, fmt.Errorf("pseudo-header %s twice", f.Name)
			}
			seen |= bit
			*dst = f.Value
			continue
		}
		regular = true
		if err := checkH2Field(f); err != nil {
			return h, err
		}
		if f.Name == "content-length" {
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil || n < 0 || (h.bodyLeft >= 0 && n != h.bodyLeft) {
				return h, fmt.Errorf("content-length %q", f.Value)
			}
			h.bodyLeft = n
		}
	}
	switch {
	case method == "CONNECT":
		return h, errors.New("CONNECT is not served")
	case seen&1 == 0 || seen&2 == 0 || seen&8 == 0:
		return h, errors.New("a request without :method, :scheme or :path")
	case path == "" || (path[0] != '/' && !(path == "*" && method == "OPTIONS")):
		return h, fmt.Errorf(":path %q", path)
	case end && h.bodyLeft > 0:
		return h, fmt.Errorf("content-length %d without a body", h.bodyLeft)
	case !isToken(method):
		return h, fmt.Errorf(":method %q", method)
	case !isToken(scheme):
		return h, fmt.Errorf(":scheme %q", scheme)
	case !isTarget(path):
		return h, fmt.Errorf(":path %q", path)
	case !validValue(authority) || strings.ContainsAny(authority, " \t/?#"):
		return h, fmt.Errorf(":authority %q", authority)
	}
	h.method = method
	b := make([]byte, 0, 256)
	b = append(append(append(append(b, method...), ' '), path...), " HTTP/1.1\r\n"...)
	if authority != "" {
		b = append(append(append(b, "Host: "...), authority...), "\r\n"...)
	}
	for _, f := range fields {
		switch {
		case strings.HasPrefix(f.Name, ":"):
		case f.Name == "host" && authority != "":
			// :authority wins (RFC 9113 §8.3.1).
		case f.Name == "cookie":
			cookies = append(cookies, f.Value) // one field again (§8.2.3)
		default:
			b = append(append(append(append(b, f.Name...), ": "...), f.Value...), "\r\n"...)
		}
	}
	if len(cookies) > 0 {
		b = append(append(append(b, "Cookie: "...), strings.Join(cookies, "; ")...), "\r\n"...)
	}
	b = append(b, "Connection: close\r\n"...)
	if !end && h.bodyLeft < 0 {
		h.chunked = true
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	h.wire = append(b, "\r\n"...)
	return h, nil
}

// isTarget reports whether every byte of path may be in a request-target
// (printable ASCII but '#'): the line it goes into is split at spaces.
func isTarget(path string) bool {
	for i := 0; i < len(path); i++ {
		if charClass[path[i]]&cTarget == 0 {
			return false
		}
	}
	return true
}

// checkH2Field checks a regular field of an HTTP/2 request (RFC 9113
// §8.2): a lowercase name, a value without NUL, CR, LF or surrounding
// white space, none of HTTP/1.1's connection fields, and "te" only as
// "trailers".
func checkH2Field(f hpack.HeaderField) error {
	if !isToken(f.Name) || strings.ToLower(f.Name) != f.Name {
		return fmt.Errorf("field name %q", f.Name)
	}
	v := f.Value
	if strings.ContainsAny(v, "\x00\r\n") || (v != "" && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t')) {
		return fmt.Errorf("field %s: value %q", f.Name, v)
	}
	if isConnectionField(f.Name) {
		return fmt.Errorf("connection field %s in HTTP/2", f.Name)
	}
	if f.Name == "te" && v != "trailers" {
		return fmt.Errorf("te: %q", v)
	}
	return nil
}
