package websocket

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
)

// maxHandshakeResponse bounds the head of the server's handshake response.
const maxHandshakeResponse = 16 << 10

// ClientOptions configure a client connection (Dial).
type ClientOptions struct {
	// Header holds more request fields: Origin, Cookie, Authorization...
	Header http.Header
	// TLSConfig configures a wss:// connection: RootCAs to verify the
	// server with (nil: the system's roots), client certificates...
	// ServerName defaults to the URL's host. Unused for ws://.
	TLSConfig *tls.Config
	// Subprotocols are offered in this order; Subprotocol(c) tells which
	// one the server chose.
	Subprotocols []string
	// Deflate, when set, offers permessage-deflate with these parameters;
	// messages of CompressThreshold bytes or more are then compressed.
	Deflate           *DeflateConfig
	CompressThreshold int
	// MaxMessageSize bounds a received message (0: the connection's
	// MaxPackageSize).
	MaxMessageSize int
	// Binary makes Send of a string write a binary frame.
	Binary bool
	// PingInterval, IdleTimeout and CloseTimeout are as in Options: by
	// default a ping every 30 s (DefaultPingInterval) and a close with
	// 1001 after 60 s without anything from the server
	// (DefaultIdleTimeout); a negative value turns either off.
	PingInterval time.Duration
	IdleTimeout  time.Duration
	CloseTimeout time.Duration
	// HandshakeTimeout bounds the wait for the server's 101 (default 10 s).
	HandshakeTimeout time.Duration

	// OnWebSocketConnect runs when the server has accepted the handshake:
	// the connection is a WebSocket from then on (messages sent earlier
	// are written right after it).
	OnWebSocketConnect func(c *connection.Conn)
	Callbacks
}

// Dial prepares a WebSocket client connection to rawURL
// ("ws://host:port/path?query"), as Workerman's
// AsyncTcpConnection('ws://...'): set its callbacks, then Connect. Its
// OnMessage receives each data message (the payload valid until it
// returns); OnConnect fires when TCP connects, OnWebSocketConnect when the
// handshake is done. Send may be called before then: frames are written
// after the handshake, in order. Every frame is masked with a fresh random
// key, as RFC 6455 requires of clients.
//
// A wss:// URL connects over TLS (the standard crypto/tls, on the event
// loops), verifying the server's certificate for the URL's host (also sent
// as SNI) against opts.TLSConfig's RootCAs, or the system's roots.
func Dial(rawURL string, opts ClientOptions) (*connection.AsyncConn[Message], error) {
	p, err := newClientProtocol(rawURL, opts)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(rawURL)
	a, err := connection.NewAsync("ws://"+hostPort(u), p)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "wss" {
		cfg := &tls.Config{}
		if opts.TLSConfig != nil {
			cfg = opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"http/1.1"}
		}
		a.TLSConfig = cfg
	}
	return a, nil
}

// newClientProtocol returns the "ws" scheme for connection.NewAsync, talking
// to rawURL's path and query (what Dial connects with).
func newClientProtocol(rawURL string, opts ClientOptions) (protocols.Protocol[Message], error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	switch {
	case u.Scheme != "ws" && u.Scheme != "wss":
		return nil, fmt.Errorf("websocket: %s: the scheme must be ws or wss", rawURL)
	case u.Host == "":
		return nil, fmt.Errorf("websocket: %s: no host", rawURL)
	}
	for _, f := range opts.Header {
		if !validField(f) {
			return nil, fmt.Errorf("websocket: invalid request field %q", f.Name)
		}
	}
	target := u.EscapedPath()
	if target == "" {
		target = "/"
	}
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	return &clientProtocol{opts: opts, host: u.Host, target: target}, nil
}

func hostPort(u *url.URL) string {
	switch {
	case u.Port() != "":
		return u.Host
	case u.Scheme == "wss":
		return u.Host + ":443"
	}
	return u.Host + ":80"
}

func validField(f http.Field) bool {
	_, err := http.NewResponse(200, "").WithHeader(f.Name, f.Value).AppendTo(nil, nil)
	return err == nil
}

type clientProtocol struct {
	opts         ClientOptions
	host, target string
}

func (p *clientProtocol) Scheme() string { return "ws" }

func (p *clientProtocol) NewCodec(limits protocols.Limits) protocols.Codec[Message] {
	o := &p.opts
	set := &connSettings{
		Callbacks: o.Callbacks, role: wsframe.RoleClient, max: o.MaxMessageSize, binary: o.Binary,
		compressThreshold: o.CompressThreshold, closeTimeout: o.CloseTimeout,
	}
	set.pingInterval, set.idleTimeout = keepalive(o.PingInterval, o.IdleTimeout)
	set.checkEvery = checkEvery(set.pingInterval, set.idleTimeout)
	if set.max <= 0 {
		set.max = limits.MaxPackageSize
	}
	s := newCodec(set)
	s.client = &clientState{}
	s.handshake = &clientHandshake{p: p}
	return s
}

