package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// The client side of the HTTP/1.1 that carries an event stream: the head
// of the response, then a body that is either the raw stream (delimited by
// the connection's end, as workerman-go sends it) or chunked (as net/http
// sends a response without Content-Length). Both parsers are incremental:
// bytes come in pieces split anywhere. The head reader also reads the 101
// response of a WebSocket handshake (checkWebSocket).

// maxHead bounds the response head.
const maxHead = 16 << 10

// respHead is what the load generator needs of a response head.
type respHead struct {
	Status      int
	ContentType string
	Chunked     bool
	HasLength   bool // a Content-Length field: not a stream
	// A WebSocket handshake's: Upgrade, Connection (joined with ", " when
	// repeated) and Sec-WebSocket-Accept.
	Upgrade, Connection, Accept string
}

// headReader accumulates a response head until its blank line.
type headReader struct {
	buf []byte
}

// feed adds in; once the head is complete it returns the parsed head, done
// and the bytes of in that follow it (the start of the body).
func (r *headReader) feed(in []byte) (h respHead, done bool, rest []byte, err error) {
	old := len(r.buf)
	r.buf = append(r.buf, in...)
	// The blank line may straddle the previous piece: look back 3 bytes.
	from := max(0, old-3)
	i := bytes.Index(r.buf[from:], []byte("\r\n\r\n"))
	if i < 0 {
		if len(r.buf) > maxHead {
			return h, false, nil, fmt.Errorf("response head longer than %d bytes", maxHead)
		}
		return h, false, nil, nil
	}
	end := from + i + 4
	h, err = parseHead(r.buf[:end-4])
	if err != nil {
		return h, false, nil, err
	}
	rest = in[end-old:]
	r.buf = nil
	return h, true, rest, nil
}

// parseHead parses a response head without its final blank line.
func parseHead(b []byte) (respHead, error) {
	var h respHead
	lines := strings.Split(string(b), "\r\n")
	status := lines[0]
	if !strings.HasPrefix(status, "HTTP/1.") {
		return h, fmt.Errorf("bad status line %q", trunc(status))
	}
	f := strings.SplitN(status, " ", 3)
	if len(f) < 2 || len(f[1]) != 3 {
		return h, fmt.Errorf("bad status line %q", trunc(status))
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return h, fmt.Errorf("bad status line %q", trunc(status))
	}
	h.Status = code
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return h, fmt.Errorf("bad header line %q", trunc(l))
		}
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Content-Type"):
			h.ContentType = value
		case strings.EqualFold(name, "Transfer-Encoding"):
			for _, c := range strings.Split(value, ",") {
				if strings.EqualFold(strings.TrimSpace(c), "chunked") {
					h.Chunked = true
				}
			}
		case strings.EqualFold(name, "Content-Length"):
			h.HasLength = true
		case strings.EqualFold(name, "Upgrade"):
			h.Upgrade = value
		case strings.EqualFold(name, "Connection"):
			if h.Connection != "" {
				value = h.Connection + ", " + value
			}
			h.Connection = value
		case strings.EqualFold(name, "Sec-WebSocket-Accept"):
			h.Accept = value
		}
	}
	return h, nil
}

// checkStream tells whether h opens an event stream.
func (h respHead) checkStream() error {
	mt, _, _ := strings.Cut(h.ContentType, ";")
	switch {
	case h.Status != 200:
		return fmt.Errorf("status %d", h.Status)
	case !strings.EqualFold(strings.TrimSpace(mt), "text/event-stream"):
		return fmt.Errorf("Content-Type %q, not text/event-stream", h.ContentType)
	case h.HasLength && !h.Chunked:
		return errors.New("a Content-Length: not a stream")
	}
	return nil
}

// checkWebSocket tells whether h accepts the WebSocket handshake whose
// Sec-WebSocket-Key was key (RFC 6455 section 4.2.2): status 101, Upgrade:
// websocket, Connection: Upgrade and the accept value of the key.
func (h respHead) checkWebSocket(key string) error {
	switch {
	case h.Status != 101:
		return fmt.Errorf("status %d, not 101", h.Status)
	case !strings.EqualFold(h.Upgrade, "websocket"):
		return fmt.Errorf("header Upgrade %q, not websocket", h.Upgrade)
	case !hasToken(h.Connection, "upgrade"):
		return fmt.Errorf("header Connection %q without upgrade", h.Connection)
	case h.Accept != wsframe.AcceptKey(key):
		return fmt.Errorf("Sec-WebSocket-Accept %q does not match the key", h.Accept)
	}
	return nil
}

// hasToken tells whether the comma-separated list has token (any case).
func hasToken(list, token string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// chunkDecoder decodes a chunked body (RFC 9112 §7.1) incrementally.
type chunkDecoder struct {
	state  chunkState
	left   int64 // data bytes left in the current chunk
	digits int   // hex digits of the size read so far
	ext    bool  // inside a chunk extension, up to the CR
	done   bool  // the last chunk and the trailer have been read
}

type chunkState uint8

const (
	csSize    chunkState = iota // reading the size line, up to its LF
	csData                      // left bytes of data
	csDataCR                    // the CR after the data
	csDataLF                    // the LF after the data
	csTrailer                   // after the last chunk: lines up to an empty one
	csTrailerLine
)

// errChunk is a malformed chunked body.
var errChunk = errors.New("malformed chunked body")

// maxChunk bounds a chunk's size (the streams here carry small events).
const maxChunk = 1 << 30

// feed decodes in and calls out with each piece of body data (a sub-slice
// of in). It reports the end of the body with done.
func (d *chunkDecoder) feed(in []byte, out func([]byte)) (done bool, err error) {
	for i := 0; i < len(in); {
		if d.done {
			return true, fmt.Errorf("%w: data after the last chunk", errChunk)
		}
		c := in[i]
		switch d.state {
		case csSize:
			i++
			switch {
			case c == '\n':
				if d.digits == 0 {
					return false, fmt.Errorf("%w: empty chunk size", errChunk)
				}
				d.digits, d.ext = 0, false
				if d.left == 0 {
					d.state = csTrailer
				} else {
					d.state = csData
				}
			case d.ext || c == '\r':
				// skip the extension and the CR before the LF
			case c == ';' || c == ' ' || c == '\t':
				d.ext = true
			default:
				v := unhex(c)
				if v < 0 {
					return false, fmt.Errorf("%w: bad chunk size byte %q", errChunk, c)
				}
				d.left = d.left<<4 | int64(v)
				d.digits++
				if d.left > maxChunk {
					return false, fmt.Errorf("%w: chunk larger than %d bytes", errChunk, maxChunk)
				}
			}
		case csData:
			n := int64(len(in) - i)
			if n > d.left {
				n = d.left
			}
			out(in[i : i+int(n)])
			i += int(n)
			if d.left -= n; d.left == 0 {
				d.state = csDataCR
			}
		case csDataCR:
			if c != '\r' {
				return false, fmt.Errorf("%w: no CRLF after chunk data", errChunk)
			}
			i++
			d.state = csDataLF
		case csDataLF:
			if c != '\n' {
				return false, fmt.Errorf("%w: no CRLF after chunk data", errChunk)
			}
			i++
			d.state = csSize
		case csTrailer: // at the start of a trailer line
			i++
			switch c {
			case '\r':
			case '\n':
				d.done = true
			default:
				d.state = csTrailerLine
			}
		case csTrailerLine:
			i++
			if c == '\n' {
				d.state = csTrailer
			}
		}
	}
	return d.done, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
