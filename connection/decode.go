package connection

import (
	"errors"
	"fmt"

	"github.com/workerman-go/workerman/protocols"
)

// codecSession is a connection's protocol state bound to its OnMessage:
// the typed half of a codec, behind an interface so that a Conn needs no
// type parameter.
type codecSession interface {
	// process decodes and delivers every complete message buffered for c.
	process(c *Conn)
	// encode appends msg's wire form to dst and reports what else the codec
	// asks of the connection (protocols.Effector).
	encode(dst []byte, msg any) ([]byte, protocols.Effect, error)
	// opened and closed tell a ConnCodec about its connection.
	opened(c *Conn)
	closed()
	// codecValue is the codec itself.
	codecValue() any
}

// ConnCodec is implemented by protocol codecs that act on their connection
// themselves: to write protocol replies (HTTP's 100 Continue and error
// responses, a WebSocket pong) or to own timers (HTTP's header and idle
// timeouts). Opened runs on the connection's loop when it opens, before
// OnConnect; Closed runs after OnClose. In between, the codec may use c from
// Decode and from its timers' callbacks, which run on the loop. From Encode
// it must not call c (the connection's send lock is held): it asks through
// protocols.Effector instead.
type ConnCodec interface {
	Opened(c *Conn)
	Closed()
}

// The reasons a connection's messages are not delivered: bits of
// Conn.recvPaused. Messages flow when none is set.
const (
	pausedByApp      uint32 = 1 << iota // PauseRecv
	pausedWhileFull                     // the send buffer is full (back-pressure)
	pausedByPipeDest                    // the connection Pipe writes to is full
)

// PauseRecv stops delivering messages: bytes that arrive meanwhile are kept
// (up to MaxPackageSize; beyond that the connection is closed) and delivered
// after ResumeRecv. It takes effect at once, also for the messages still
// waiting in the current read. Safe for concurrent use.
//
// The framework pauses a connection by itself while its send buffer is
// full (MaxSendBufferSize reached) and resumes it when the buffer drains:
// a client that sends requests faster than it reads the replies gets every
// reply, instead of replies dropped for a full buffer (Workerman's
// documented onBufferFull → pauseRecv pattern, done for you).
func (c *Conn) PauseRecv() { c.recvPaused.Or(pausedByApp) }

// ResumeRecv resumes delivering messages, starting with those that arrived
// while paused. Called from OnBufferFull, it also lifts the pause the
// framework makes while the send buffer is full, for an application that
// would rather have its sends dropped (and reported) than its input
// paused. Safe for concurrent use.
func (c *Conn) ResumeRecv() { c.resumeRecv(pausedByApp | pausedWhileFull) }

// resumeRecv clears the pause reasons in bits and, if that leaves none,
// has the loop deliver what waits.
func (c *Conn) resumeRecv(bits uint32) {
	if old := c.recvPaused.And(^bits); old&bits == 0 || old&^bits != 0 {
		return // none of these was set, or another reason remains
	}
	c.mu.Lock()
	c.resumeReq = true
	c.scheduleLocked()
	c.mu.Unlock()
}

// session binds one connection's codec to the typed OnMessage callback.
type session[M any] struct {
	codec     protocols.Codec[M]
	onMessage func(c *Conn, msg M)
}

func newSession[M any](p protocols.Protocol[M], onMessage func(*Conn, M), maxPackage int) *session[M] {
	return &session[M]{
		codec:     p.NewCodec(protocols.Limits{MaxPackageSize: maxPackage}),
		onMessage: onMessage,
	}
}

func (s *session[M]) opened(c *Conn) {
	if cc, ok := s.codec.(ConnCodec); ok {
		cc.Opened(c)
	}
}

func (s *session[M]) codecValue() any { return s.codec }

func (s *session[M]) closed() {
	if cc, ok := s.codec.(ConnCodec); ok {
		cc.Closed()
	}
}

