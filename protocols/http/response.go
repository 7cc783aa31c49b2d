package http

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Response is an HTTP response. An application sends it with c.Send on an
// http:// connection (see ProtocolWith); a protocol built on this package
// encodes it with AppendTo.
//
// The encoder writes the status line (always HTTP/1.1, as RFC 9110 §2.5
// asks of an HTTP/1.1 server, whatever the request's minor version), then
// Server and Date unless Header has them (not for 1xx), then Header in
// order (then, on an http:// connection, a session's Set-Cookie), then the
// fields it owns: Connection, when the request or the response needs one,
// and the framing (Content-Length or Transfer-Encoding), then the body.
type Response struct {
	Status int    // 100-999
	Reason string // reason phrase; "" uses StatusText(Status)
	Header Header
	Body   []byte

	// Chunked makes AppendTo write "Transfer-Encoding: chunked" and the body
	// (if any) as the first chunk. On an http:// connection, each later
	// c.Send of a string or []byte is one more chunk, and an empty one ends
	// the body (see ProtocolWith). It is an error for an HTTP/1.0 request,
	// which cannot read chunks (use Stream).
	Chunked bool
	// Stream makes AppendTo write neither Content-Length nor
	// Transfer-Encoding: the body is whatever is sent until the connection
	// closes (RFC 9112 §6.3), as for server-sent events. AppendTo adds
	// "Connection: close" unless Header has a Connection field, and the
	// connection cannot be reused.
	//
	// A 200 response whose Content-Type is text/event-stream (with any
	// parameters) is a Stream too, unless it is Chunked or has a
	// Content-Length field: that is how a Workerman application starts an
	// event stream, by sending such a response with the body "\r\n".
	Stream bool

	hdr [8]Field // storage for Header when it has few fields

	// bodyCloser is released when the response ends or the connection
	// closes (the file behind a body streamed by ServeFile).
	bodyCloser io.Closer
}

// NewResponse returns a response with the given status and body.
//
// The response keeps its first header fields inside itself: a copy of the
// struct (r2 := *r) shares that storage, so give the copy r.Header.Clone()
// before adding fields to either.
func NewResponse(status int, body string) *Response {
	r := &Response{Status: status}
	r.Header = r.hdr[:0]
	if body != "" {
		r.Body = []byte(body)
	}
	return r
}

// NewChunkedResponse returns a response whose body will be sent in chunks
// (see Response.Chunked).
func NewChunkedResponse(status int) *Response {
	r := NewResponse(status, "")
	r.Chunked = true
	return r
}

// WithHeader sets the field name to value (replacing any field of that
// name) and returns r. Invalid names and values are reported by AppendTo,
// or by the c.Send that sends r.
func (r *Response) WithHeader(name, value string) *Response {
	r.Header.Set(name, value)
	return r
}

// WithBody sets the body and returns r.
func (r *Response) WithBody(body []byte) *Response {
	r.Body = body
	return r
}

// SetCookie adds a Set-Cookie field for c. It returns an error, and adds
// nothing, when the name is not a token, the value has a byte outside
// RFC 6265's cookie-octet (optionally in double quotes), Path has a control
// character or ';', Domain is not a host name, Expires is before 1601, or
// SameSite is None without Secure.
func (r *Response) SetCookie(c Cookie) error {
	b, err := c.appendTo(nil)
	if err != nil {
		return err
	}
	r.Header.Add("Set-Cookie", string(b))
	return nil
}

// keepAlive reports whether the connection may be reused after r is sent in
// answer to req (which may be nil): req allows it, r is not a Stream, and r
// has no "Connection: close".
func (r *Response) keepAlive(req *Request) bool {
	if r.Stream || hasToken(r.Header, "connection", "close") {
		return false
	}
	return req == nil || req.KeepAlive()
}

var errChunkedHTTP10 = errors.New("http: chunked response to an HTTP/1.0 request")

