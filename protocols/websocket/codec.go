package websocket

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/sweep"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// Defaults of the connection side, for option fields that are zero.
const (
	DefaultCloseTimeout      = 5 * time.Second
	DefaultCompressThreshold = 512
	// DefaultPingInterval is how often a connection pings its peer when
	// PingInterval is 0.
	DefaultPingInterval = 30 * time.Second
	// DefaultIdleTimeout is twice DefaultPingInterval: with the default
	// pings, a connection from which nothing (no message, no pong, no ping)
	// has arrived for that long is closed with CloseGoingAway (1001). It is
	// also the idle timeout of a connection whose pings are turned off.
	DefaultIdleTimeout = 2 * DefaultPingInterval
)

// keepalive resolves the PingInterval and IdleTimeout of the options: 0
// selects the default, a negative value turns the check off (0 in the
// result). A zero IdleTimeout is twice the ping interval, or
// DefaultIdleTimeout without pings.
func keepalive(ping, idle time.Duration) (time.Duration, time.Duration) {
	switch {
	case ping == 0:
		ping = DefaultPingInterval
	case ping < 0:
		ping = 0
	}
	switch {
	case idle == 0 && ping > 0:
		idle = 2 * ping
	case idle == 0:
		idle = DefaultIdleTimeout
	case idle < 0:
		idle = 0
	}
	return ping, idle
}

// Callbacks are the WebSocket events of a connection, with Workerman's
// names. They run on the connection's event loop and must not block.
type Callbacks struct {
	// OnWebSocketPing replaces the automatic pong.
	OnWebSocketPing func(c *connection.Conn, payload []byte)
	OnWebSocketPong func(c *connection.Conn, payload []byte)
	// OnWebSocketClose runs when the connection ends: with the peer's close
	// code and reason when it sent a close frame (CloseNoStatus when the
	// frame had none), with CloseAbnormal when the TCP connection ended
	// without one.
	OnWebSocketClose func(c *connection.Conn, code int, reason string)
}

// clientState is what only a client codec keeps.
type clientState struct {
	// early holds the frames encoded before the handshake completed;
	// Encode calls are serialized by the connection, so it needs no lock.
	early       []byte
	subprotocol atomic.Value // string: the one the server chose
}

// connSettings is what a codec needs of its options, on either side.
type connSettings struct {
	Callbacks
	role              wsframe.Role
	max               int
	binary            bool
	compressThreshold int
	pingInterval      time.Duration // 0: no pings
	idleTimeout       time.Duration // 0: no idle timeout
	checkEvery        time.Duration // the keep-alive sweep's interval; 0 when both are off
	closeTimeout      time.Duration
}

// codec is one connection's WebSocket state, for a server or a client.
// Decode, the handshake and the timers run on the connection's loop; Encode
// runs on any goroutine, under the connection's send lock (which also
// serializes the compressor).
type codec struct {
	set *connSettings

	// handshake is set until the opening handshake is complete; while it is,
	// Decode reads it instead of frames.
	handshake interface {
		decode(s *codec, in []byte) (n int, err error)
	}
	asm  wsframe.Assembler
	comp *wsframe.Compressor // nil without permessage-deflate

	binary  atomic.Bool
	client  *clientState // a client's own state; nil on a server
	closing atomic.Bool  // a close frame was sent
	closed  atomic.Bool  // a close frame was received, or the connection ended

	// ready is set when the opening handshake is complete. Until then a
	// client's Encode keeps its frames in client.early, written right after
	// the handshake.
	ready atomic.Bool

	// Loop-only.
	conn      *connection.Conn
	gotClose  bool
	activity  uint64 // counts the Decode calls that consumed input
	seen      uint64 // activity at the keep-alive sweep's last visit
	quietFrom int64  // sweep.Now(): the visit that last saw activity change
	pingedAt  int64  // sweep.Now(): the last ping sent (or the start)
}

func newCodec(set *connSettings) *codec {
	s := &codec{set: set}
	s.asm.Reset(wsframe.Config{Role: set.role, MaxMessageSize: set.max})
	s.binary.Store(set.binary)
	return s
}

