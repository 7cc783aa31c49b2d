package connection

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"time"
)

// DefaultHandshakeTimeout bounds a TLS handshake by default: a client that
// has not finished it by then is disconnected (a slowloris defence).
const DefaultHandshakeTimeout = 10 * time.Second

// TLS runs the standard crypto/tls over a connection of the event loops,
// in two phases:
//
//   - The handshake runs on a goroutine of its own, because crypto/tls's
//     handshake is a sequence of blocking reads and writes that cannot be
//     resumed part-way: the loop hands it the bytes that arrive, and it
//     hands the loop the bytes to write. A slow or silent client costs a
//     parked goroutine, never the loop's time. The goroutine ends with the
//     handshake (HandshakeTimeout at most).
//   - The record layer then runs on the loop: the bytes that arrive are
//     decrypted by crypto/tls's Read, which reads from a transport that
//     returns a temporary error ("would block") when the loop has nothing
//     more; crypto/tls keeps a partial record and goes on at the next
//     read. What the connection sends is encrypted by crypto/tls's Write,
//     in flush, on the loop, in order with everything else.
//
// The protocol sees plaintext: the connection's OnConnect and its codec's
// Opened run once the handshake is done.
type tlsLayer struct {
	conn *tls.Conn
	tr   *tlsTransport
	// Loop-only.
	established bool // the handshake is done: records are read on the loop
}

// errWouldBlock is the transport's "nothing more to read now": a temporary
// net.Error, which crypto/tls returns without failing the connection.
var errWouldBlock = &wouldBlock{}

type wouldBlock struct{}

func (*wouldBlock) Error() string   { return "connection: no more TLS input for now" }
func (*wouldBlock) Timeout() bool   { return false }
func (*wouldBlock) Temporary() bool { return true }

// tlsTransport is the net.Conn under crypto/tls: ciphertext in from the
// loop, ciphertext out to the loop.
type tlsTransport struct {
	c *Conn

	mu       sync.Mutex
	in       []byte        // received, not yet read by crypto/tls
	out      []byte        // written during the handshake, for the loop to send
	blocking bool          // the handshake goroutine reads: Read waits
	closed   bool          // Close was called: Read ends
	more     chan struct{} // signalled when in grows or the transport closes
}

func newTLSTransport(c *Conn) *tlsTransport {
	return &tlsTransport{c: c, blocking: true, more: make(chan struct{}, 1)}
}

func (t *tlsTransport) signal() {
	select {
	case t.more <- struct{}{}:
	default:
	}
}

// feed adds bytes received by the loop.
func (t *tlsTransport) feed(p []byte) {
	t.mu.Lock()
	t.in = append(t.in, p...)
	t.mu.Unlock()
	t.signal()
}

// Read implements net.Conn. During the handshake it waits for input; on
// the loop it returns errWouldBlock when there is none.
func (t *tlsTransport) Read(p []byte) (int, error) {
	for {
		t.mu.Lock()
		if len(t.in) > 0 {
			n := copy(p, t.in)
			t.in = t.in[n:]
			if len(t.in) == 0 {
				t.in = nil // let a large first read's array go
			}
			t.mu.Unlock()
			return n, nil
		}
		closed, blocking := t.closed, t.blocking
		t.mu.Unlock()
		switch {
		case closed:
			return 0, net.ErrClosed
		case !blocking:
			return 0, errWouldBlock
		}
		<-t.more
	}
}

// Write implements net.Conn. During the handshake the bytes are queued for
// the loop to write; on the loop (records after the handshake) they are
// written at once.
func (t *tlsTransport) Write(p []byte) (int, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return 0, net.ErrClosed
	}
	if t.blocking {
		t.out = append(t.out, p...)
		t.mu.Unlock()
		c := t.c
		c.mu.Lock()
		c.scheduleLocked()
		c.mu.Unlock()
		return len(p), nil
	}
	t.mu.Unlock()
	return t.c.writeWire(p)
}

// takeOut returns what the handshake wrote and not yet sent.
func (t *tlsTransport) takeOut() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.out
	t.out = nil
	return out
}

// Close implements net.Conn: crypto/tls closes its transport when the
// handshake's context ends. The connection itself is closed by its loop.
func (t *tlsTransport) Close() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.signal()
	return nil
}

func (t *tlsTransport) LocalAddr() net.Addr              { return t.c.LocalAddr() }
func (t *tlsTransport) RemoteAddr() net.Addr             { return t.c.RemoteAddr() }
func (t *tlsTransport) SetDeadline(time.Time) error      { return nil }
func (t *tlsTransport) SetReadDeadline(time.Time) error  { return nil }
func (t *tlsTransport) SetWriteDeadline(time.Time) error { return nil }