// AppendTo appends the wire form of r, answering req, to dst. req may be nil
// (then it is as for a GET that allows keep-alive).
//
//   - A HEAD request gets the head only; its Content-Length is len(Body), or
//     the Content-Length field if the application set one. For a Chunked
//     response to HEAD, send no chunks and no last chunk.
//   - A 1xx, 204 or 304 response has no body (a non-empty Body is an
//     error) and no automatic Content-Length (one set by the application is
//     an error for 1xx and 204).
//   - A Content-Length field set by the application must be digits, and
//     at least len(Body) unless the request is HEAD or the status is 304.
//     When it is larger, the rest of the body follows: the connection's
//     protocol takes the next Sends ([]byte or string) as the rest, written
//     as they are, until the announced length is complete. A
//     Transfer-Encoding field is an error: set Chunked.
//   - "Connection: close" is added when req does not keep the connection
//     alive or r is a Stream, "Connection: keep-alive" for an HTTP/1.0
//     request that does; not when Header has a Connection field.
//
// A header name that is not a token, a value with a control character other
// than HTAB (CR, LF, NUL...), an invalid Reason or Status, is an error. On
// error dst is returned unchanged: nothing is written.
func (r *Response) AppendTo(dst []byte, req *Request) ([]byte, error) {
	dst, _, err := r.encode(dst, req, nil, false)
	return dst, err
}

// bodyKind is how the body of an encoded response continues after AppendTo.
type bodyKind uint8

const (
	bodyDone    bodyKind = iota // the response is complete
	bodyLength                  // remaining bytes of a Content-Length body follow
	bodyChunked                 // chunks follow, then the last chunk
	bodyStream                  // bytes follow until the connection closes
)

// framing is what the encoder of a response tells the connection's codec.
type framing struct {
	kind      bodyKind
	remaining int64 // bodyLength: bytes still to come
	keepAlive bool  // the connection may carry another request afterwards
}

// encode is AppendTo, also reporting how the body continues. extra are
// fields the connection adds after Header (a session cookie); they are
// valid by construction. closing says the connection closes after this
// response, whatever req asked (the server is ending it).
func (r *Response) encode(dst []byte, req *Request, extra []Field, closing bool) ([]byte, framing, error) {
	var fr framing
	if r.Status < 100 || r.Status > 999 {
		return dst, fr, fmt.Errorf("http: invalid status code %d", r.Status)
	}
	reason := r.Reason
	if reason == "" {
		reason = StatusText(r.Status)
	} else if !validValue(reason) {
		return dst, fr, errors.New("http: invalid reason phrase")
	}
	head := req != nil && req.Method == "HEAD"
	informational := r.Status < 200
	noBody := informational || r.Status == 204 || r.Status == 304
	switch {
	case noBody && len(r.Body) > 0:
		return dst, fr, fmt.Errorf("http: a %d response cannot have a body", r.Status)
	case r.Chunked && r.Stream:
		return dst, fr, errors.New("http: response is both Chunked and Stream")
	case (r.Chunked || r.Stream) && noBody:
		return dst, fr, fmt.Errorf("http: a %d response cannot be Chunked or a Stream", r.Status)
	case r.Chunked && req != nil && req.ProtoMinor == 0:
		return dst, fr, errChunkedHTTP10
	}

	var hasServer, hasDate, hasConn, hasCL, eventStream bool
	var declared int64
	for i := range r.Header {
		f := &r.Header[i]
		if !isToken(f.Name) {
			return dst, fr, fmt.Errorf("http: invalid header field name %q", f.Name)
		}
		if !validValue(f.Value) {
			return dst, fr, fmt.Errorf("http: invalid value for header field %q", f.Name)
		}
		switch len(f.Name) {
		case 4:
			hasDate = hasDate || equalFold(f.Name, "date")
		case 6:
			hasServer = hasServer || equalFold(f.Name, "server")
		case 10:
			hasConn = hasConn || equalFold(f.Name, "connection")
		case 12:
			if equalFold(f.Name, "content-type") {
				eventStream = isEventStream(f.Value)
			}
		case 14:
			if equalFold(f.Name, "content-length") {
				n, err := r.checkContentLength(f.Value, head, hasCL)
				if err != nil {
					return dst, fr, err
				}
				hasCL, declared = true, n
			}
		case 17:
			if equalFold(f.Name, "transfer-encoding") {
				return dst, fr, errors.New("http: Transfer-Encoding field set: use Response.Chunked")
			}
		}
	}

	// An event stream (Content-Type text/event-stream, Workerman's way of
	// starting one) is a Stream unless the application framed it itself.
	stream := r.Stream || eventStream && r.Status == 200 && !r.Chunked && !hasCL
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	dst = append(dst, "\r\n"...)
	if !informational {
		if !hasServer {
			dst = append(dst, "Server: workerman-go\r\n"...)
		}
		if !hasDate {
			dst = append(dst, "Date: "...)
			dst = appendDate(dst)
			dst = append(dst, "\r\n"...)
		}
	}
	dst = appendFields(dst, r.Header)
	dst = appendFields(dst, extra)
	if !informational && !hasConn {
		switch {
		case stream, closing, req != nil && !req.KeepAlive():
			dst = append(dst, "Connection: close\r\n"...)
		case req != nil && req.ProtoMinor == 0:
			dst = append(dst, "Connection: keep-alive\r\n"...)
		}
	}
	switch {
	case r.Chunked:
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	case !stream && !noBody && !hasCL:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(r.Body)), 10)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	fr.keepAlive = !stream && !closing && r.keepAlive(req)
	if head || noBody {
		return dst, fr, nil
	}
	switch {
	case r.Chunked:
		fr.kind = bodyChunked
		return appendChunk(dst, r.Body), fr, nil
	case stream:
		fr.kind = bodyStream
	case hasCL && declared > int64(len(r.Body)):
		fr.kind, fr.remaining = bodyLength, declared-int64(len(r.Body))
	}
	return append(dst, r.Body...), fr, nil
}