// SetBinary makes Send of a string on the WebSocket connection c write
// binary frames (true) or text frames (false), as Workerman's websocketType.
// It reports false when c is not a WebSocket connection.
func SetBinary(c *connection.Conn, binary bool) bool {
	s, ok := c.Codec().(*codec)
	if ok {
		s.binary.Store(binary)
	}
	return ok
}

// Opened implements connection.ConnCodec.
func (s *codec) Opened(c *connection.Conn) {
	s.conn = c
	if h, ok := s.handshake.(interface{ opened(s *codec) }); ok {
		h.opened(s)
	}
	if s.handshake == nil {
		s.startTimers()
	}
}

// Closed implements connection.ConnCodec.
func (s *codec) Closed() {
	if s.comp != nil {
		s.comp.Release()
	}
	if h, ok := s.handshake.(*serverHandshake); ok {
		h.release() // closed during the handshake
		s.handshake = nil
		s.closed.Store(true)
		return
	}
	if s.handshake == nil && !s.gotClose && s.set.OnWebSocketClose != nil {
		s.guard("OnWebSocketClose", func() { s.set.OnWebSocketClose(s.conn, CloseAbnormal, "") })
	}
	s.closed.Store(true)
}

// guard runs a user callback as the framework runs every callback (see
// connection.Conn.Guard) and reports whether it panicked.
func (s *codec) guard(name string, fn func()) (panicked bool) {
	return !s.conn.Guard(name, fn)
}

// frameHeader returns the header of a frame this side sends: masked with a
// fresh key on a client.
func (s *codec) frameHeader(op Opcode) wsframe.FrameHeader {
	h := wsframe.FrameHeader{Fin: true, Opcode: op}
	if s.set.role == wsframe.RoleClient {
		h.Masked, h.MaskKey = true, wsframe.NewMaskKey()
	}
	return h
}

// controlFrame encodes a control frame of this side.
func (s *codec) controlFrame(op Opcode, payload []byte) []byte {
	return wsframe.AppendFrame(nil, s.frameHeader(op), payload)
}

// Decode implements protocols.Codec.
func (s *codec) Decode(in []byte) (Message, int, bool, error) {
	if s.handshake != nil {
		n, err := s.handshake.decode(s, in)
		return Message{}, n, n > 0 && err == nil, err
	}
	m, n, ok, err := s.asm.Next(in)
	if n > 0 {
		s.activity++
	}
	if err != nil || !ok {
		return Message{}, n, n > 0 && err == nil, err
	}
	switch m.Opcode {
	case OpPing:
		if hook := s.set.OnWebSocketPing; hook != nil {
			s.guard("OnWebSocketPing", func() { hook(s.conn, m.Payload) })
		} else if !s.closing.Load() {
			_ = s.conn.SendRaw(s.controlFrame(OpPong, m.Payload))
		}
		return Message{}, n, true, nil
	case OpPong:
		if hook := s.set.OnWebSocketPong; hook != nil {
			s.guard("OnWebSocketPong", func() { hook(s.conn, m.Payload) })
		}
		return Message{}, n, true, nil
	case OpClose:
		s.receivedClose(m.Payload)
		return Message{}, n, true, nil
	}
	s.counters().received.Add(1)
	return Message(m), n, false, nil
}

// receivedClose answers the peer's close frame (unless this side started
// the closing handshake) and closes the connection.
func (s *codec) receivedClose(payload []byte) {
	code, reason, _ := wsframe.ParseClosePayload(payload) // validated by the Assembler
	s.gotClose = true
	s.closed.Store(true)
	if !s.closing.Swap(true) {
		var echo []byte
		if code != CloseNoStatus {
			echo = wsframe.AppendClosePayload(nil, code, "")
		}
		_ = s.conn.SendRaw(s.controlFrame(OpClose, echo))
	}
	s.conn.Close()
	if hook := s.set.OnWebSocketClose; hook != nil {
		s.guard("OnWebSocketClose", func() { hook(s.conn, code, reason) })
	}
}

