package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"mime/multipart"
	"net"
	"net/url"
	"strings"
)

// Request is a parsed HTTP/1.x request. Every field is set by the Parser
// except RemoteAddr, which the connection layer fills in. A Request owns its
// memory (see the package documentation) and stays valid after the callback
// that received it returns.
type Request struct {
	Method string // as sent: a token, case-sensitive ("GET")
	// Target is the request-target exactly as sent: "/a%2Fb?x=1",
	// "http://host/p", "host:443" (CONNECT) or "*" (OPTIONS).
	Target string
	// Path is the path of the target with percent-encodings decoded, so
	// "/a%2Fb" and "/a/b" both give "/a/b"; RawPath keeps the path as sent
	// ("/a%2Fb"), for routers that must tell them apart. Both are "*" for an
	// asterisk-form target, "" for CONNECT, and "/" for an absolute-form
	// target without a path ("*" with OPTIONS).
	Path     string
	RawPath  string
	RawQuery string // the query as sent, without '?'; see Query

	// Proto is "HTTP/1.0", "HTTP/1.1", or "HTTP/2.0" for a request that
	// came on an HTTP/2 stream. ProtoMinor is the minor version of
	// HTTP/1.x (0 or 1), and 1 on an HTTP/2 stream, which has HTTP/1.1's
	// semantics (chunked and streamed responses, no keep-alive to ask for).
	Proto      string
	ProtoMinor int

	// Host is the authority of the request: the Host header, or the
	// authority of an absolute-form or authority-form (CONNECT) target,
	// which takes precedence (RFC 9112 §3.2.2). It may be "" in HTTP/1.0.
	Host string

	Header  Header // the header fields in order, names as sent
	Trailer Header // the trailer fields of a chunked body, or nil
	Body    []byte // the body (decoded from chunks), or nil when empty

	// ContentLength is the Content-Length that framed the body, 0 when the
	// request had neither Content-Length nor Transfer-Encoding, and -1 for a
	// chunked body (whose length is len(Body)).
	ContentLength int64
	Chunked       bool // the body was sent with Transfer-Encoding: chunked

	// RemoteAddr is the peer's address, set by the connection layer.
	RemoteAddr net.Addr

	keepAlive      bool
	expectContinue bool
	lazy           *requestLazy
	sessions       *sessionSetup // set by the server codec
	session        *Session
	sessionErr     error // loading the session failed
	sessionLoaded  bool  // the session of the cookie was looked for
}

// requestLazy holds what is computed on first use.
type requestLazy struct {
	query         url.Values
	queryDone     bool
	postForm      url.Values
	postErr       error
	postDone      bool
	multipart     *multipart.Form
	multipartErr  error
	multipartDone bool
}

func (r *Request) lazyState() *requestLazy {
	if r.lazy == nil {
		r.lazy = new(requestLazy)
	}
	return r.lazy
}

// KeepAlive reports whether the connection may carry another request after
// this one: for HTTP/1.1 unless Connection lists "close", for HTTP/1.0 only
// when Connection lists "keep-alive" (tokens compared case-insensitively).
func (r *Request) KeepAlive() bool { return r.keepAlive }

// Query returns the parsed query string. It is parsed on first use and the
// same map is returned afterwards. Malformed pairs are skipped.
func (r *Request) Query() url.Values {
	l := r.lazyState()
	if !l.queryDone {
		l.query, _ = url.ParseQuery(r.RawQuery)
		l.queryDone = true
	}
	return l.query
}

// Cookie returns the value of the first cookie named name in the Cookie
// header fields (names are case-sensitive) and whether there is one.
func (r *Request) Cookie(name string) (string, bool) {
	for i := range r.Header {
		if !equalFold(r.Header[i].Name, "cookie") {
			continue
		}
		for n, v, rest, valid, ok := nextCookie(r.Header[i].Value); ok; n, v, rest, valid, ok = nextCookie(rest) {
			if valid && n == name {
				return v, true
			}
		}
	}
	return "", false
}

// Cookies returns every well-formed cookie of the Cookie header fields, in
// order, with Name and Value set. Malformed pairs are skipped.
func (r *Request) Cookies() []Cookie {
	var cs []Cookie
	for i := range r.Header {
		if !equalFold(r.Header[i].Name, "cookie") {
			continue
		}
		for n, v, rest, valid, ok := nextCookie(r.Header[i].Value); ok; n, v, rest, valid, ok = nextCookie(rest) {
			if valid {
				cs = append(cs, Cookie{Name: n, Value: v})
			}
		}
	}
	return cs
}

// ContentType returns the media type of the Content-Type field, lowercased
// and without parameters ("application/json"), or "".
func (r *Request) ContentType() string {
	v := r.Header.Get("Content-Type")
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(trimOWS(v))
}

// PostForm returns the fields of an application/x-www-form-urlencoded body,
// parsed on first use (later calls return the same map and error). For any
// other Content-Type it returns an empty map; multipart/form-data fields are
// in MultipartForm.
func (r *Request) PostForm() (url.Values, error) {
	l := r.lazyState()
	if !l.postDone {
		l.postDone = true
		if r.ContentType() == "application/x-www-form-urlencoded" {
			l.postForm, l.postErr = url.ParseQuery(string(r.Body))
		} else {
			l.postForm = url.Values{}
		}
	}
	return l.postForm, l.postErr
}