// process decodes and delivers every complete message received on c (gnet
// fires OnTraffic once per read, which may carry many messages or part of
// one). It stops early when c is paused or closing, or when the codec
// needs more bytes; what is left is kept for later (keepInput), within the
// bounds on unread input.
func (s *session[M]) process(c *Conn) {
	l := c.loop
	for c.gc != nil && c.recvPaused.Load() == 0 && c.Status() == StatusEstablished {
		in, err := c.input()
		if err != nil {
			c.fail(fmt.Errorf("connection %d: reading buffered input: %w", c.id, err))
			return
		}
		if len(in) == 0 {
			break
		}
		if dst := c.pipeTarget(); dst != nil {
			// Pause first, then look: if dst drains in between, its drain
			// event sees the pause and resumes c.
			c.recvPaused.Or(pausedByPipeDest)
			n, err := dst.sendRawPart(in)
			if err != nil {
				c.Close()
				break
			}
			c.consume(n)
			if n < len(in) {
				break // dst is full: its drain resumes c
			}
			c.recvPaused.And(^pausedByPipeDest)
			continue
		}
		msg, n, skip, err := s.codec.Decode(in)
		if err != nil {
			c.reject(fmt.Errorf("connection %d: %w", c.id, err))
			return
		}
		if n == 0 {
			break
		}
		if n > len(in) {
			c.fail(fmt.Errorf("connection %d: protocol consumed %d bytes of %d", c.id, n, len(in)))
			return
		}
		if !skip {
			l.stats.Messages.Add(1)
			if s.onMessage != nil {
				s.deliver(c, msg)
			}
		}
		if c.gc == nil {
			return
		}
		c.consume(n)
		if !skip && c.backlogged() {
			// Back-pressure: the replies queued so far fill half the send
			// buffer; the next message waits until it drains below that,
			// so that its reply finds room.
			c.recvPaused.Or(pausedWhileFull)
			c.loop.watchConn(c)
		}
		if c.sess != s {
			// OnMessage switched protocols (Switch): the rest of the input
			// is the new protocol's.
			c.sess.process(c)
			return
		}
	}
	c.keepInput()
}

func (s *session[M]) deliver(c *Conn, msg M) {
	defer c.recoverCallback("OnMessage")
	s.onMessage(c, msg)
}

func (s *session[M]) encode(dst []byte, msg any) ([]byte, protocols.Effect, error) {
	out, err := s.codec.Encode(dst, msg)
	if err != nil {
		return out, 0, err
	}
	// Asked each time rather than kept: an idle connection's session stays
	// small (a type assertion costs a few nanoseconds per send).
	if e, ok := s.codec.(protocols.Effector); ok {
		return out, e.Effects(), nil
	}
	return out, 0, nil
}

// reject ends a connection whose input the protocol refused: a Rejection's
// reply is written after what is already queued, then the connection
// closes; any other error closes it at once. OnError hears of both.
func (c *Conn) reject(err error) {
	var rej protocols.Rejection
	if !errors.As(err, &rej) {
		c.fail(err)
		return
	}
	c.callError(err)
	if reply := rej.Reply(); len(reply) > 0 {
		_ = c.SendRaw(reply)
	}
	c.linger = 1 // reject runs on the loop, the only user of linger
	c.Close()
}

// Switch hands c to another protocol from its next byte on: from now, what
// arrives is decoded by codec and delivered to onMessage, and Send encodes
// with codec. The previous codec is told its connection is gone (a
// ConnCodec's Closed), and codec, if a ConnCodec, is Opened. This is how an
// HTTP request becomes a WebSocket connection on the same port.
//
// Call it on c's loop, from a callback of c (typically OnMessage, after
// writing the response that switches, with SendRaw). Bytes that arrived
// after the message being handled go to the new codec.
func Switch[M any](c *Conn, codec protocols.Codec[M], onMessage func(c *Conn, msg M)) {
	s := &session[M]{codec: codec, onMessage: onMessage}
	c.mu.Lock()
	old := c.sess
	c.sess = s
	// Input already buffered is decoded by the new codec: at once when the
	// switch happens inside OnMessage, else when the loop gets to it.
	c.resumeReq = true
	c.scheduleLocked()
	c.mu.Unlock()
	if old != nil {
		old.closed()
	}
	s.opened(c)
}
