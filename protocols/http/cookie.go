package http

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// SameSite is the SameSite attribute of a cookie.
type SameSite uint8

const (
	SameSiteDefault SameSite = iota // the attribute is omitted
	SameSiteLax
	SameSiteStrict
	SameSiteNone // requires Secure
)

// Cookie is an HTTP cookie (RFC 6265). Request.Cookies fills only Name and
// Value; Response.SetCookie writes every attribute that is set.
type Cookie struct {
	Name  string
	Value string

	Path    string
	Domain  string
	Expires time.Time // omitted when zero
	// MaxAge is the lifetime in seconds: > 0 writes Max-Age=MaxAge, < 0
	// writes Max-Age=0 (delete the cookie now), 0 omits the attribute.
	MaxAge   int
	Secure   bool
	HttpOnly bool
	SameSite SameSite
}

var (
	errCookieName     = errors.New("http: invalid cookie name")
	errCookieValue    = errors.New("http: invalid cookie value")
	errCookiePath     = errors.New("http: invalid cookie path")
	errCookieDomain   = errors.New("http: invalid cookie domain")
	errCookieExpires  = errors.New("http: cookie expiry before year 1601")
	errCookieSameSite = errors.New("http: cookie with SameSite=None must be Secure")
)

// String returns the Set-Cookie value for c, or "" if c is invalid (see
// Response.SetCookie for the rules).
func (c Cookie) String() string {
	b, err := c.appendTo(nil)
	if err != nil {
		return ""
	}
	return string(b)
}

// appendTo appends c as a Set-Cookie field value, or returns an error
// without appending when a part of it cannot be written as is.
func (c Cookie) appendTo(dst []byte) ([]byte, error) {
	if !isToken(c.Name) {
		return dst, errCookieName
	}
	if !validCookieValue(c.Value) {
		return dst, errCookieValue
	}
	for i := 0; i < len(c.Path); i++ {
		// path-value = <any CHAR except CTLs or ";">
		if b := c.Path[i]; b < 0x20 || b >= 0x7f || b == ';' {
			return dst, errCookiePath
		}
	}
	if c.Domain != "" && !validCookieDomain(c.Domain) {
		return dst, errCookieDomain
	}
	if !c.Expires.IsZero() && c.Expires.UTC().Year() < 1601 {
		return dst, errCookieExpires
	}
	if c.SameSite == SameSiteNone && !c.Secure {
		return dst, errCookieSameSite
	}
	dst = append(dst, c.Name...)
	dst = append(dst, '=')
	dst = append(dst, c.Value...)
	if c.Path != "" {
		dst = append(dst, "; Path="...)
		dst = append(dst, c.Path...)
	}
	if c.Domain != "" {
		dst = append(dst, "; Domain="...)
		dst = append(dst, strings.TrimPrefix(c.Domain, ".")...)
	}
	if !c.Expires.IsZero() {
		dst = append(dst, "; Expires="...)
		dst = c.Expires.UTC().AppendFormat(dst, timeFormat)
	}
	switch {
	case c.MaxAge > 0:
		dst = append(dst, "; Max-Age="...)
		dst = strconv.AppendInt(dst, int64(c.MaxAge), 10)
	case c.MaxAge < 0:
		dst = append(dst, "; Max-Age=0"...)
	}
	if c.Secure {
		dst = append(dst, "; Secure"...)
	}
	if c.HttpOnly {
		dst = append(dst, "; HttpOnly"...)
	}
	switch c.SameSite {
	case SameSiteLax:
		dst = append(dst, "; SameSite=Lax"...)
	case SameSiteStrict:
		dst = append(dst, "; SameSite=Strict"...)
	case SameSiteNone:
		dst = append(dst, "; SameSite=None"...)
	}
	return dst, nil
}

// validCookieValue: *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ).
func validCookieValue(v string) bool {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	for i := 0; i < len(v); i++ {
		if charClass[v[i]]&cCookie == 0 {
			return false
		}
	}
	return true
}

// validCookieDomain accepts a host name or IPv4 address, with an optional
// leading dot (which is dropped when written, RFC 6265 §5.2.3).
func validCookieDomain(d string) bool {
	d = strings.TrimPrefix(d, ".")
	if d == "" || len(d) > 255 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// nextCookie splits the first cookie-pair off a Cookie field value
// ("a=1; b=2"). ok is false when the list is exhausted; valid is false for
// a pair that is malformed, which callers skip. A quoted value is returned
// without its quotes.
func nextCookie(list string) (name, value, rest string, valid, ok bool) {
	if list == "" {
		return "", "", "", false, false
	}
	pair := list
	if i := strings.IndexByte(list, ';'); i >= 0 {
		pair, rest = list[:i], list[i+1:]
	}
	pair = trimOWS(pair)
	name, value, found := strings.Cut(pair, "=")
	if !found || !isToken(name) || !validCookieValue(value) {
		return "", "", rest, false, true
	}
	if len(value) >= 2 && value[0] == '"' {
		value = value[1 : len(value)-1]
	}
	return name, value, rest, true, true
}
