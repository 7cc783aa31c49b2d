package loadgen

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// WebSocket modes: every connection sends the opening handshake (a GET of
// Path with Upgrade: websocket and a fresh Sec-WebSocket-Key) as soon as it
// is established, and the response must be 101 with the right
// Sec-WebSocket-Accept (the head is read by the same reader as an event
// stream's). Frames from the server are then read by a wsframe.Assembler
// in the client role (unmasked frames, every rule of RFC 6455 checked);
// frames to the server are masked with a fresh key from
// wsframe.NewMaskKey (wsframe.AppendFrame). After all handshakes are in
// (OnReady), depending on the mode:
//
//   - ws-echo: the echo schedule of the echo mode (Depth messages in flight
//     per connection, each completed one replaced at once, Warmup then
//     Duration), with text messages of Size bytes. Each payload is ASCII
//     and starts with the message's sequence number in hex, so an echo is
//     checked (payload and order) against what was sent;
//   - ws-idle: the connections are held as in the idle mode: anything the
//     server sends counts as unexpected;
//   - ws-broadcast: the fan-out schedule of the sse mode (Publishes awaited
//     one at a time, then a burst of PublishBurst; POST PublishPath to
//     PublishTarget). Every data message must be "<n> <unix ns>": n numbers
//     the publishes 1, 2, 3... on every connection (checked), and the time
//     of the publish gives the latency.
//
// Control frames from the server are not answered (neither benchmarked
// server sends pings); a close frame ends the connection and counts as
// closed by the server.

// wsState is the per-connection state of a WebSocket connection.
type wsState struct {
	key      string // the handshake's Sec-WebSocket-Key, until the 101 is checked
	head     headReader
	headDone bool
	asm      wsframe.Assembler
	pending  []byte // the start of a frame header that has not fully arrived
	lastID   uint64 // ws-broadcast: the number of the last message
}

// newWSKey returns a fresh Sec-WebSocket-Key: the base64 of 16 random
// bytes.
func newWSKey() string {
	var b [16]byte
	for i := 0; i < len(b); i += 4 {
		k := wsframe.NewMaskKey()
		copy(b[i:], k[:])
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// wsRequest is the opening handshake of a connection.
func wsRequest(path, key string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
}

// wsStart sends the handshake of a connection just established.
func (l *loop) wsStart(c *conn) {
	key := newWSKey()
	c.ws = &wsState{key: key}
	c.ws.asm.Reset(wsframe.Config{Role: wsframe.RoleClient})
	l.writeRequest(c, wsRequest(l.cfg.Path, key))
}

// wsFeed handles b, the next bytes the server sent on c: the rest of the
// 101 response, then frames.
func (l *loop) wsFeed(c *conn, b []byte) {
	s := c.ws
	if !s.headDone {
		h, done, rest, err := s.head.feed(b)
		if err == nil && done {
			err = h.checkWebSocket(s.key)
		}
		if err != nil {
			l.streamFail(c, "handshake", err)
			return
		}
		if !done {
			return
		}
		s.headDone, s.key = true, ""
		l.heads++
		b = rest
	}
	in := b
	if len(s.pending) > 0 {
		s.pending = append(s.pending, b...)
		in = s.pending
	}
	for len(in) > 0 {
		m, n, ok, err := s.asm.Next(in)
		if err != nil {
			l.streamFail(c, "websocket", err)
			return
		}
		in = in[n:]
		if ok {
			if l.wsMessage(c, m); c.state != stOpen {
				return
			}
			continue
		}
		if n == 0 {
			break // part of a frame header: wait for the rest
		}
	}
	// Keep the incomplete header (in may be the tail of s.pending itself:
	// append moves it to the front).
	s.pending = append(s.pending[:0], in...)
}

// wsMessage handles a message (or control frame) from the server.
func (l *loop) wsMessage(c *conn, m wsframe.Message) {
	switch m.Opcode {
	case wsframe.OpClose:
		l.peerClosed++
		code, reason, _ := wsframe.ParseClosePayload(m.Payload)
		l.noteErr("websocket", errors.New("close frame "+strconv.Itoa(code)+" "+reason))
		l.closeConn(c)
		return
	case wsframe.OpPing, wsframe.OpPong:
		l.noteErr("websocket", errors.New(m.Opcode.String()+" from the server (not answered)"))
		return
	}
	switch l.cfg.Mode {
	case ModeWSEcho:
		l.wsEchoed(c, m.Payload)
	case ModeWSBroadcast:
		l.nEvents++
		id, ts, ok := parseStamped(m.Payload)
		if !ok {
			l.badData++
			return
		}
		l.fanEvent(&c.ws.lastID, id, true, ts)
	default:
		l.unexpected += uint64(len(m.Payload))
	}
}

// parseStamped reads the data of a broadcast message: "<n> <unix ns>", two
// decimal numbers separated by one space.
func parseStamped(p []byte) (n uint64, ns int64, ok bool) {
	i := bytes.IndexByte(p, ' ')
	if i < 0 {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(string(p[:i]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	ns, err = strconv.ParseInt(string(p[i+1:]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return n, ns, true
}

// ---- ws-echo ---------------------------------------------------------------

// wsFrameOverhead is the length of the header of a masked client frame
// with a payload of size bytes.
func wsFrameOverhead(size int) int {
	return wsframe.HeaderSize(wsframe.FrameHeader{Masked: true, Length: int64(size)})
}

// textTemplate is the payload pattern of connection g: size ASCII letters.
func textTemplate(size, g int) []byte {
	t := make([]byte, size)
	for k := range t {
		t[k] = byte('a' + (k*7+g*13)%26)
	}
	return t
}

// stampText writes seq in hex into the first 16 bytes of msg (messages
// shorter than 16 bytes carry its low digits), keeping the payload ASCII.
func stampText(msg []byte, seq uint64) {
	const digits = "0123456789abcdef"
	for i := min(len(msg), 16) - 1; i >= 0; i-- {
		msg[i] = digits[seq&15]
		seq >>= 4
	}
}

// appendWSMessage appends message seq of c, a masked text frame, to its
// write buffer.
func (l *loop) appendWSMessage(c *conn, seq uint64) {
	copy(l.msg, c.tmpl)
	stampText(l.msg, seq)
	h := wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText, Masked: true, MaskKey: wsframe.NewMaskKey()}
	c.wbuf = wsframe.AppendFrame(c.wbuf, h, l.msg)
}

// wsEchoed checks an echoed payload against the oldest message in flight
// and completes it.
func (l *loop) wsEchoed(c *conn, p []byte) {
	if c.n == 0 || c.tmpl == nil {
		l.mismatch(c) // more messages than were sent
		return
	}
	copy(c.exp, c.tmpl)
	stampText(c.exp, c.rseq+1)
	if !bytes.Equal(p, c.exp) {
		l.mismatch(c)
		return
	}
	if l.nowRel >= l.warmEnd && l.nowRel < l.end {
		l.messages++
		l.hist.Record(l.nowRel - c.sentAt[c.head])
	}
	c.rseq++
	c.head = (c.head + 1) % len(c.sentAt)
	c.n--
	l.completed++
}

// wsReceive reads what the server echoed on c and, before end, replaces
// every completed message by a new one; the new ones go out in one write.
func (l *loop) wsReceive(c *conn, end time.Duration) {
	l.completed = 0
	l.streamRead(c)
	if c.state != stOpen || l.completed == 0 || l.nowRel >= end {
		return
	}
	for ; l.completed > 0; l.completed-- {
		l.queue(c)
	}
	l.flush(c)
}