func appendFields(dst []byte, h []Field) []byte {
	for i := range h {
		dst = append(dst, h[i].Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h[i].Value...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// isEventStream reports whether a Content-Type value is the media type
// text/event-stream (any parameters, any case).
func isEventStream(v string) bool {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return equalFold(trimOWS(v), "text/event-stream")
}

// checkContentLength validates a Content-Length field the application set
// and returns its value.
func (r *Response) checkContentLength(v string, head, again bool) (int64, error) {
	switch {
	case again:
		return 0, errors.New("http: more than one Content-Length field")
	case r.Chunked || r.Stream:
		return 0, errors.New("http: Content-Length field in a Chunked or Stream response")
	case r.Status < 200 || r.Status == 204:
		return 0, fmt.Errorf("http: Content-Length field in a %d response", r.Status)
	}
	n, err := parseDigits(v)
	if err != nil {
		return 0, errors.New("http: invalid Content-Length field")
	}
	if !head && r.Status != 304 && n < int64(len(r.Body)) {
		return 0, fmt.Errorf("http: Content-Length field %d is less than the body length %d", n, len(r.Body))
	}
	return n, nil
}

// appendChunk appends data as one chunk of a chunked body:
// its size in hex, CRLF, data, CRLF. Empty data appends nothing, since an
// empty chunk would end the body.
func appendChunk[B string | []byte](dst []byte, data B) []byte {
	if len(data) == 0 {
		return dst
	}
	dst = strconv.AppendUint(dst, uint64(len(data)), 16)
	dst = append(dst, "\r\n"...)
	dst = append(dst, data...)
	return append(dst, "\r\n"...)
}

// lastChunk ends a chunked body that has no trailer fields.
const lastChunk = "0\r\n\r\n"

// appendLastChunk appends the last chunk, the trailer fields (if any) and
// the CRLF that end a chunked body. An invalid trailer name or value is an
// error, and nothing is appended.
func appendLastChunk(dst []byte, trailer Header) ([]byte, error) {
	for _, f := range trailer {
		if !isToken(f.Name) || !validValue(f.Value) {
			return dst, fmt.Errorf("http: invalid trailer field %q", f.Name)
		}
	}
	dst = append(dst, "0\r\n"...)
	for _, f := range trailer {
		dst = append(dst, f.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, f.Value...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...), nil
}

// timeFormat is the IMF-fixdate format of RFC 9110 §5.6.7, for Date,
// Expires, Last-Modified. Times must be in UTC.
const timeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// dateEntry is the Date value of one second, formatted once.
type dateEntry struct {
	sec int64
	b   []byte
}

var (
	dateCache atomic.Pointer[dateEntry]
	clock     = time.Now // replaced by tests
)

// appendDate appends the current time in IMF-fixdate. The text is formatted
// once per second and shared by every encoder.
func appendDate(dst []byte) []byte {
	now := clock()
	sec := now.Unix()
	e := dateCache.Load()
	if e == nil || e.sec != sec {
		e = &dateEntry{sec: sec, b: now.UTC().AppendFormat(make([]byte, 0, len(timeFormat)), timeFormat)}
		dateCache.Store(e)
	}
	return append(dst, e.b...)
}

// Size is the length of the response's body. It makes a *Response a
// protocols.Sizer: c.Send refuses (ErrSendBufferFull) a response whose
// body does not fit in the room left in the connection's send buffer,
// before encoding it, so the request stays unanswered and the application
// can answer otherwise. Send a larger body in pieces instead
// (NewChunkedResponse, ServeFile), or raise MaxSendBufferSize.
func (r *Response) Size() int { return len(r.Body) }
