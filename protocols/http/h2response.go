package http

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"

	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// h2Response turns the HTTP/1.1 response a stream's codec writes into
// HTTP/2 frames: the head into HEADERS (HPACK-encoded, without the fields
// that only HTTP/1.1 connections have), the body, whatever its HTTP/1.1
// framing (Content-Length, chunked, or until the connection closes, as an
// event stream), into DATA. It reads only what this package's own encoder
// writes, but checks it as it goes: anything it cannot read fails the
// stream, never the connection.
type h2Response struct {
	state     uint8
	head      bool   // the request was HEAD: no body follows any head
	buf       []byte // a head, or a chunk-size line, not complete yet
	remaining int64  // h2BodyLength: bytes left; h2ChunkData: bytes left of the chunk
}

// The states of an h2Response.
const (
	h2Head       uint8 = iota // reading a head (the first, or after a 1xx)
	h2BodyLength              // a body of Content-Length bytes
	h2ChunkSize               // a chunk-size line
	h2ChunkData               // a chunk's data
	h2ChunkEnd                // the CRLF after a chunk's data
	h2Trailer                 // after the last chunk: up to the empty line
	h2UntilClose              // a body that ends with the stream (an event stream)
	h2Done                    // the response is complete
)

// complete reports whether the whole response was written: the stream may
// end it (an event stream ends when the stream closes).
func (r *h2Response) complete() bool { return r.state == h2Done || r.state == h2UntilClose }

var errH2Response = errors.New("http: HTTP/2 stream: unreadable response")

var crlf2 = []byte("\r\n\r\n")

// feed reads p, the next bytes of st's response.
func (r *h2Response) feed(h *h2Conn, st *h2Stream, p []byte) error {
	for len(p) > 0 {
		switch r.state {
		case h2Head:
			var head []byte
			if len(r.buf) == 0 { // usually the whole head is in one write
				if i := bytes.Index(p, crlf2); i >= 0 {
					head, p = p[:i+2], p[i+4:]
				}
			}
			if head == nil {
				r.buf = append(r.buf, p...)
				i := bytes.Index(r.buf, crlf2)
				if i < 0 {
					if len(r.buf) > 1<<20 {
						return fmt.Errorf("%w: a head of more than 1 MiB", errH2Response)
					}
					return nil
				}
				head, p = r.buf[:i+2], r.buf[i+4:]
				r.buf = nil // head and p use it
			}
			if err := r.writeHead(h, st, head); err != nil {
				return err
			}
		case h2BodyLength:
			n := min(int64(len(p)), r.remaining)
			if r.remaining -= n; r.remaining == 0 {
				r.state, st.heldEnd = h2Done, true // END_STREAM goes with the last DATA
			}
			r.body(h, st, p[:n])
			p = p[n:]
		case h2ChunkSize, h2Trailer:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				r.buf = append(r.buf, p...)
				if len(r.buf) > 4096 {
					return fmt.Errorf("%w: a chunk-size line of more than 4096 bytes", errH2Response)
				}
				return nil
			}
			line := append(r.buf, p[:i+1]...)
			r.buf = line[:0]
			p = p[i+1:]
			if r.state == h2Trailer {
				if string(line) == "\r\n" {
					r.end(h, st)
				}
				continue // trailer fields are not sent
			}
			size, _, _ := strings.Cut(strings.TrimRight(string(line), "\r\n"), ";")
			n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%w: chunk size %q", errH2Response, line)
			}
			if n == 0 {
				r.state = h2Trailer
			} else {
				r.state, r.remaining = h2ChunkData, n
			}
		case h2ChunkData:
			n := min(int64(len(p)), r.remaining)
			r.body(h, st, p[:n])
			p = p[n:]
			if r.remaining -= n; r.remaining == 0 {
				r.state, r.remaining = h2ChunkEnd, 2
			}
		case h2ChunkEnd:
			n := min(int64(len(p)), r.remaining)
			p = p[n:]
			if r.remaining -= n; r.remaining == 0 {
				r.state = h2ChunkSize
			}
		case h2UntilClose:
			r.body(h, st, p)
			p = nil
		case h2Done:
			return fmt.Errorf("%w: %d bytes after the response", errH2Response, len(p))
		}
	}
	return nil
}

// body queues part of the body as DATA, and sends what the windows allow.
func (r *h2Response) body(h *h2Conn, st *h2Stream, p []byte) {
	st.held = append(st.held, p...)
	h.pump(st)
}

// end completes the body: END_STREAM goes with its last DATA.
func (r *h2Response) end(h *h2Conn, st *h2Stream) {
	r.state = h2Done
	st.heldEnd = true
	h.pump(st)
}

// connectionFields are the fields of HTTP/1.1 connections, which HTTP/2
// does not have (RFC 9113 §8.2.2).
var connectionFields = []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}

// writeHead writes head (the status line and fields, each ending in CRLF)
// as a HEADERS frame, and sets how the body is read.
func (r *h2Response) writeHead(h *h2Conn, st *h2Stream, head []byte) error {
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return fmt.Errorf("%w: status line %q", errH2Response, line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 || status > 999 {
		return fmt.Errorf("%w: status line %q", errH2Response, line)
	}
	if status == 101 {
		return fmt.Errorf("%w: a protocol switch (101) on an HTTP/2 stream", errH2Response)
	}
	h.encBuf.b = h.encBuf.b[:0]
	_ = h.enc.WriteField(hpack.HeaderField{Name: ":status", Value: string(line[9:12])})
	length, chunked := int64(-1), false
	for len(rest) > 0 {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok {
			return fmt.Errorf("%w: field %q", errH2Response, field)
		}
		lname := strings.ToLower(string(name))
		value = bytes.TrimSpace(value)
		switch lname {
		case "transfer-encoding":
			chunked = true
		case "content-length":
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil || length < 0 {
				return fmt.Errorf("%w: content-length %q", errH2Response, value)
			}
		}
		if isConnectionField(lname) {
			continue
		}
		_ = h.enc.WriteField(hpack.HeaderField{Name: lname, Value: string(value)})
	}
	informational := status < 200
	noBody := r.head || status == 204 || status == 304 || (!chunked && length == 0)
	endStream := !informational && noBody
	h.out = h2frame.AppendHeaders(h.out, st.id, endStream, h.encBuf.b, h.peerMaxFrame)
	switch {
	case informational:
		r.state = h2Head
	case endStream:
		r.state = h2Done
		st.heldEnd, st.ended = true, true
	case chunked:
		r.state = h2ChunkSize
	case length > 0:
		r.state, r.remaining = h2BodyLength, length
	default:
		r.state = h2UntilClose
	}
	return nil
}

func isConnectionField(lname string) bool {
	for _, f := range connectionFields {
		if lname == f {
			return true
		}
	}
	return false
}
