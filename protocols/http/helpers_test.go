package http

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"testing"
)

// snapshot is everything a Request says about the request it was parsed
// from, in a comparable form.
type snapshot struct {
	Method, Target, Path, RawPath, RawQuery string
	Proto                                   string
	ProtoMinor                              int
	Host                                    string
	Header, Trailer                         []Field
	Body                                    string
	ContentLength                           int64
	Chunked, KeepAlive, ExpectsContinue     bool
}

func snap(r *Request) snapshot {
	s := snapshot{
		Method: r.Method, Target: r.Target, Path: r.Path, RawPath: r.RawPath, RawQuery: r.RawQuery,
		Proto: r.Proto, ProtoMinor: r.ProtoMinor, Host: r.Host,
		Body: string(r.Body), ContentLength: r.ContentLength,
		Chunked: r.Chunked, KeepAlive: r.KeepAlive(), ExpectsContinue: r.expectContinue,
	}
	if len(r.Header) > 0 {
		s.Header = append([]Field(nil), r.Header...)
	}
	if len(r.Trailer) > 0 {
		s.Trailer = append([]Field(nil), r.Trailer...)
	}
	return s
}

// outcome is what a connection sees when it feeds a parser: the requests,
// in order, then an error or the bytes left waiting.
type outcome struct {
	reqs   []snapshot
	status int    // of the error, 0 if none
	msg    string // of the error
	rest   string // bytes not consumed, when there is no error
}

func (o outcome) String() string {
	return fmt.Sprintf("%d requests %+v, error %d %q, rest %q", len(o.reqs), o.reqs, o.status, o.msg, o.rest)
}

// run feeds the chunks to a new parser as a connection would: each chunk is
// appended to the buffer, then Parse is called until it needs more or
// fails, and each request's bytes are consumed. It checks the contract of
// every Parse result.
func run(t testing.TB, lim Limits, chunks ...[]byte) outcome {
	t.Helper()
	o, _ := runRequests(t, lim, chunks...)
	return o
}

// runRequests is run that also returns the requests themselves.
func runRequests(t testing.TB, lim Limits, chunks ...[]byte) (outcome, []*Request) {
	t.Helper()
	p := NewParser(lim)
	var buf []byte
	var o outcome
	var reqs []*Request
	for _, c := range chunks {
		buf = append(buf, c...)
		for {
			req, n, err := p.Parse(buf)
			if n < 0 || n > len(buf) || req != nil && n == 0 || err != nil && (n != 0 || req != nil) {
				t.Fatalf("Parse(%q) = (%v, %d, %v): broken contract", buf, req != nil, n, err)
			}
			if err != nil {
				var he *Error
				if !errors.As(err, &he) {
					t.Fatalf("error %v is not an *Error", err)
				}
				// The error sticks.
				if _, n2, err2 := p.Parse(buf); err2 != err || n2 != 0 {
					t.Fatalf("Parse after error = (%d, %v), want (0, %v)", n2, err2, err)
				}
				// What is left after an error depends on how much had
				// arrived; it is never parsed, so it is not compared.
				o.status, o.msg = he.Status, he.Msg
				return o, reqs
			}
			if n == 0 {
				break
			}
			buf = buf[n:]
			if req == nil {
				continue // part of a request consumed
			}
			o.reqs = append(o.reqs, snap(req))
			reqs = append(reqs, req)
		}
	}
	o.rest = string(buf)
	return o, reqs
}

// bytewise splits data into one-byte chunks.
func bytewise(data []byte) [][]byte {
	out := make([][]byte, len(data))
	for i := range data {
		out[i] = data[i : i+1]
	}
	return out
}

func sameOutcome(a, b outcome) bool { return reflect.DeepEqual(a, b) }

// writeRequest writes r back in canonical form: the request line, every
// header field as "Name: Value" with CRLF, then the body framed as it was
// (Content-Length fields are in Header; a chunked body becomes one chunk
// and its trailer fields).
func writeRequest(r *Request) []byte {
	b := []byte(r.Method + " " + r.Target + " " + r.Proto + "\r\n")
	for _, f := range r.Header {
		b = append(b, f.Name+": "+f.Value+"\r\n"...)
	}
	b = append(b, "\r\n"...)
	if !r.Chunked {
		return append(b, r.Body...)
	}
	if len(r.Body) > 0 {
		b = strconv.AppendInt(b, int64(len(r.Body)), 16)
		b = append(b, "\r\n"...)
		b = append(b, r.Body...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "0\r\n"...)
	for _, f := range r.Trailer {
		b = append(b, f.Name+": "+f.Value+"\r\n"...)
	}
	return append(b, "\r\n"...)
}

// fields builds a []Field from name, value pairs.
func fields(kv ...string) []Field {
	var fs []Field
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, Field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}
