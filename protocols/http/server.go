package http

import (
	"encoding"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/sweep"
	"github.com/workerman-go/workerman/protocols"
	"github.com/workerman-go/workerman/protocols/http/internal/h2frame"
)

// Defaults of the server side, used for a Config field that is zero.
const (
	DefaultHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
	DefaultRestartRetry  = time.Second
)

// Config configures the server side of the protocol. The zero value gives
// the defaults.
type Config struct {
	// Limits bound each request (see Limits). MaxBodyBytes 0 takes the
	// connection's MaxPackageSize (Workerman's maxPackageSize, 10 MiB by
	// default) as the body limit.
	Limits Limits
	// HeaderTimeout is how long the head of a request may take to arrive
	// once its first byte has: a slower client is answered 408 and the
	// connection closed (a slowloris defence). Default 10 s; negative: none.
	HeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that has had nothing to do
	// (no request arriving, no response in progress) for that long; it also
	// bounds the silence in the middle of a request body (then 408). The
	// check is coarse: a connection is closed between one and two
	// IdleTimeouts after it went quiet. Default 60 s; negative: none.
	IdleTimeout time.Duration
	// RestartRetry is the reconnection delay an event stream is given when
	// the server hands over to a new process (reload, restart): the stream
	// ends with "retry: N", N drawn between RestartRetry and twice that,
	// so that browsers come back to the new process spread over that
	// time, with their Last-Event-ID. Default DefaultRestartRetry.
	RestartRetry time.Duration
	// Session configures Request.Session (nil: the defaults, a file store
	// in the system's temporary folder, used only if the app asks for a
	// session).
	Session *SessionConfig
	// DisableHTTP2 serves HTTP/1.x only. By default a connection speaks
	// HTTP/2 (RFC 9113) when its TLS handshake chose "h2" (the Worker
	// offers it by ALPN, see NextProtos), or, without TLS, when its first
	// bytes are the HTTP/2 client preface (prior knowledge, "h2c"). Each
	// stream is then a connection of its own to the application: see
	// "HTTP/2" in the package documentation.
	DisableHTTP2 bool
}

