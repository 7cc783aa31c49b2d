package connection

import (
	"fmt"
	"sync"

	"github.com/workerman-go/workerman/protocols"
)

// Send encodes msg with the connection's protocol and queues it for writing.
// It returns nil when the message was accepted (it is written in order, as
// soon as the owning loop runs: at the end of the current callback when Send
// is called from one), ErrSendBufferFull when MaxSendBufferSize bytes are
// already queued (the message is dropped and OnError is told), ErrClosed when
// the connection is closing or closed, or the protocol's encoding error.
//
// What msg may be depends on the protocol, and each protocol's package
// lists what its Encode accepts (every one takes a string and a []byte; http
// also a *http.Response, sse events and more). msg is an any rather than a
// type checked by the compiler because a connection's protocol is chosen at
// run time and can change (an HTTP request becomes a WebSocket); a value the
// protocol cannot encode is an error wrapping
// protocols.ErrUnsupportedMessage that names its type, never a panic.
//
// Workerman's send returns true (written), null (buffered) or false
// (failed); here the first two are both nil, and SendBufferSize tells how
// much is still buffered. A message dropped for a full buffer has already
// been reported to OnError (and counted in the status table's send
// failures), and one sent to a closed connection had no reader left, so a
// callback may ignore the error unless it has something better to do (stop
// producing, close the connection).
func (c *Conn) Send(msg any) error {
	return c.send(msg, false)
}

// sendRawPart queues as much of p as fits under MaxSendBufferSize,
// bypassing the encoder, and reports how much it took (Pipe: the rest stays
// in the source's input until this connection drains).
func (c *Conn) sendRawPart(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeReq || c.destroyReq || c.Status() >= StatusClosing {
		return 0, ErrClosed
	}
	room := int(c.maxSend) - c.pending.len() - int(c.outbound)
	if room <= 0 {
		if !c.full {
			c.full, c.fullPending = true, true
			c.scheduleLocked()
		}
		return 0, nil
	}
	n := min(room, len(p))
	if c.pending == nil {
		c.pending = getBuffer()
	}
	c.pending.b = append(c.pending.b, p[:n]...)
	if !c.full && n == room {
		c.full, c.fullPending = true, true
	}
	c.scheduleLocked()
	return n, nil
}

// SendRaw queues p as it is, bypassing the protocol's encoder (Workerman's
// send($data, true)), with the same buffer limits and results as Send. A
// protocol uses it for replies of its own; an application rarely needs it.
// p is copied before SendRaw returns.
func (c *Conn) SendRaw(p []byte) error {
	return c.send(p, true)
}

func (c *Conn) send(msg any, raw bool) error {
	c.mu.Lock()
	if c.closeReq || c.destroyReq || c.Status() >= StatusClosing {
		c.mu.Unlock()
		c.countFailure()
		return ErrClosed
	}
	if queued := c.pending.len() + int(c.outbound); queued >= int(c.maxSend) || queued+messageSize(msg) > int(c.maxSend) {
		// Full, or the message would not fit in the room left: it is
		// dropped whole, before encoding, so a protocol's state never
		// counts it as sent. Either way the buffer is full for it: the
		// full event fires (and input pauses) until it drains.
		if !c.full {
			c.full = true
			c.fullPending = true
		}
		c.drops++
		c.scheduleLocked()
		c.mu.Unlock()
		c.countFailure()
		return ErrSendBufferFull
	}
	if c.pending == nil {
		c.pending = getBuffer()
	}
	p := c.pending
	before := len(p.b)
	var err error
	var eff protocols.Effect
	if raw {
		p.b = append(p.b, msg.([]byte)...)
	} else if c.sess == nil {
		err = fmt.Errorf("connection: no protocol to encode %T", msg)
	} else {
		var out []byte
		out, eff, err = c.sess.encode(p.b, msg)
		if err == nil {
			p.b = out
		} else {
			p.b = p.b[:before]
		}
	}
	if err != nil {
		c.mu.Unlock()
		return fmt.Errorf("connection %d: send: %w", c.id, err)
	}
	if eff&protocols.ResumeDecode != 0 {
		c.resumeReq = true
	}
	if eff&protocols.CloseAfterWrite != 0 {
		c.closeReq = true
		if c.Status() == StatusEstablished {
			c.status.Store(int32(StatusClosing))
		}
	}
	if !c.full && len(p.b)+int(c.outbound) >= int(c.maxSend) {
		c.full = true
		c.fullPending = true
	}
	c.scheduleLocked()
	c.mu.Unlock()
	return nil
}

func (c *Conn) countFailure() {
	c.mu.Lock()
	l := c.loop
	c.mu.Unlock()
	if l != nil {
		l.stats.SendFailures.Add(1)
	}
}

// scheduleLocked hands the connection to its loop unless it already is.
// Without a loop (an AsyncConn still connecting) the work waits for the
// connection to open. c.mu is held.
func (c *Conn) scheduleLocked() {
	if c.scheduled || c.loop == nil {
		return
	}
	c.scheduled = true
	c.loop.schedule(c)
}

// WhenWritable runs fn once, on the connection's loop, as soon as the send
// buffer is at most half full (at the end of the current callback if it
// already is): the way to write a large body piece by piece without
// filling the buffer (a file, a generated stream). A later call replaces an
// earlier fn that has not run; a closed connection never runs it. Safe for
// concurrent use.
func (c *Conn) WhenWritable(fn func()) {
	x := c.extra()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Status() == StatusClosed || c.destroyReq {
		return
	}
	x.writable = fn
	c.scheduleLocked()
}

// sendBuffer holds a connection's queued bytes. Buffers are pooled, and a
// connection holds one only while it has bytes queued, so idle connections
// cost nothing here.
type sendBuffer struct{ b []byte }

func (p *sendBuffer) len() int {
	if p == nil {
		return 0
	}
	return len(p.b)
}

// Pooled send buffers start small (most messages of a push service are a
// few hundred bytes, and a broadcast holds one buffer per subscriber until
// its loop flushes) and are not kept once they grew beyond maxPooledBuffer.
const maxPooledBuffer = 64 << 10

var bufferPool = sync.Pool{New: func() any { return &sendBuffer{b: make([]byte, 0, 1024)} }}

func getBuffer() *sendBuffer { return bufferPool.Get().(*sendBuffer) }

func putBuffer(p *sendBuffer) {
	if p == nil || cap(p.b) > maxPooledBuffer {
		return
	}
	p.b = p.b[:0]
	bufferPool.Put(p)
}

// messageSize is about how many bytes msg encodes to, as far as it can be
// told before encoding: the length of a string, []byte or protocols.Raw,
// what a protocols.Sizer says, 0 otherwise. Send refuses a message that
// would not fit in the room left in the send buffer.
func messageSize(msg any) int {
	switch m := msg.(type) {
	case string:
		return len(m)
	case []byte:
		return len(m)
	case protocols.Raw:
		return len(m)
	case protocols.Sizer:
		return m.Size()
	}
	return 0
}
