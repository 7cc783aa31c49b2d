package websocket

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// Options configure the server side of WebSocket connections: a
// "websocket://" Worker (Protocol) or an upgrade on an http Worker
// (Upgrade). The callbacks run on the connection's event loop and must not
// block; their names are Workerman's.
type Options struct {
	// Subprotocols the server speaks, in its order of preference; the
	// first one the client offers is chosen (Sec-WebSocket-Protocol).
	Subprotocols []string
	// MaxMessageSize bounds a message after decompression (1009 beyond).
	// 0: the connection's MaxPackageSize (10 MiB by default).
	MaxMessageSize int
	// Deflate, when set, accepts permessage-deflate (RFC 7692) with these
	// parameters; outgoing messages of CompressThreshold bytes or more are
	// compressed. Decompression is bounded by MaxMessageSize.
	Deflate           *DeflateConfig
	CompressThreshold int // default 512 bytes
	// Binary makes Send of a string write a binary frame (Workerman's
	// $connection->websocketType = BINARY_TYPE_ARRAYBUFFER); see SetBinary
	// for one connection. A []byte is always sent as binary.
	Binary bool
	// PingInterval is how often the connection pings the peer: 0 means
	// DefaultPingInterval (30 s), a negative value sends no pings.
	// IdleTimeout closes the connection with CloseGoingAway (1001) once
	// nothing at all (no message, no pong, no ping) has arrived from the
	// peer for that long: 0 means twice the ping interval (60 s by
	// default, DefaultIdleTimeout), or DefaultIdleTimeout when pings are
	// off; a negative value never closes an idle connection. A peer that
	// answers pings is never idle. Both are kept by one timer per event
	// loop for all its connections, which visits each every quarter of the
	// shorter of the two: a ping may come up to that late, and a silent
	// connection is closed between IdleTimeout and that much later.
	PingInterval time.Duration
	IdleTimeout  time.Duration
	// CloseTimeout bounds the close handshake started by Close: without the
	// peer's close frame by then, the connection is closed anyway (default
	// 5 s).
	CloseTimeout time.Duration

	// OnWebSocketConnect runs with the handshake request before it is
	// accepted: it may check the Origin, read cookies, choose another
	// offered subprotocol, add fields to the 101 response, or refuse the
	// connection by returning an error (answered 403, or the status of an
	// *http.Error).
	OnWebSocketConnect func(c *connection.Conn, h *Handshake) error
	// OnWebSocketConnected runs once the 101 response is sent.
	OnWebSocketConnected func(c *connection.Conn, req *http.Request)
	// OnHTTPRequest, on a websocket:// Worker, answers a request that is
	// not a WebSocket handshake (a browser asking for the page that opens
	// the WebSocket): the response it returns is sent, then the connection
	// closes. Without it, or when it returns nil, such a request gets 400
	// (404 for nil).
	OnHTTPRequest func(c *connection.Conn, req *http.Request) *http.Response
	Callbacks
}

// maxFor is the message size limit of a connection whose MaxPackageSize
// is maxPackage.
func (o *Options) maxFor(maxPackage int) int {
	if o.MaxMessageSize > 0 {
		return o.MaxMessageSize
	}
	return maxPackage
}

func (o *Options) settings(maxPackage int) *connSettings {
	set := &connSettings{
		Callbacks: o.Callbacks, role: wsframe.RoleServer, max: o.MaxMessageSize, binary: o.Binary,
		compressThreshold: o.CompressThreshold, closeTimeout: o.CloseTimeout,
	}
	set.pingInterval, set.idleTimeout = keepalive(o.PingInterval, o.IdleTimeout)
	set.checkEvery = checkEvery(set.pingInterval, set.idleTimeout)
	if set.max <= 0 {
		set.max = maxPackage
	}
	return set
}

// Handshake is the opening handshake of a connection, as
// OnWebSocketConnect sees it.
type Handshake struct {
	Request *http.Request
	// Subprotocol is the subprotocol chosen from the client's offer ("" for
	// none). The callback may set another one the client offered.
	Subprotocol string
	// Header holds fields to add to the 101 response.
	Header http.Header

	offered []string
	deflate *wsframe.DeflateParams
}

// Offered returns the subprotocols the client offered, in its order.
func (h *Handshake) Offered() []string { return h.offered }