// writeWire writes bytes that are on the wire as they are (TLS records)
// and counts them. It runs on the loop.
func (c *Conn) writeWire(p []byte) (int, error) {
	if c.gc == nil {
		return 0, net.ErrClosed
	}
	n, err := c.gc.Write(p)
	if err == nil {
		c.bytesWritten.Add(uint64(len(p)))
		c.loop.stats.BytesWritten.Add(uint64(len(p)))
		c.loop.stats.Writes.Add(1)
	}
	return n, err
}

// TLS returns the connection's TLS state (negotiated version, cipher
// suite, ALPN protocol, server name, peer certificates) and true, or false
// when the connection does not use TLS or its handshake is not done.
func (c *Conn) TLS() (tls.ConnectionState, bool) {
	x := c.x.Load()
	if x == nil {
		return tls.ConnectionState{}, false
	}
	c.mu.Lock()
	layer := x.tls
	c.mu.Unlock()
	if layer == nil {
		return tls.ConnectionState{}, false
	}
	st := layer.conn.ConnectionState()
	return st, st.HandshakeComplete
}

// startTLS begins the TLS handshake of c, a connection that just opened on
// its loop; done runs on the loop once it is over (err nil: established).
func (c *Conn) startTLS(conn func(net.Conn) *tls.Conn, timeout time.Duration, done func(err error)) {
	tr := newTLSTransport(c)
	layer := &tlsLayer{conn: conn(tr), tr: tr}
	x := c.extra()
	c.mu.Lock() // TLS reads it from any goroutine
	x.tls = layer
	c.mu.Unlock()
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	l := c.loop
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := layer.conn.HandshakeContext(ctx)
		cancel()
		l.Run(func() {
			if c.x.Load().tls != layer {
				return // a later connection of an AsyncConn has its own
			}
			if c.gc == nil {
				// Closed meanwhile: the peer may close as soon as it has
				// the alert that the failing handshake sent. A client's
				// application is still told why, after OnClose then.
				if err != nil && c.cfg.tlsClient != nil {
					c.callError(&TLSError{Err: err})
				}
				return
			}
			l.enter()
			defer l.flushAndLeave()
			if err == nil {
				tr.mu.Lock()
				tr.blocking = false
				tr.mu.Unlock()
				layer.established = true
			}
			done(err)
		})
	}()
}

// readTLS takes what gnet has buffered for c, a TLS connection: the
// handshake's goroutine reads it, or, once established, it is decrypted
// here into c's input. It reports false when the connection failed.
func (c *Conn) readTLS(layer *tlsLayer) bool {
	gc := c.gc
	if avail := gc.InboundBuffered(); avail > 0 {
		p, err := gc.Peek(avail)
		if err != nil {
			c.fail(err)
			return false
		}
		layer.tr.feed(p)
		_, _ = gc.Discard(avail)
	}
	if !layer.established {
		// The handshake's goroutine has input to work on: let it run now.
		// A busy loop holds its P otherwise, and with one P (a server
		// pinned to one CPU) each step of a handshake would wait for the
		// runtime to preempt the loop (10 ms): under load, connecting took
		// up to a second.
		runtime.Gosched()
		return true
	}
	return c.decryptTLS(layer)
}

// decryptTLS moves the records crypto/tls can decrypt now into c's input.
func (c *Conn) decryptTLS(layer *tlsLayer) bool {
	buf := c.loop.tlsScratch()
	for {
		n, err := layer.conn.Read(buf)
		if n > 0 {
			if c.in == nil {
				c.in = inputPool.Get().(*inputBuffer)
			}
			c.in.add(buf[:n])
		}
		if err == nil {
			continue
		}
		var wb *wouldBlock
		if errors.As(err, &wb) {
			return true
		}
		if errors.Is(err, io.EOF) {
			// close_notify: what was decrypted is still delivered; the
			// connection closes after.
			c.Close()
			return true
		}
		c.fail(&TLSError{Err: err})
		return false
	}
}

// TLSError is reported through OnError when a TLS connection fails after
// its handshake: a bad record, an alert from the peer.
type TLSError struct{ Err error }

func (e *TLSError) Error() string { return "connection: tls: " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }

// tlsScratch is the loop's buffer for decrypted records.
func (l *Loop) tlsScratch() []byte {
	if l.tlsBuf == nil {
		l.tlsBuf = make([]byte, 16<<10)
	}
	return l.tlsBuf
}