// handshakeDone switches from the handshake to frames: timers start, and a
// client's early frames are written.
func (s *codec) handshakeDone() {
	if h, ok := s.handshake.(*serverHandshake); ok {
		h.release()
	}
	s.handshake = nil
	s.startTimers()
	if s.set.role == wsframe.RoleClient {
		_ = s.conn.Send(flushEarly{}) // sets ready, in order with other sends
	} else {
		s.ready.Store(true)
	}
}

// startTimers puts the connection in its loop's keep-alive sweep, which
// pings the peer and closes the connection when it is idle: one loop timer
// for all the loop's connections, so a connection costs a slot in a slice,
// not a timer of its own. Call it on the loop.
func (s *codec) startTimers() {
	every := s.set.checkEvery
	if every <= 0 || s.conn == nil {
		return
	}
	now := sweep.Now()
	s.quietFrom, s.pingedAt = now, now
	keepalives(s.conn.Loop(), every).Add(s)
}

// keepaliveKey is the key of a loop's sweep of the WebSocket connections
// checked every d (connection.Loop.Local).
type keepaliveKey struct{ every time.Duration }

// keepalives returns loop l's sweep of the connections checked every d.
// Call it on l.
func keepalives(l *connection.Loop, d time.Duration) *sweep.Sweep[*codec] {
	return l.Local(keepaliveKey{d}, func() any {
		return sweep.New(l, d, (*codec).check)
	}).(*sweep.Sweep[*codec])
}

// checkEvery is how often the keep-alive sweep visits a connection with
// ping interval ping and idle timeout idle (0 for either when off): a
// quarter of the shorter, so that a ping is at most that late and a silent
// connection is closed at most that long after its idle timeout; 0 when
// both are off.
func checkEvery(ping, idle time.Duration) time.Duration {
	d := idle
	if ping > 0 && (d <= 0 || ping < d) {
		d = ping
	}
	if d <= 0 {
		return 0
	}
	return max(d/4, time.Millisecond)
}

// check is the keep-alive sweep's visit at now (sweep.Now): it closes the
// connection with CloseGoingAway when nothing has arrived from the peer for
// the idle timeout, and pings the peer every ping interval. It reports
// whether the connection stays in the sweep: one that is closing or closed
// leaves it.
//
// Traffic is counted as it arrives, not timed: quietFrom is the visit that
// first saw the count of the latest traffic, which arrived before it, so
// the peer has been silent for at least now-quietFrom; the connection is
// closed between the idle timeout and one visit (plus a timer tick) later.
func (s *codec) check(now int64) (keep bool) {
	if s.closing.Load() || s.closed.Load() {
		return false
	}
	set := s.set
	if s.activity != s.seen {
		s.seen, s.quietFrom = s.activity, now
	} else if set.idleTimeout > 0 && time.Duration(now-s.quietFrom) >= set.idleTimeout {
		Close(s.conn, CloseGoingAway, "idle timeout")
		return false
	}
	// Half a visit of slack: visits come every checkEvery, give or take the
	// loop's timer tick, and a ping is due every so many of them.
	if set.pingInterval > 0 && time.Duration(now-s.pingedAt) >= set.pingInterval-set.checkEvery/2 {
		s.pingedAt = now
		_ = s.conn.SendRaw(s.controlFrame(OpPing, nil))
	}
	return true
}

// closeRequest is what Close sends through the codec.
type closeRequest struct {
	code   int
	reason string
}

// flushEarly makes a client's Encode write the frames it held back during
// the handshake, in order before any later frame.
type flushEarly struct{}

// Close starts the closing handshake of the WebSocket connection c: it
// sends a close frame with code and reason (cut to 123 bytes), sends
// nothing after it, and closes the connection when the peer answers, or
// after the close timeout. On a connection that is not a WebSocket
// connection it just closes c. Safe for concurrent use.
//
// A code that may not be sent in a close frame (outside 1000-1003,
// 1007-1014 and 3000-4999: 0, 1004, CloseNoStatus, CloseAbnormal,
// CloseTLSHandshake, 5000...; see wsframe.ValidCloseCode) still closes
// cleanly: the close frame then has an empty payload, no status and no
// reason, which the peer reports as CloseNoStatus (1005).
func Close(c *connection.Conn, code int, reason string) {
	s, ok := c.Codec().(*codec)
	if !ok {
		c.Close()
		return
	}
	if err := c.Send(closeRequest{code, reason}); err != nil {
		c.Close()
		return
	}
	timeout := s.set.closeTimeout
	if timeout <= 0 {
		timeout = DefaultCloseTimeout
	}
	c.After(timeout, func() { c.Close() })
}