// Protocol is the "websocket://" scheme: a Worker whose connections are
// WebSocket connections from their first byte, as Workerman's websocket
// Worker. The opening handshake is answered (or refused, with an HTTP
// status) before any message; OnMessage receives each data message:
//
//	w := worker.New("websocket://0.0.0.0:8000", websocket.Protocol(websocket.Options{}))
//	w.OnMessage = func(c *connection.Conn, m websocket.Message) { c.Send("you said: " + string(m.Payload)) }
//
// m.Payload is only valid until OnMessage returns: copy it to keep it.
//
// On such a connection, Send writes a string as a text frame (binary with
// Options.Binary or SetBinary), a []byte as a binary frame, and a Message
// with its opcode (text, binary, ping, pong). Protocol errors close the
// connection with the RFC's close code; a close frame from the peer is
// answered and the connection closed; pings are answered with pongs. Close
// starts the closing handshake.
func Protocol(opts Options) protocols.Protocol[Message] { return &serverProtocol{opts: opts} }

type serverProtocol struct {
	opts Options
	// set is shared by the connections (made for the first one's limits;
	// a connection with other limits gets its own).
	set atomic.Pointer[connSettings]
}

func (p *serverProtocol) Scheme() string { return "websocket" }

func (p *serverProtocol) NewCodec(limits protocols.Limits) protocols.Codec[Message] {
	set := p.set.Load()
	if set == nil || set.max != p.opts.maxFor(limits.MaxPackageSize) {
		set = p.opts.settings(limits.MaxPackageSize)
		p.set.CompareAndSwap(nil, set)
	}
	s := newCodec(set)
	h := handshakePool.Get().(*serverHandshake)
	h.opts = &p.opts
	s.handshake = h
	return s
}

// Upgrade answers req, a request of an http Worker, with the WebSocket
// handshake and hands the connection over to the WebSocket protocol with
// onMessage: pages, event streams and WebSockets then share one port.
//
//	w.OnMessage = func(c *connection.Conn, r *http.Request) {
//		if r.IsUpgrade("websocket") {
//			websocket.Upgrade(c, r, opts, onWSMessage)
//			return
//		}
//		... serve the page ...
//	}
//
// When the request is not a valid handshake (or OnWebSocketConnect refuses
// it), Upgrade answers it with an HTTP error (400, 403, 426 with
// Sec-WebSocket-Version: 13) and returns the reason. Call it from the
// http Worker's OnMessage.
func Upgrade(c *connection.Conn, req *http.Request, opts Options, onMessage func(c *connection.Conn, m Message)) error {
	s := newCodec(opts.settings(c.MaxPackageSize()))
	s.conn = c
	reply, err := accept(s, &opts, req)
	if err != nil {
		var he *handshakeError
		if errors.As(err, &he) {
			_ = c.Send(he.response())
		}
		return err
	}
	if err := c.SendRaw(reply); err != nil {
		return fmt.Errorf("websocket: writing the handshake: %w", err)
	}
	s.handshake = nil
	s.ready.Store(true)
	connection.Switch[Message](c, s, onMessage) // Opened starts the timers
	if hook := opts.OnWebSocketConnected; hook != nil {
		s.guard("OnWebSocketConnected", func() { hook(c, req) })
	}
	return nil
}

// serverHandshake reads the opening handshake of a websocket:// connection.
// It is needed only until then, so it comes from a pool and goes back.
type serverHandshake struct {
	opts   *Options
	parser http.Parser
}

var handshakePool = sync.Pool{New: func() any { return new(serverHandshake) }}

// release returns h to the pool.
func (h *serverHandshake) release() {
	h.opts = nil
	h.parser.Reset()
	handshakePool.Put(h)
}

func (h *serverHandshake) decode(s *codec, in []byte) (int, error) {
	req, n, err := h.parser.Parse(in)
	if err != nil {
		return 0, err // an *http.Error: answered with its status
	}
	if req == nil {
		return n, nil
	}
	req.RemoteAddr = s.conn.RemoteAddr()
	if hook := h.opts.OnHTTPRequest; hook != nil && !req.IsUpgrade("websocket") {
		var resp *http.Response
		if s.guard("OnHTTPRequest", func() { resp = hook(s.conn, req) }) {
			return n, nil
		}
		if resp == nil {
			resp = http.NewResponse(404, "not found\n")
		}
		once := *resp // the application's response may be shared: add to a copy
		once.Header = append(resp.Header.Clone(), http.Field{Name: "Connection", Value: "close"})
		b, err := once.AppendTo(nil, req)
		if err != nil {
			return 0, fmt.Errorf("websocket: OnHTTPRequest response: %w", err)
		}
		_ = s.conn.SendRaw(b)
		s.conn.Close()
		return n, nil
	}
	opts := h.opts
	reply, err := accept(s, opts, req)
	if err != nil {
		return 0, err
	}
	if err := s.conn.SendRaw(reply); err != nil {
		return 0, fmt.Errorf("websocket: writing the handshake: %w", err)
	}
	s.handshakeDone()
	if hook := opts.OnWebSocketConnected; hook != nil {
		s.guard("OnWebSocketConnected", func() { hook(s.conn, req) })
	}
	return n, nil
}

