package connection

import (
	"errors"
	"time"
)

// socket is what a connection reads from and writes to: gnet's connection
// (every gnet.Conn is one), or, for a stream carried inside another
// connection, a streamSocket.
type socket interface {
	// InboundBuffered, Peek and Discard read what arrived, as gnet's
	// buffer: Discard(n <= 0) drops everything.
	InboundBuffered() int
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	// Write takes bytes for the peer; on a write error the socket is
	// closed (gnet runs OnClose before Write returns).
	Write(p []byte) (int, error)
	// OutboundBuffered is how many written bytes are not yet on their way.
	OutboundBuffered() int
	// Fd is the socket's descriptor, or -1 for a stream.
	Fd() int
}

// A Carrier carries streams: connections that live inside another
// connection and share its socket, such as the streams of an HTTP/2
// connection. The carrier is that connection's protocol (its codec). It
// frames what each stream writes, sends it to the peer when the peer's
// flow control allows, and gives each stream what the peer sends for it
// (Conn.Feed).
//
// A stream is a connection to the application: it has its own protocol
// session (made by its Worker's protocol, as for an accepted connection),
// OnConnect, OnMessage and OnClose, its own send buffer (MaxSendBufferSize
// bounds what the carrier holds for it: a stream whose peer does not read
// fills its own buffer, not its carrier's), timers that die with it, and
// Close, which ends the stream, not the socket.
//
// The carrier's methods run on the loop of the connection that carries the
// streams, and must not block.
type Carrier interface {
	// Carry takes p, bytes that the stream s wrote (what its protocol
	// encoded), in order. p is only valid during the call: the carrier
	// copies what it keeps. An error fails the stream (OnError, then the
	// stream is destroyed).
	Carry(s *Conn, p []byte) error
	// Unsent is how many of the bytes carried for s are still held by the
	// carrier (waiting for the peer's flow control). They count in s's
	// send buffer (SendBufferSize, OnBufferFull, and a Close waits for
	// them); once they go out, the carrier calls s.Wake so that s sees it
	// without waiting for the loop's next tick.
	Unsent(s *Conn) int
	// StreamClosed tells that s closed: after everything it wrote was
	// carried and sent (Unsent(s) == 0) for a Close, or at once for a
	// Destroy, a failure or a Close that timed out (then Unsent may be
	// more than 0: the carrier drops the rest and resets the stream). It
	// runs after s's OnClose.
	StreamClosed(s *Conn)
}

// streamSocket is the socket of a stream: what the carrier fed it, and the
// carrier that takes its writes.
type streamSocket struct {
	carrier Carrier
	s       *Conn
	in      []byte // what Feed is delivering; only during Feed
}

func (k *streamSocket) InboundBuffered() int { return len(k.in) }

func (k *streamSocket) Peek(n int) ([]byte, error) {
	if n < 0 || n > len(k.in) {
		return nil, errors.New("connection: stream: peek beyond the input")
	}
	return k.in[:n], nil
}

func (k *streamSocket) Discard(n int) (int, error) {
	if n <= 0 || n >= len(k.in) {
		n = len(k.in)
		k.in = nil
		return n, nil
	}
	k.in = k.in[n:]
	return n, nil
}

func (k *streamSocket) Write(p []byte) (int, error) {
	if err := k.carrier.Carry(k.s, p); err != nil {
		k.s.fail(err)
		return 0, err
	}
	return len(p), nil
}

func (k *streamSocket) OutboundBuffered() int { return k.carrier.Unsent(k.s) }

func (k *streamSocket) Fd() int { return -1 }

// OpenStream opens a stream carried by carrier inside c (see Carrier):
// a new connection with c's Worker, loop, addresses and limits, whose
// protocol session the Worker installs as for an accepted connection, and
// whose OnConnect runs before OpenStream returns. The stream then gets its
// input through Feed. It returns nil if c is not open. Call it on c's loop
// (from c's codec).
func (c *Conn) OpenStream(carrier Carrier) *Conn {
	if c.gc == nil || c.Status() != StatusEstablished {
		return nil
	}
	l := c.loop
	c.carrier = true
	s := newConn(c.cfg, int(c.maxSend), int(c.maxPackage))
	s.gc = &streamSocket{carrier: carrier, s: s}
	s.stream = true
	s.extra().parent = c
	s.opened = time.Now().UnixNano()
	s.loop = l
	s.remoteAddr, s.localAddr = c.remoteAddr, c.localAddr
	s.status.Store(int32(StatusEstablished))
	l.add(s)
	l.stats.Connections.Add(1)
	l.enter()
	s.start()
	if draining, restart := c.isDraining(); draining {
		s.drain(restart) // opened as its carrier ends: ends with it
	}
	l.flushAndLeave()
	return s
}

// isDraining reports whether c is being ended by a stop or (restart) a
// reload.
func (c *Conn) isDraining() (draining, restart bool) {
	x := c.x.Load()
	if x == nil {
		return false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return x.draining, x.restart
}

// Parent is the connection that carries c, a stream (see Carrier), or nil
// when c has a socket of its own. Safe for concurrent use.
func (c *Conn) Parent() *Conn {
	if !c.stream {
		return nil
	}
	return c.x.Load().parent
}

// Feed delivers p to c, a stream, as bytes its peer sent: c's protocol
// decodes them, and OnMessage runs for each complete message, before Feed
// returns. What is not decoded yet is kept for the next Feed. p is only
// read during the call. Call it on c's loop (from the carrier); it does
// nothing once c is closing or if c is not a stream.
func (c *Conn) Feed(p []byte) {
	k, ok := c.gc.(*streamSocket)
	if !ok || len(p) == 0 {
		return
	}
	l := c.loop
	l.enter()
	c.bytesRead.Add(uint64(len(p))) // the loop counted them as its carrier's
	k.in = p
	if c.Status() == StatusEstablished && c.sess != nil {
		c.sess.process(c)
	}
	if c.gc != nil {
		c.keepInput() // what is left moves to c's own buffer
	}
	k.in = nil
	l.flushAndLeave()
}

// Wake has c, a stream, look at its send buffer again soon: its carrier
// sent bytes it held for c (see Carrier.Unsent), which may complete a
// Close, a drain (OnBufferDrain) or a WhenWritable. Safe for concurrent
// use.
func (c *Conn) Wake() {
	c.mu.Lock()
	c.scheduleLocked()
	c.mu.Unlock()
}

// closeStream closes c, a stream: no socket to wait for, it is over now.
func (c *Conn) closeStream(k *streamSocket) {
	l := c.loop
	l.enter()
	l.remove(c)
	c.finish(nil)
	k.carrier.StreamClosed(c)
	l.flushAndLeave()
}