// ErrClosing is returned by Send once a close frame has been sent.
var ErrClosing = errors.New("websocket: the connection is closing")

// Encode implements protocols.Codec.
func (s *codec) Encode(dst []byte, msg any) ([]byte, error) {
	if _, ok := msg.(flushEarly); ok {
		dst = append(dst, s.client.early...)
		s.client.early = nil
		s.ready.Store(true)
		return dst, nil
	}
	if s.closing.Load() {
		return dst, ErrClosing
	}
	if !s.ready.Load() {
		if s.set.role == wsframe.RoleServer {
			return dst, errors.New("websocket: Send before the handshake is complete")
		}
		// Before the handshake completes: encoded now, written after it.
		var err error
		s.client.early, err = s.encode(s.client.early, msg)
		return dst, err
	}
	return s.encode(dst, msg)
}

func (s *codec) encode(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case string:
		op := OpText
		if s.binary.Load() {
			op = OpBinary
		}
		return appendData(s, dst, op, m), nil
	case []byte:
		return appendData(s, dst, OpBinary, m), nil
	case protocols.Raw:
		s.counters().sent.Add(1)
		return append(dst, m...), nil // whole frames, encoded by the sender
	case Message:
		switch m.Opcode {
		case OpText, OpBinary:
			return appendData(s, dst, m.Opcode, m.Payload), nil
		case OpPing, OpPong:
			if len(m.Payload) > wsframe.MaxControlPayload {
				return dst, fmt.Errorf("websocket: %v payload of %d bytes (at most %d)", m.Opcode, len(m.Payload), wsframe.MaxControlPayload)
			}
			return wsframe.AppendFrame(dst, s.frameHeader(m.Opcode), m.Payload), nil
		}
		return dst, fmt.Errorf("websocket: cannot send a %v message (use Close)", m.Opcode)
	case closeRequest:
		// A code that may not be sent gives an empty payload: a close
		// frame without a status (AppendClosePayload).
		s.closing.Store(true)
		return wsframe.AppendFrame(dst, s.frameHeader(OpClose), wsframe.AppendClosePayload(nil, m.code, m.reason)), nil
	}
	return dst, fmt.Errorf("websocket: cannot send %T: %w", msg, protocols.ErrUnsupportedMessage)
}

func appendData[P string | []byte](s *codec, dst []byte, op Opcode, payload P) []byte {
	s.counters().sent.Add(1)
	h := s.frameHeader(op)
	threshold := s.set.compressThreshold
	if threshold <= 0 {
		threshold = DefaultCompressThreshold
	}
	if s.comp != nil && len(payload) >= threshold {
		return s.comp.AppendFrame(dst, h, []byte(payload)) // a string is copied once; deflate costs far more
	}
	return wsframe.AppendFrame(dst, h, payload)
}

// handshakeError is a refused opening handshake: on a server, answered with
// an HTTP status; on a client, the reason the server's answer was refused.
type handshakeError struct {
	status int
	msg    string
	header http.Header
}

func (e *handshakeError) Error() string { return "websocket: handshake refused: " + e.msg }

func (e *handshakeError) response() *http.Response {
	r := http.NewResponse(e.status, e.msg+"\n").WithHeader("Content-Type", "text/plain; charset=utf-8")
	r.Header = append(r.Header, e.header...)
	return r
}

// Reply implements protocols.Rejection (the handshake of a websocket://
// connection).
func (e *handshakeError) Reply() []byte {
	if e.status == 0 {
		return nil
	}
	r := e.response().WithHeader("Connection", "close")
	b, _ := r.AppendTo(nil, nil)
	return b
}