// accept checks req as an opening handshake (RFC 6455 §4.2.1), runs
// OnWebSocketConnect, configures s for what was agreed and returns the 101
// response.
func accept(s *codec, opts *Options, req *http.Request) ([]byte, error) {
	refuse := func(status int, msg string) error { return &handshakeError{status: status, msg: msg} }
	key := strings.TrimSpace(req.Header.Get("Sec-WebSocket-Key"))
	switch {
	case req.Method != "GET":
		return nil, refuse(400, "a WebSocket handshake is a GET request")
	case req.ProtoMinor < 1:
		return nil, refuse(400, "a WebSocket handshake needs HTTP/1.1")
	case !req.IsUpgrade("websocket"):
		return nil, refuse(400, "not a WebSocket handshake (Upgrade: websocket and Connection: Upgrade)")
	case strings.TrimSpace(req.Header.Get("Sec-WebSocket-Version")) != "13":
		return nil, &handshakeError{status: 426, msg: "unsupported WebSocket version: this server speaks 13",
			header: http.Header{{Name: "Sec-WebSocket-Version", Value: "13"}}}
	case !wsframe.ValidKey(key):
		return nil, refuse(400, "Sec-WebSocket-Key is not the base64 of 16 bytes")
	}
	h := &Handshake{Request: req}
	offered := strings.Join(req.Header.Values("Sec-WebSocket-Protocol"), ",")
	for _, p := range strings.Split(offered, ",") {
		if p = strings.TrimSpace(p); p != "" {
			h.offered = append(h.offered, p)
		}
	}
	h.Subprotocol = wsframe.SelectSubprotocol(offered, opts.Subprotocols)
	if opts.Deflate != nil {
		if exts, err := wsframe.ParseExtensions(strings.Join(req.Header.Values("Sec-WebSocket-Extensions"), ", ")); err == nil {
			if p, ok := wsframe.NegotiateDeflate(exts, *opts.Deflate); ok {
				h.deflate = &p
			}
		}
	}
	if hook := opts.OnWebSocketConnect; hook != nil {
		var err error
		if s.guard("OnWebSocketConnect", func() { err = hook(s.conn, h) }) {
			return nil, refuse(500, "internal error")
		}
		if err != nil {
			var he *http.Error
			if errors.As(err, &he) {
				return nil, refuse(he.Status, strings.TrimPrefix(he.Msg, "http: "))
			}
			return nil, refuse(403, "forbidden")
		}
		if h.Subprotocol != "" && !slices.Contains(h.offered, h.Subprotocol) {
			slog.Error("websocket: OnWebSocketConnect chose a subprotocol the client did not offer", "subprotocol", h.Subprotocol)
			return nil, refuse(500, "internal error")
		}
	}

	for _, f := range h.Header {
		if !validField(f) {
			slog.Error("websocket: OnWebSocketConnect added an invalid field", "name", f.Name)
			return nil, refuse(500, "internal error")
		}
	}
	// Written directly: the one response every connection gets is not worth
	// building as an http.Response.
	reply := make([]byte, 0, 160)
	reply = append(reply, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	reply = append(reply, wsframe.AcceptKey(key)...)
	reply = append(reply, "\r\n"...)
	if h.Subprotocol != "" {
		reply = append(reply, "Sec-WebSocket-Protocol: "+h.Subprotocol+"\r\n"...)
	}
	if h.deflate != nil {
		reply = append(reply, "Sec-WebSocket-Extensions: "+h.deflate.String()+"\r\n"...)
	}
	for _, f := range h.Header {
		reply = append(reply, f.Name+": "+f.Value+"\r\n"...)
	}
	reply = append(reply, "\r\n"...)
	if h.deflate != nil {
		s.comp = h.deflate.NewCompressor(wsframe.RoleServer, opts.Deflate.Level)
		s.asm.Reset(wsframe.Config{Role: wsframe.RoleServer, MaxMessageSize: s.set.max, Decompressor: h.deflate.NewDecompressor(wsframe.RoleServer)})
	}
	return reply, nil
}
