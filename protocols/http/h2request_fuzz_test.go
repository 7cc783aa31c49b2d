package http

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// fieldsOf splits data into header fields: name NUL value NUL ...
func fieldsOf(data string) []hpack.HeaderField {
	parts := strings.Split(data, "\x00")
	var fields []hpack.HeaderField
	for i := 0; i+1 < len(parts); i += 2 {
		fields = append(fields, hpack.HeaderField{Name: parts[i], Value: parts[i+1]})
	}
	return fields
}

// An HTTP/2 request's fields, whatever they are, never make more than one
// HTTP/1.1 request (no smuggling through CR, LF or a second head): what
// requestHead accepts parses as exactly the request it describes, and
// what it refuses gets an error, never a panic.
func FuzzH2RequestHead(f *testing.F) {
	base := ":method\x00GET\x00:scheme\x00https\x00:authority\x00example.com\x00:path\x00/a?b=c\x00"
	for _, seed := range []string{
		base,
		base + "accept\x00text/event-stream\x00cookie\x00a=1\x00cookie\x00b=2\x00",
		":method\x00POST\x00:scheme\x00http\x00:path\x00/up\x00content-length\x005\x00",
		base + "x-evil\x00a\r\nX-Injected: 1\x00",
		base + "X-Upper\x001\x00",
		base + "connection\x00close\x00",
		base + "te\x00gzip\x00",
		":path\x00/\x00:method\x00GET\x00:scheme\x00http\x00:method\x00POST\x00",
		":method\x00OPTIONS\x00:scheme\x00http\x00:path\x00*\x00",
		":method\x00CONNECT\x00:authority\x00h:443\x00",
		":method\x00GET / HTTP/1.1\r\nHost: x\r\n\r\nGET\x00:scheme\x00http\x00:path\x00/\x00",
		base + "host\x00other\x00",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, data string, end bool) {
		fields := fieldsOf(data)
		head, err := requestHead(fields, end)
		if err != nil {
			return
		}
		if !bytes.HasSuffix(head.wire, []byte("\r\n\r\n")) || bytes.Count(head.wire, []byte("\r\n\r\n")) != 1 {
			t.Fatalf("head %q: not exactly one head", head.wire)
		}
		p := NewParser(Limits{MaxHeaderBytes: 1 << 20, MaxHeaders: 1000})
		wire := head.wire
		if head.chunked {
			wire = append(bytes.Clone(wire), "0\r\n\r\n"...)
		} else if head.bodyLeft > 0 {
			wire = append(bytes.Clone(wire), bytes.Repeat([]byte("x"), int(min(head.bodyLeft, 1<<16)))...)
			if head.bodyLeft > 1<<16 {
				return
			}
		}
		req, n, err := p.Parse(wire)
		if err != nil {
			return // the stream's parser refuses it: a 4xx on the stream
		}
		if req == nil || n != len(wire) {
			t.Fatalf("head %q: parsed %v after %d of %d bytes: not one whole request", wire, req != nil, n, len(wire))
		}
		if req.Method != head.method {
			t.Fatalf("head %q: method %q, want %q", wire, req.Method, head.method)
		}
	})
}