// Subprotocol returns the subprotocol the server chose on the client
// connection c ("" for none, or before the handshake is done).
func Subprotocol(c *connection.Conn) string {
	if s, ok := c.Codec().(*codec); ok {
		if s.client != nil {
			if p, ok := s.client.subprotocol.Load().(string); ok {
				return p
			}
		}
	}
	return ""
}

// clientHandshake writes the opening handshake and reads the answer.
type clientHandshake struct {
	p     *clientProtocol
	key   string
	timer *connection.Timer
}

func (h *clientHandshake) opened(s *codec) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	h.key = base64.StdEncoding.EncodeToString(raw[:])
	b := []byte("GET " + h.p.target + " HTTP/1.1\r\nHost: " + h.p.host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + h.key +
		"\r\nSec-WebSocket-Version: 13\r\n")
	if len(h.p.opts.Subprotocols) > 0 {
		b = append(b, "Sec-WebSocket-Protocol: "+strings.Join(h.p.opts.Subprotocols, ", ")+"\r\n"...)
	}
	if h.p.opts.Deflate != nil {
		b = append(b, "Sec-WebSocket-Extensions: "+wsframe.DeflateOffer(*h.p.opts.Deflate)+"\r\n"...)
	}
	for _, f := range h.p.opts.Header {
		b = append(b, f.Name+": "+f.Value+"\r\n"...)
	}
	b = append(b, "\r\n"...)
	_ = s.conn.SendRaw(b)
	timeout := h.p.opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	c := s.conn
	h.timer = c.After(timeout, func() {
		if s.handshake != nil {
			c.Destroy()
		}
	})
}

func (h *clientHandshake) decode(s *codec, in []byte) (int, error) {
	end := bytes.Index(in, []byte("\r\n\r\n"))
	if end < 0 {
		if len(in) > maxHandshakeResponse {
			return 0, &handshakeError{msg: "the server's handshake response is too large"}
		}
		return 0, nil
	}
	n := end + 4
	status, fields, err := parseResponseHead(in[:end])
	if err != nil {
		return 0, err
	}
	if status != 101 {
		return 0, &handshakeError{msg: fmt.Sprintf("the server answered %d %s", status, http.StatusText(status))}
	}
	hasToken := func(name, token string) bool {
		for _, v := range fields.Values(name) {
			for _, t := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case !hasToken("Upgrade", "websocket"):
		return 0, &handshakeError{msg: "the response lacks Upgrade: websocket"}
	case !hasToken("Connection", "upgrade"):
		return 0, &handshakeError{msg: "the response lacks Connection: Upgrade"}
	case strings.TrimSpace(fields.Get("Sec-WebSocket-Accept")) != wsframe.AcceptKey(h.key):
		return 0, &handshakeError{msg: "wrong Sec-WebSocket-Accept"}
	}
	proto := strings.TrimSpace(fields.Get("Sec-WebSocket-Protocol"))
	if proto != "" && !slices.Contains(h.p.opts.Subprotocols, proto) {
		return 0, &handshakeError{msg: fmt.Sprintf("the server chose subprotocol %q, which was not offered", proto)}
	}
	s.client.subprotocol.Store(proto)
	exts, err := wsframe.ParseExtensions(strings.Join(fields.Values("Sec-WebSocket-Extensions"), ", "))
	if err != nil {
		return 0, &handshakeError{msg: "malformed Sec-WebSocket-Extensions: " + err.Error()}
	}
	if len(exts) > 0 {
		if h.p.opts.Deflate == nil {
			return 0, &handshakeError{msg: "the server chose an extension that was not offered"}
		}
		params, ok, err := wsframe.ParseDeflateResponse(exts, *h.p.opts.Deflate)
		if err != nil || !ok {
			return 0, &handshakeError{msg: fmt.Sprintf("unacceptable extensions %q", fields.Get("Sec-WebSocket-Extensions"))}
		}
		s.comp = params.NewCompressor(wsframe.RoleClient, h.p.opts.Deflate.Level)
		s.asm.Reset(wsframe.Config{Role: wsframe.RoleClient, MaxMessageSize: s.set.max, Decompressor: params.NewDecompressor(wsframe.RoleClient)})
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	s.handshakeDone()
	if hook := h.p.opts.OnWebSocketConnect; hook != nil {
		s.guard("OnWebSocketConnect", func() { hook(s.conn) })
	}
	return n, nil
}

// parseResponseHead parses a response's status line and fields (the head
// without its final CRLF CRLF).
func parseResponseHead(head []byte) (int, http.Header, error) {
	lines := strings.Split(string(head), "\r\n")
	var status int
	if _, err := fmt.Sscanf(lines[0], "HTTP/1.1 %d", &status); err != nil || status < 100 || status > 999 {
		return 0, nil, &handshakeError{msg: fmt.Sprintf("malformed status line %q", lines[0])}
	}
	var h http.Header
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return 0, nil, &handshakeError{msg: fmt.Sprintf("malformed response field %q", line)}
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return status, h, nil
}