func (c Config) withDefaults() Config {
	if c.HeaderTimeout == 0 {
		c.HeaderTimeout = DefaultHeaderTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.RestartRetry <= 0 {
		c.RestartRetry = DefaultRestartRetry
	}
	return c
}

// Protocol is the HTTP/1.x server protocol with the default Config: the
// "http" scheme of a Worker, whose OnMessage receives each *Request.
//
//	w := worker.New("http://0.0.0.0:8080", http.Protocol())
//	w.OnMessage = func(c *connection.Conn, r *http.Request) { c.Send("hello") }
//
// See ProtocolWith for what the connection does and what Send accepts.
func Protocol() protocols.Protocol[*Request] { return ProtocolWith(Config{}) }

// ProtocolWith is the HTTP/1.x server protocol configured by cfg.
//
// # Requests
//
// Requests are parsed as Parser describes and handed to OnMessage one at a
// time: a pipelined request is delivered only once the response to the one
// before it is complete, so responses always go out in request order, even
// when a response is streamed for a long time. "100 Continue" is written
// when a request expects it, once its head is complete. A request that
// carries a session cookie is delivered once a goroutine has loaded its
// session (see Request.Session); the connection's input is paused
// meanwhile, and resumed after, undoing a PauseRecv made in that interval.
// A request the parser rejects is answered with its status (400, 413, 414,
// 417, 431, 501, 505), a Date and "Connection: close", and the connection
// closed; so is a head that takes longer than HeaderTimeout, or a body that
// stops arriving for IdleTimeout (408).
//
// # Responses
//
// c.Send answers the request being handled (it may be called from any
// goroutine, later than OnMessage):
//
//   - a *Response: its status, header fields and body (see
//     Response.AppendTo for the rules and the fields added);
//   - a string or []byte: a 200 response with that body and
//     "Content-Type: text/html; charset=utf-8", as in Workerman.
//
// While a response's body is still open, Send continues it instead:
//
//   - after a Chunked response, each string or []byte is one chunk, and an
//     empty one ends the body (as Workerman's empty Chunk does); a value
//     implementing encoding.TextAppender is appended as one chunk too;
//   - after a response with a Content-Length larger than its Body, the
//     next strings or []byte are the rest of the body, as they are, until
//     the announced length is complete (more is an error);
//   - after a Stream response, every string, []byte or
//     encoding.TextAppender (an SSE event) is written as it is until the
//     connection closes;
//   - a protocols.Raw is written as it is in any open body (a broadcast's
//     pre-encoded event; in a chunked body it must be whole chunks).
//
// Once a response is complete the connection reads the next request, or
// closes when the request or the response said so (HTTP/1.0 without
// keep-alive, "Connection: close"). A Send with no request to answer is an
// error.
func ProtocolWith(cfg Config) protocols.Protocol[*Request] {
	return &serverProtocol{cfg: cfg.withDefaults(), sessions: newSessionSetup(cfg.Session)}
}

type serverProtocol struct {
	cfg      Config
	sessions *sessionSetup
	// parsers are the Parsers of connections that read no more requests
	// (a stream, a closed connection), for the next ones: a parser and its
	// field slices are garbage that every connection would otherwise make.
	parsers sync.Pool
}

func (p *serverProtocol) Scheme() string { return "http" }

// NextProtos lists the protocols a TLS Worker of this protocol offers by
// ALPN, preferred first: "h2" and "http/1.1", or "http/1.1" alone with
// DisableHTTP2. The Worker uses it when its TLSConfig lists none.
func (p *serverProtocol) NextProtos() []string {
	if p.cfg.DisableHTTP2 {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
}

func (p *serverProtocol) NewCodec(limits protocols.Limits) protocols.Codec[*Request] {
	return &serverCodec{proto: p, maxBody: int64(limits.MaxPackageSize)}
}

// limits are the parser's limits for a connection whose Worker's
// MaxPackageSize is maxBody: the Config's, with MaxBodyBytes from it when
// the Config sets none.
func (p *serverProtocol) limits(maxBody int64) Limits {
	lim := p.cfg.Limits
	if lim.MaxBodyBytes <= 0 && maxBody > 0 {
		lim.MaxBodyBytes = maxBody
	}
	return lim.withDefaults()
}

// releaseParser gives back the parser of a connection that reads no more
// requests. It must not be used after.
func (p *serverProtocol) releaseParser(ps *Parser) {
	ps.reset()
	ps.st, ps.err, ps.cost, ps.body = stHead, nil, 0, nil
	if cap(ps.fields) > 64 || cap(ps.tfields) > 64 {
		return // a large head's: let it go
	}
	p.parsers.Put(ps)
}

// takeParser returns the connection's parser, from the protocol's pool on
// its first request. Loop-only.
func (s *serverCodec) takeParser() *Parser {
	if s.parser == nil {
		p, _ := s.proto.parsers.Get().(*Parser)
		if p == nil {
			p = &Parser{}
		}
		p.lim, p.ready = s.proto.limits(s.maxBody), true
		s.parser = p
	}
	return s.parser
}

// serverCodec is one connection's HTTP state. Decode and the deadline
// sweep run on the connection's loop; Encode runs on whatever goroutine
// calls Send, under the connection's send lock. mu guards what both sides
// touch.
type serverCodec struct {
	proto *serverProtocol
	// parser reads requests: taken from the protocol's pool by the first
	// Decode. A stream lets go of it (it reads no more requests): Encode
	// gives it back under mu, when no Decode can be using it (one runs only
	// while no request is being answered); so does Closed.
	parser  *Parser
	maxBody int64 // the Worker's MaxPackageSize: MaxBodyBytes unless Config sets it

	// Loop-only.
	conn      *connection.Conn
	gone      bool         // closed or switched away: the deadline sweep lets go
	headStart int64        // sweep.Now() when the head being read began arriving; 0 when none
	seen      uint64       // activity at the last sweep
	quietFrom int64        // sweep.Now() when activity last changed, as the sweep saw it
	loading   *sessionLoad // a request whose session is being loaded, not yet delivered
	h2        *h2Conn      // the connection speaks HTTP/2: its frames and streams
	h2Checked bool         // the first bytes were not the HTTP/2 preface (or TLS chose): HTTP/1.x
	stream    bool         // the codec of an HTTP/2 stream (its connection has a Parent)

	mu        sync.Mutex
	cur       *Request  // the request being answered; nil between requests
	streaming bool      // the response is a stream that ends with the connection
	events    bool      // ... of server-sent events (Content-Type text/event-stream)
	body      bodyKind  // how the current response's body continues
	remaining int64     // bodyLength: bytes still to come
	keepAlive bool      // the current response leaves the connection open
	draining  bool      // the server is ending the connection: responses close it
	closer    io.Closer // released when the current response ends (a file)
	activity  uint64    // counts reads, requests and responses, for the idle check
	effects   protocols.Effect
}

// Opened implements connection.ConnCodec.
func (s *serverCodec) Opened(c *connection.Conn) {
	s.conn = c
	s.stream = c.Parent() != nil
	if st, ok := c.TLS(); ok {
		s.h2Checked = true // over TLS, HTTP/2 is chosen by ALPN only
		if st.NegotiatedProtocol == "h2" && !s.proto.cfg.DisableHTTP2 {
			s.h2 = newH2Conn(s, c)
			s.h2.flushOut()
		}
	}
	if l := c.Loop(); l != nil && (s.proto.cfg.HeaderTimeout > 0 || s.proto.cfg.IdleTimeout > 0) {
		s.quietFrom = sweep.Now()
		deadlines(l, s.proto).Add(s)
	}
}

// Closed implements connection.ConnCodec. It also runs when the connection
// switches to another protocol (a WebSocket upgrade): the deadlines end.
func (s *serverCodec) Closed() {
	s.gone = true
	if s.h2 != nil {
		s.h2.closed()
	}
	s.loading = nil // its goroutine finishes on its own
	s.mu.Lock()
	s.endResponseLocked()
	if s.parser != nil && s.proto != nil {
		s.proto.releaseParser(s.parser)
		s.parser = nil
	}
	s.mu.Unlock()
}

// continueResponse is the interim response that tells a client waiting
// after "Expect: 100-continue" to send the body.
const continueResponse = "HTTP/1.1 100 Continue\r\n\r\n"

// sessionLoad is a parsed request held back while its session is loaded
// on a goroutine. Its bytes stay in the connection's input (Decode reported
// none consumed) until it is delivered.
type sessionLoad struct {
	req  *Request
	n    int         // the bytes Parse consumed for it
	done atomic.Bool // the session is loaded (or failed to): deliver
}

// Decode implements protocols.Codec.
func (s *serverCodec) Decode(in []byte) (*Request, int, bool, error) {
	if s.h2 != nil {
		s.mu.Lock()
		s.activity++
		s.mu.Unlock()
		n, err := s.h2.decode(in)
		return nil, n, true, err
	}
	if !s.h2Checked {
		if ok, wait := s.startsHTTP2(in); ok {
			return s.Decode(in)
		} else if wait {
			return nil, 0, false, nil
		}
	}
	if l := s.loading; l != nil {
		if !l.done.Load() {
			return nil, 0, false, nil
		}
		s.loading = nil
		return s.deliver(l.req, l.n)
	}
	s.mu.Lock()
	busy := s.cur != nil || s.streaming
	s.mu.Unlock()
	if busy {
		return nil, 0, false, nil // the next request waits for this response
	}
	p := s.takeParser()
	req, n, err := p.Parse(in)
	if err != nil {
		return nil, 0, false, err
	}
	if req == nil {
		if p.needsContinue() {
			p.continueSent()
			if s.conn != nil { // nil only for a codec driven without a connection (tests, fuzzing)
				_ = s.conn.SendRaw([]byte(continueResponse))
			}
		}
		if s.headStart == 0 && p.inProgress() && !p.headDone() {
			s.headStart = sweep.Now() // the sweep answers 408 if it takes too long
		}
		if n > 0 {
			s.mu.Lock()
			s.activity++
			s.mu.Unlock()
		}
		return nil, n, n > 0, nil
	}
	s.headStart = 0
	if s.stream {
		req.Proto = "HTTP/2.0" // ProtoMinor stays 1: HTTP/1.1's semantics
	}
	req.sessions = s.proto.sessions
	if s.conn == nil { // only for a codec driven without a connection (tests)
		return s.deliver(req, n)
	}
	req.RemoteAddr = s.conn.RemoteAddr()
	if s.proto.sessions.ready() && s.proto.sessions.cookieID(req) != "" {
		s.preload(req, n, s.conn)
		return nil, 0, false, nil
	}
	return s.deliver(req, n)
}

// startsHTTP2 looks at the first bytes of a connection without TLS for
// the HTTP/2 client preface (prior knowledge). ok: it is there, and the
// codec now speaks HTTP/2; wait: in is a part of it, more is needed.
// Otherwise the connection speaks HTTP/1.x from now on.
func (s *serverCodec) startsHTTP2(in []byte) (ok, wait bool) {
	if s.stream || s.conn == nil || s.proto.cfg.DisableHTTP2 {
		s.h2Checked = true
		return false, false
	}
	// Compared in place: ParsePreface's error for an HTTP/1.x client
	// would be garbage made for every connection.
	m := min(len(in), len(h2frame.ClientPreface))
	switch {
	case string(in[:m]) != h2frame.ClientPreface[:m]:
		s.h2Checked = true
		return false, false
	case m < len(h2frame.ClientPreface):
		return false, true
	}
	s.h2Checked = true
	s.h2 = newH2Conn(s, s.conn)
	return true, false
}

// deliver makes req the request being answered and returns it from Decode.
func (s *serverCodec) deliver(req *Request, n int) (*Request, int, bool, error) {
	s.mu.Lock()
	s.cur, s.body, s.closer = req, bodyDone, nil
	s.activity++
	s.mu.Unlock()
	return req, n, false, nil
}

// recvControl is what preload needs of the connection (a *connection.Conn).
type recvControl interface {
	PauseRecv()
	ResumeRecv()
}

// preload holds req back while a goroutine loads its session, so that the
// store's I/O never runs on the loop. The connection's input is paused
// meanwhile; once the session is loaded, the goroutine resumes it, and
// Decode delivers req.
func (s *serverCodec) preload(req *Request, n int, c recvControl) {
	l := &sessionLoad{req: req, n: n}
	s.loading = l
	c.PauseRecv()
	go func() {
		_ = req.loadSession() // an error is kept for Request.Session to return
		l.done.Store(true)
		// Pausing first makes the resume decode again even if the
		// application resumed the connection in between.
		c.PauseRecv()
		c.ResumeRecv()
	}()
}

// deadlines returns loop l's sweep of the deadlines of protocol p's
// connections: one loop timer checks them all, instead of a timer each, so
// a keep-alive request costs no timer work at all. Call it on l.
func deadlines(l *connection.Loop, p *serverProtocol) *sweep.Sweep[*serverCodec] {
	return l.Local(p, func() any {
		// Check often enough for the shorter timeout to be kept within a
		// quarter of it (and at least every second).
		every := time.Second
		for _, d := range []time.Duration{p.cfg.HeaderTimeout, p.cfg.IdleTimeout} {
			if d > 0 {
				every = min(every, d/4)
			}
		}
		return sweep.New(l, every, (*serverCodec).check)
	}).(*sweep.Sweep[*serverCodec])
}

// check closes a connection whose head is late (408), whose body stalled
// (408) or which has been idle for IdleTimeout. It reports whether the
// connection stays in the sweep: a closed one leaves, and so does a stream,
// which ends with its connection (its own heartbeat finds a dead peer).
func (s *serverCodec) check(now int64) (keep bool) {
	if s.gone {
		return false
	}
	s.mu.Lock()
	busy, streaming, activity, p := s.cur != nil, s.streaming, s.activity, s.parser
	s.mu.Unlock()
	cfg := &s.proto.cfg
	switch {
	case s.h2 != nil:
		// Idle when it has no stream and reads nothing for IdleTimeout.
		switch {
		case len(s.h2.streams) > 0 || activity != s.seen:
			s.seen, s.quietFrom = activity, now
		case cfg.IdleTimeout > 0 && time.Duration(now-s.quietFrom) >= cfg.IdleTimeout:
			s.h2.goAway()
		}
	case streaming:
		return false
	case s.headStart != 0:
		if cfg.HeaderTimeout > 0 && time.Duration(now-s.headStart) >= cfg.HeaderTimeout {
			s.timeout()
		}
	case busy || s.loading != nil || activity != s.seen:
		s.seen, s.quietFrom = activity, now
	case cfg.IdleTimeout > 0 && time.Duration(now-s.quietFrom) >= cfg.IdleTimeout:
		if p != nil && p.headDone() {
			s.timeout() // the body stopped arriving
		} else {
			s.conn.Close() // idle keep-alive connection
		}
	}
	return true
}

// timeout answers 408 and closes the connection.
func (s *serverCodec) timeout() {
	s.headStart = 0
	_ = s.conn.SendRaw(errRequestTimeout.Reply())
	s.conn.Close()
}

// Effects implements protocols.Effector.
func (s *serverCodec) Effects() protocols.Effect {
	s.mu.Lock()
	e := s.effects
	s.effects = 0
	s.mu.Unlock()
	return e
}

// ErrNoRequest is returned by Send on an HTTP connection when there is no
// request to answer: the response to the last one is already complete.
var ErrNoRequest = errors.New("http: no request to answer")

// Encode implements protocols.Codec.
func (s *serverCodec) Encode(dst []byte, msg any) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.body != bodyDone {
		return s.continueBody(dst, msg)
	}
	if s.cur == nil {
		return dst, fmt.Errorf("%w (sending %T)", ErrNoRequest, msg)
	}
	var fr framing
	var err error
	var extra []Field
	if s.cur.session != nil {
		extra = sessionFields(s.cur, nil)
	}
	switch m := msg.(type) {
	case *Response:
		dst, fr, err = m.encode(dst, s.cur, extra, s.draining)
		if err == nil && m.bodyCloser != nil {
			s.closer = m.bodyCloser
		}
	case string:
		dst, fr = appendTextResponse(dst, s.cur, m, extra, s.draining)
	case []byte:
		dst, fr = appendTextResponse(dst, s.cur, m, extra, s.draining)
	default:
		return dst, fmt.Errorf("http: cannot send %T as a response: %w", msg, protocols.ErrUnsupportedMessage)
	}
	if err != nil {
		return dst, err
	}
	s.countResponse(msg)
	s.body, s.remaining, s.keepAlive = fr.kind, fr.remaining, fr.keepAlive
	switch fr.kind {
	case bodyDone:
		s.completeLocked()
	case bodyStream:
		// A stream lasts as long as the connection, which may be long (an
		// event stream): let go of the request, and keep only the state.
		_ = s.cur.cleanup()
		if s.parser != nil {
			s.proto.releaseParser(s.parser)
		}
		s.cur, s.streaming, s.parser = nil, true, nil
		if r, ok := msg.(*Response); ok {
			s.events = strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "text/event-stream")
		}
	}
	return dst, nil
}