// Form returns a new map with the fields of PostForm followed by those of
// the query string. The error is PostForm's; the map then holds what could
// be parsed.
func (r *Request) Form() (url.Values, error) {
	post, err := r.PostForm()
	form := make(url.Values, len(post))
	for k, vs := range post {
		form[k] = append([]string(nil), vs...)
	}
	for k, vs := range r.Query() {
		form[k] = append(form[k], vs...)
	}
	return form, err
}

// JSON decodes the body as JSON into v.
func (r *Request) JSON(v any) error {
	return json.Unmarshal(r.Body, v)
}

// ErrNotMultipart is returned by MultipartForm for a request whose
// Content-Type is not multipart/form-data with a boundary.
var ErrNotMultipart = errors.New("http: request is not multipart/form-data")

// MultipartForm parses a multipart/form-data body with mime/multipart: the
// fields are in Value, the files in File. Files (and, beyond 10 MiB, fields)
// that do not fit in maxMemory bytes are written to temporary files, which
// the http:// protocol removes once the response to the request is complete
// (or is a stream, or the connection closes): read the files before sending
// the response. The form is parsed on first use; later calls return the
// same form and error whatever their maxMemory.
func (r *Request) MultipartForm(maxMemory int64) (*multipart.Form, error) {
	l := r.lazyState()
	if l.multipartDone {
		return l.multipart, l.multipartErr
	}
	l.multipartDone = true
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		l.multipartErr = ErrNotMultipart
		return nil, l.multipartErr
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	l.multipart, l.multipartErr = mr.ReadForm(maxMemory)
	return l.multipart, l.multipartErr
}

// cleanup removes the temporary files MultipartForm created, if any. The
// server codec calls it when the response to r ends.
func (r *Request) cleanup() error {
	if r.lazy == nil || r.lazy.multipart == nil {
		return nil
	}
	return r.lazy.multipart.RemoveAll()
}

// AcceptsEventStream reports whether the Accept header fields list the media
// type text/event-stream (case-insensitively, with any parameters) with a
// q-value above zero. Wildcards ("*/*", "text/*") do not count, and an
// explicit q=0 for text/event-stream anywhere makes it false.
func (r *Request) AcceptsEventStream() bool {
	found := false
	for i := range r.Header {
		if !equalFold(r.Header[i].Name, "accept") {
			continue
		}
		for e, rest, ok := nextElement(r.Header[i].Value); ok; e, rest, ok = nextElement(rest) {
			mt, params := e, ""
			if j := strings.IndexByte(e, ';'); j >= 0 {
				mt, params = trimOWS(e[:j]), e[j:]
			}
			if !equalFold(mt, "text/event-stream") {
				continue
			}
			switch q := qValue(params); {
			case q == 0:
				return false
			case q > 0:
				found = true
			}
		}
	}
	return found
}

// qValue returns the weight, in thousandths, given by the parameters of a
// media range (*( OWS ";" OWS name "=" value )): 1000 without a q
// parameter, -1 when the parameters are malformed.
func qValue(params string) int {
	q := 1000
	for s := params; s != ""; {
		s = trimLeftOWS(s)
		if s == "" || s[0] != ';' {
			return -1
		}
		s = trimLeftOWS(s[1:])
		if s == "" {
			break
		}
		n := 0
		for n < len(s) && charClass[s[n]]&cToken != 0 {
			n++
		}
		if n == 0 || n == len(s) || s[n] != '=' {
			return -1
		}
		name := s[:n]
		s = s[n+1:]
		var val string
		if s != "" && s[0] == '"' {
			m := parseQuoted(s)
			if m < 0 {
				return -1
			}
			val, s = s[:m], s[m:]
		} else {
			m := 0
			for m < len(s) && charClass[s[m]]&cToken != 0 {
				m++
			}
			val, s = s[:m], s[m:]
		}
		if equalFold(name, "q") {
			if q = parseQValue(val); q < 0 {
				return -1
			}
		}
	}
	return q
}

// parseQValue parses qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
// into thousandths, or -1.
func parseQValue(v string) int {
	if v == "" || len(v) > 5 || v[0] != '0' && v[0] != '1' {
		return -1
	}
	q := int(v[0]-'0') * 1000
	if len(v) == 1 {
		return q
	}
	if v[1] != '.' {
		return -1
	}
	scale := 100
	for i := 2; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' || v[0] == '1' && v[i] != '0' {
			return -1
		}
		q += int(v[i]-'0') * scale
		scale /= 10
	}
	return q
}

func trimLeftOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	return s
}

// IsUpgrade reports whether the request asks to switch to protocol: the
// Connection fields list "upgrade" and the Upgrade fields list protocol,
// both compared case-insensitively. A protocol without a version
// ("websocket") also matches a listed protocol with one ("websocket/13").
func (r *Request) IsUpgrade(protocol string) bool {
	if protocol == "" || !hasToken(r.Header, "connection", "upgrade") {
		return false
	}
	versioned := strings.IndexByte(protocol, '/') >= 0
	for i := range r.Header {
		if !equalFold(r.Header[i].Name, "upgrade") {
			continue
		}
		for e, rest, ok := nextElement(r.Header[i].Value); ok; e, rest, ok = nextElement(rest) {
			if equalFold(e, protocol) {
				return true
			}
			if name, _, found := strings.Cut(e, "/"); found && !versioned && equalFold(name, protocol) {
				return true
			}
		}
	}
	return false
}
