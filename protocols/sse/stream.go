package sse

import (
	"errors"
	"fmt"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/sweep"
	"github.com/workerman-go/workerman/protocols/http"
)

// DefaultHeartbeat is the interval of a stream's heartbeat comments when
// Options.Heartbeat is zero: below the 30 to 60 s after which proxies and
// load balancers commonly drop a silent connection.
const DefaultHeartbeat = 15 * time.Second

// Options configure a stream started by Start.
type Options struct {
	// Heartbeat is the interval of the comment lines (Heartbeat) that keep
	// an idle stream alive through proxies and reveal a vanished client
	// (the write fails and the connection closes). Zero: DefaultHeartbeat;
	// negative: none. The streams of one event loop with the same interval
	// share one loop timer; a stream leaves it when its connection closes.
	Heartbeat time.Duration
	// Retry, when positive, is sent first: the client's reconnection delay.
	Retry time.Duration
	// AllowOrigin, when set, is sent as Access-Control-Allow-Origin, for a
	// page of another origin: an origin, or "*" for any.
	AllowOrigin string
	// AllowCredentials sends Access-Control-Allow-Credentials: true, for an
	// EventSource created with withCredentials. Browsers refuse "*" with
	// credentials, so with AllowOrigin "*" the request's Origin is sent back
	// instead (with Vary: Origin).
	AllowCredentials bool
	// Header holds more response fields.
	Header http.Header
}

// Stream is a server-sent event stream on an HTTP connection, started by
// Start. Its methods are safe for concurrent use: events may be sent from
// any goroutine, in the order of the calls.
type Stream struct {
	c           *connection.Conn
	lastEventID string
	resumed     bool
}

// ErrHead is returned by Start for a HEAD request: the head of the stream's
// response has been sent, and there is no stream.
var ErrHead = errors.New("sse: HEAD request answered with the headers only")

// Start answers req with the head of an event stream and returns the
// stream. On any error the stream is nil, ErrHead included: a HEAD request
// is answered with the head alone and there is no stream. Check the error
// before using the stream.
//
// The head is
//
//	200, Content-Type: text/event-stream, Cache-Control: no-cache,
//	X-Accel-Buffering: no (nginx must not buffer it), Connection: keep-alive,
//	and neither Content-Length nor chunked framing: the body is the stream.
//
// followed by the Retry advice if any; then the heartbeat starts. The
// request's Last-Event-ID, if it has one, is the client's position when it
// reconnected: see Resumed and LastEventID. The stream ends when the
// connection closes (Close, or the client going away); c.WhenClosed runs
// code then.
//
// Call Start once per request, instead of answering it in another way.
func Start(c *connection.Conn, req *http.Request, opts Options) (*Stream, error) {
	resp := plainHead // the usual case: one shared, read-only head
	if opts.AllowOrigin != "" || len(opts.Header) > 0 || opts.Retry > 0 {
		var err error
		if resp, err = head(req, opts); err != nil {
			return nil, err
		}
	}
	if err := c.Send(resp); err != nil {
		return nil, fmt.Errorf("sse: starting the stream: %w", err)
	}
	if req.Method == "HEAD" {
		return nil, ErrHead
	}
	s := &Stream{c: c}
	s.lastEventID, s.resumed = req.Header.Lookup("Last-Event-ID")
	hb := opts.Heartbeat
	if hb == 0 {
		hb = DefaultHeartbeat
	}
	if l := c.Loop(); hb > 0 && l != nil {
		l.Run(func() {
			if c.Status() < connection.StatusClosing {
				heartbeats(l, hb).Add(s)
			}
		})
	}
	return s, nil
}

// plainHead is the head of a stream without options.
var plainHead, _ = head(nil, Options{})

// head builds the response that starts a stream.
func head(req *http.Request, opts Options) (*http.Response, error) {
	resp := http.NewResponse(200, "")
	resp.Header.Add("Content-Type", "text/event-stream")
	resp.Header.Add("Cache-Control", "no-cache")
	resp.Header.Add("X-Accel-Buffering", "no")
	resp.Header.Add("Connection", "keep-alive")
	if opts.AllowOrigin != "" {
		origin := opts.AllowOrigin
		if origin == "*" && opts.AllowCredentials && req != nil {
			if o := req.Header.Get("Origin"); o != "" {
				origin = o
				resp.Header.Add("Vary", "Origin")
			}
		}
		resp.Header.Add("Access-Control-Allow-Origin", origin)
		if opts.AllowCredentials {
			resp.Header.Add("Access-Control-Allow-Credentials", "true")
		}
	}
	resp.Header = append(resp.Header, opts.Header...)
	resp.Stream = true
	if opts.Retry > 0 {
		b, err := Event{Retry: opts.Retry}.AppendText(nil)
		if err != nil {
			return nil, fmt.Errorf("sse: %w", err)
		}
		resp.Body = b
	}
	return resp, nil
}

var heartbeat = []byte(Heartbeat)

type heartbeatKey struct{ every time.Duration }

// heartbeats returns loop l's sweep that sends the heartbeats of its streams
// with interval d, from one loop timer: a stream costs a slot in a slice,
// not a timer of its own, and leaves when its connection closes. Call it on
// l.
func heartbeats(l *connection.Loop, d time.Duration) *sweep.Sweep[*Stream] {
	return l.Local(heartbeatKey{d}, func() any {
		return sweep.New(l, d, func(s *Stream, _ int64) bool {
			if s.c.Status() >= connection.StatusClosing {
				return false
			}
			_ = s.c.SendRaw(heartbeat)
			return true
		})
	}).(*sweep.Sweep[*Stream])
}

// Send writes e to the stream (ErrInvalidID and the like when e cannot be
// encoded; connection.ErrSendBufferFull when the client does not keep up).
func (s *Stream) Send(e Event) error { return s.c.Send(e) }

// Comment writes a comment block (ignored by the browser).
func (s *Stream) Comment(text string) error { return s.c.Send(Event{Comment: text}) }

// Close ends the stream: the connection closes once what was sent is
// written. The browser's EventSource then reconnects after its retry
// delay; NoContent, answered to that reconnection, stops it.
func (s *Stream) Close() { s.c.Close() }

// Conn is the stream's connection.
func (s *Stream) Conn() *connection.Conn { return s.c }

// LastEventID is the request's Last-Event-ID: the id of the last event the
// client received before it reconnected ("" on a first connection).
func (s *Stream) LastEventID() string { return s.lastEventID }

// Resumed reports whether the request carried a Last-Event-ID header: the
// client is reconnecting and expects the events after LastEventID.
func (s *Stream) Resumed() bool { return s.resumed }

// NoContent answers req with 204, which tells an EventSource to stop
// reconnecting (any status other than 200 does, and 204 says there is
// simply nothing more).
func NoContent(c *connection.Conn, req *http.Request) error {
	return c.Send(http.NewResponse(204, ""))
}