// ProtocolName names what the connection carries, for the connections
// command, the status and the metrics: "sse" once it is an event stream,
// else "http"; "h2" for an HTTP/2 connection, and "sse/h2" or "http/h2"
// for its streams.
func (s *serverCodec) ProtocolName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := "http"
	switch {
	case s.h2 != nil:
		return "h2"
	case s.events:
		name = "sse"
	}
	if s.stream {
		name += "/h2"
	}
	return name
}

// continueBody encodes msg as the next part of the open body.
func (s *serverCodec) continueBody(dst []byte, msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		return continueBody(s, dst, m)
	case string:
		return continueBody(s, dst, m)
	case protocols.Raw:
		if s.body == bodyChunked {
			return append(dst, m...), nil // already framed by the sender
		}
		return continueBody(s, dst, []byte(m))
	case encoding.TextAppender:
		switch s.body {
		case bodyChunked:
			return appendTextChunk(dst, m)
		case bodyStream:
			return m.AppendText(dst)
		}
		return dst, fmt.Errorf("http: %T within a Content-Length body: send []byte or string", msg)
	}
	return dst, fmt.Errorf("http: cannot send %T within a response body: %w", msg, protocols.ErrUnsupportedMessage)
}

func continueBody[B string | []byte](s *serverCodec, dst []byte, part B) ([]byte, error) {
	switch s.body {
	case bodyChunked:
		if len(part) == 0 {
			s.completeLocked()
			return append(dst, lastChunk...), nil
		}
		return appendChunk(dst, part), nil
	case bodyLength:
		if int64(len(part)) > s.remaining {
			return dst, fmt.Errorf("http: %d bytes sent where %d remain of the announced Content-Length", len(part), s.remaining)
		}
		s.remaining -= int64(len(part))
		if s.remaining == 0 {
			s.completeLocked()
		}
	}
	return append(dst, part...), nil
}

// appendTextChunk appends what t appends as one chunk. The size is written
// first as eight hex digits (leading zeros are valid in a chunk size) and
// filled in once the length is known, so nothing is copied twice.
func appendTextChunk(dst []byte, t encoding.TextAppender) ([]byte, error) {
	start := len(dst)
	dst = append(dst, "00000000\r\n"...)
	out, err := t.AppendText(dst)
	if err != nil {
		return dst[:start], err
	}
	n := len(out) - start - 10
	switch {
	case n == 0:
		return out[:start], nil // an empty chunk would end the body
	case uint64(n) > 0xffffffff:
		return dst[:start], errors.New("http: chunk larger than 4 GiB")
	}
	const hexDigits = "0123456789abcdef"
	for i := 7; i >= 0; i-- {
		out[start+i] = hexDigits[n&0xf]
		n >>= 4
	}
	return append(out, "\r\n"...), nil
}

// completeLocked ends the current response: the next request may be
// decoded, or the connection closes.
func (s *serverCodec) completeLocked() {
	keep := s.keepAlive && !s.draining
	s.endResponseLocked()
	s.activity++
	s.effects |= protocols.ResumeDecode
	if !keep {
		s.effects |= protocols.CloseAfterWrite
	}
}

// endResponseLocked forgets the current request and releases what its
// response held.
func (s *serverCodec) endResponseLocked() {
	if s.cur != nil {
		_ = s.cur.cleanup()
	}
	if s.closer != nil {
		_ = s.closer.Close()
	}
	s.cur, s.closer, s.body, s.remaining = nil, nil, bodyDone, 0
}

// appendTextResponse writes a complete 200 response with body and
// Workerman's default Content-Type, without building a Response. closing
// says the connection closes after it, whatever req asked.
func appendTextResponse[B string | []byte](dst []byte, req *Request, body B, extra []Field, closing bool) ([]byte, framing) {
	fr := framing{keepAlive: req.KeepAlive() && !closing}
	dst = append(dst, "HTTP/1.1 200 OK\r\nServer: workerman-go\r\nDate: "...)
	dst = appendDate(dst)
	dst = append(dst, "\r\nContent-Type: text/html; charset=utf-8\r\n"...)
	dst = appendFields(dst, extra)
	switch {
	case !fr.keepAlive:
		dst = append(dst, "Connection: close\r\n"...)
	case req.ProtoMinor == 0:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	if req.Method == "HEAD" {
		return dst, fr
	}
	return append(dst, body...), fr
}
