package connection

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/workerman-go/workerman/protocols"
)

// Status is the state of a connection, with Workerman's names.
type Status int32

// The states a connection goes through. A server connection starts as
// StatusEstablished; an AsyncConn starts as StatusInitial, then
// StatusConnecting.
const (
	StatusInitial Status = iota
	StatusConnecting
	StatusEstablished
	StatusClosing
	StatusClosed
)

func (s Status) String() string {
	switch s {
	case StatusInitial:
		return "initial"
	case StatusConnecting:
		return "connecting"
	case StatusEstablished:
		return "established"
	case StatusClosing:
		return "closing"
	case StatusClosed:
		return "closed"
	}
	return fmt.Sprintf("Status(%d)", int32(s))
}

// Defaults for new connections, as Workerman's static
// TcpConnection::$defaultMaxSendBufferSize and $defaultMaxPackageSize.
// A Worker or AsyncConn can set its own.
var (
	DefaultMaxSendBufferSize = 1 << 20  // 1 MiB
	DefaultMaxPackageSize    = 10 << 20 // 10 MiB
	// DefaultCloseTimeout bounds how long Close waits for queued data to
	// reach the peer before it drops the rest and closes anyway.
	DefaultCloseTimeout = 30 * time.Second
	// LingerTimeout bounds a lingering close: after a protocol rejection
	// (an HTTP error response, a WebSocket close frame that fails the
	// connection) is written, the connection shuts its write side and
	// reads and discards what the peer still sends for at most this long,
	// so that the peer reads the rejection instead of a reset.
	LingerTimeout = 5 * time.Second
)

// Errors reported by Send and through OnError.
var (
	// ErrSendBufferFull: the send was dropped because MaxSendBufferSize bytes
	// are already waiting to be written.
	ErrSendBufferFull = errors.New("connection: send buffer full, message dropped")
	// ErrClosed: the connection is closing or closed.
	ErrClosed = errors.New("connection: closed")
)

// processor delivers the bytes buffered for a connection as messages: the
// typed half of a protocol codec, bound to the OnMessage callback.
type processor interface {
	process(c *Conn)
}

var connIDs atomic.Uint64

// Conn is one TCP connection owned by an event loop: Workerman's
// TcpConnection.
//
// Send, Close, Destroy, PauseRecv, ResumeRecv, After, Every and the getters
// are safe to call from any goroutine. Whatever the caller, the work is
// handed to the owning loop in call order, so bytes are never reordered and
// a Close never overtakes a Send made before it. Callbacks of one connection
// run one at a time on its loop; they must not block.
type Conn struct {
	id   uint64
	cfg  *connConfig
	sess codecSession

	remoteAddr net.Addr
	localAddr  net.Addr
	status     atomic.Int32
	recvPaused atomic.Bool

	bytesRead    atomic.Uint64
	bytesWritten atomic.Uint64

	// x holds what few connections use (timers, a pipe, a close error),
	// allocated on first use to keep idle connections small.
	x atomic.Pointer[connExtra]

	// mu guards the work handed to the loop and the send-buffer accounting.
	mu          sync.Mutex
	loop        *Loop
	pending     *sendBuffer // bytes not yet handed to gnet; nil when none
	drops       int32
	scheduled   bool
	closeReq    bool
	destroyReq  bool
	resumeReq   bool
	full        bool // OnBufferFull fired and OnBufferDrain not yet
	fullPending bool // OnBufferFull to fire at the next flush
	// Loop-only, kept with the flags above so the struct packs tightly.
	watched bool  // in the loop's watch set
	linger  uint8 // lingering close: 1 asked for, 2 write side shut down

	outbound int // bytes in gnet's outbound buffer at the last look
	maxSend  int

	// Loop-only state.
	gc         gnet.Conn
	prev, next *Conn // the loop's list of open connections
	inLeft     int   // inbound bytes left unconsumed by the last process
	closeBy    int64 // UnixNano after which a pending close drops what is left
	maxPackage int
	data       any
}

// connExtra is the part of a Conn that few connections need.
type connExtra struct {
	ops      []timerOp // guarded by Conn.mu
	pipeFrom *Conn     // guarded by Conn.mu: the connection piping into this one
	timers   []*Timer  // loop-only
	writable func()    // guarded by Conn.mu: WhenWritable's callback
	onClosed []func()  // guarded by Conn.mu: WhenClosed's callbacks
	pipeTo   *Conn     // loop-only: set by Pipe, raw bytes go there
	closeErr error     // loop-only
}

// extra returns c's connExtra, allocating it on first use.
func (c *Conn) extra() *connExtra {
	if x := c.x.Load(); x != nil {
		return x
	}
	c.x.CompareAndSwap(nil, new(connExtra))
	return c.x.Load()
}

// connConfig is what the connections of one Worker (or one AsyncConn) share.
type connConfig struct {
	hooks      *Hooks
	closeAfter time.Duration
	onClosed   func(c *Conn) // AsyncConn's reconnect hook
}

func newConnConfig(h *Hooks, closeAfter time.Duration) *connConfig {
	if h == nil {
		h = &Hooks{}
	}
	if closeAfter <= 0 {
		closeAfter = DefaultCloseTimeout
	}
	return &connConfig{hooks: h, closeAfter: closeAfter}
}

// codecSession is a connection's protocol state bound to its OnMessage.
type codecSession interface {
	processor
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

// Hooks are the callbacks of a connection that do not depend on the
// protocol's message type. A Worker or AsyncConn fills them from its fields.
// Every hook is optional and runs on the connection's loop.
type Hooks struct {
	OnConnect     func(c *Conn)
	OnClose       func(c *Conn)
	OnError       func(c *Conn, err error)
	OnBufferFull  func(c *Conn)
	OnBufferDrain func(c *Conn)
}

func newConn(cfg *connConfig, maxSend, maxPackage int) *Conn {
	if maxSend <= 0 {
		maxSend = DefaultMaxSendBufferSize
	}
	if maxPackage <= 0 {
		maxPackage = DefaultMaxPackageSize
	}
	return &Conn{
		id:         connIDs.Add(1),
		cfg:        cfg,
		maxSend:    maxSend,
		maxPackage: maxPackage,
	}
}

// ID is the connection's number, unique in the process.
func (c *Conn) ID() uint64 { return c.id }

// Status reports the connection's state.
func (c *Conn) Status() Status { return Status(c.status.Load()) }

// RemoteAddr is the peer's address (nil before an AsyncConn connects).
func (c *Conn) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remoteAddr
}

// LocalAddr is the local end's address (nil before an AsyncConn connects).
func (c *Conn) LocalAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.localAddr
}

// BytesRead counts the bytes received on the connection.
func (c *Conn) BytesRead() uint64 { return c.bytesRead.Load() }

// BytesWritten counts the bytes handed to the socket.
func (c *Conn) BytesWritten() uint64 { return c.bytesWritten.Load() }

// Data returns the user-data slot: whatever the application stored with
// SetData (Workerman code keeps such state in dynamic properties). Use it from
// the connection's callbacks.
func (c *Conn) Data() any { return c.data }

// SetData stores v in the user-data slot. Use it from the connection's
// callbacks.
func (c *Conn) SetData(v any) { c.data = v }

// MaxSendBufferSize is the number of queued bytes at which sends start to be
// dropped (Workerman's maxSendBufferSize).
func (c *Conn) MaxSendBufferSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxSend
}

// SetMaxSendBufferSize changes the connection's send-buffer limit.
func (c *Conn) SetMaxSendBufferSize(n int) {
	if n <= 0 {
		n = DefaultMaxSendBufferSize
	}
	c.mu.Lock()
	c.maxSend = n
	c.mu.Unlock()
}

// MaxPackageSize is the largest message the connection accepts; set it from
// a callback (for example OnConnect) with SetMaxPackageSize.
func (c *Conn) MaxPackageSize() int { return c.maxPackage }

// SetMaxPackageSize changes the largest accepted message. Call it from the
// connection's callbacks.
func (c *Conn) SetMaxPackageSize(n int) {
	if n <= 0 {
		n = DefaultMaxPackageSize
	}
	c.maxPackage = n
}

// SendBufferSize is the number of bytes queued and not yet written to the
// socket: the server-side twin of the browser's WebSocket.bufferedAmount.
func (c *Conn) SendBufferSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending.len() + c.outbound
}

// Send encodes msg with the connection's protocol and queues it for writing.
// It returns nil when the message was accepted (it is written in order, as
// soon as the owning loop runs: at the end of the current callback when Send
// is called from one), ErrSendBufferFull when MaxSendBufferSize bytes are
// already queued (the message is dropped and OnError is told), ErrClosed when
// the connection is closing or closed, or the protocol's encoding error.
//
// Workerman's send returns true (written), null (buffered) or false
// (failed); here the first two are both nil, and SendBufferSize tells how
// much is still buffered.
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
	room := c.maxSend - c.pending.len() - c.outbound
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
	if c.pending.len()+c.outbound >= c.maxSend {
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
	if !c.full && len(p.b)+c.outbound >= c.maxSend {
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

// Close sends the optional final messages, then closes the connection once
// everything queued has been written (gnet's own Close would drop it). After
// CloseTimeout the rest is dropped and the connection closed anyway. Further
// sends fail with ErrClosed. Safe for concurrent use.
func (c *Conn) Close(final ...any) {
	for _, m := range final {
		_ = c.Send(m)
	}
	c.mu.Lock()
	if c.closeReq || c.destroyReq || c.Status() >= StatusClosing {
		c.mu.Unlock()
		return
	}
	c.closeReq = true
	if c.Status() == StatusEstablished {
		c.status.Store(int32(StatusClosing))
	}
	c.scheduleLocked()
	c.mu.Unlock()
}

// Destroy closes the connection at once, dropping anything still queued.
// Safe for concurrent use.
func (c *Conn) Destroy() {
	c.mu.Lock()
	if c.destroyReq || c.Status() == StatusClosed {
		c.mu.Unlock()
		return
	}
	c.destroyReq = true
	if s := c.Status(); s == StatusEstablished || s == StatusConnecting {
		c.status.Store(int32(StatusClosing))
	}
	c.scheduleLocked()
	c.mu.Unlock()
}

// PauseRecv stops delivering messages: bytes that arrive meanwhile are kept
// (up to MaxPackageSize; beyond that the connection is closed) and delivered
// after ResumeRecv. It takes effect at once, also for the messages still
// waiting in the current read. Safe for concurrent use.
func (c *Conn) PauseRecv() { c.recvPaused.Store(true) }

// ResumeRecv resumes delivering messages, starting with those that arrived
// while paused. Safe for concurrent use.
func (c *Conn) ResumeRecv() {
	if !c.recvPaused.Swap(false) {
		return
	}
	c.mu.Lock()
	c.resumeReq = true
	c.scheduleLocked()
	c.mu.Unlock()
}

// isFull reports whether the send buffer is at its limit.
func (c *Conn) isFull() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.full || c.pending.len()+c.outbound >= c.maxSend
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

// WhenClosed runs fn on the connection's loop when the connection closes,
// after OnClose, in the order of the calls: the way for a part of an
// application (a subscription, a parked long-poll request) to clean up
// after one connection. If the connection is already closed, fn runs at
// once on the calling goroutine. Safe for concurrent use.
func (c *Conn) WhenClosed(fn func()) {
	x := c.extra()
	c.mu.Lock()
	if c.Status() == StatusClosed {
		c.mu.Unlock()
		fn()
		return
	}
	x.onClosed = append(x.onClosed, fn)
	c.mu.Unlock()
}

// Codec is the connection's current protocol codec (what the protocol's
// NewCodec made, or what Switch installed): for protocol packages that
// offer per-connection settings, such as a WebSocket connection's message
// type. Applications rarely need it.
func (c *Conn) Codec() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil
	}
	return c.sess.codecValue()
}

// Loop is the event loop that owns the connection (nil before an AsyncConn
// connects).
func (c *Conn) Loop() *Loop {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loop
}

// IsPaused reports whether PauseRecv is in effect.
func (c *Conn) IsPaused() bool { return c.recvPaused.Load() }

// Pipe forwards every byte received on c to dst, unchanged (the protocols'
// codecs are bypassed), with backpressure: when dst's send buffer is full, c
// stops receiving until it drains. When either side closes, the other is
// closed after its queued data is written. Call it from c's callbacks, for
// example OnConnect, before c's first message.
func (c *Conn) Pipe(dst *Conn) {
	c.extra().pipeTo = dst
	x := dst.extra()
	dst.mu.Lock()
	x.pipeFrom = c
	dst.mu.Unlock()
}

// flush does on the loop the work handed to it: timer changes, queued bytes,
// errors and buffer events, pause and close requests.
func (c *Conn) flush() {
	c.mu.Lock()
	c.scheduled = false
	if c.gc == nil {
		c.mu.Unlock()
		return
	}
	buf := c.pending
	c.pending = nil
	var ops []timerOp
	if x := c.x.Load(); x != nil {
		ops, x.ops = x.ops, nil
	}
	drops := c.drops
	c.drops = 0
	fullNow := c.fullPending
	c.fullPending = false
	destroy, resume := c.destroyReq, c.resumeReq
	c.resumeReq = false
	c.mu.Unlock()

	if destroy {
		putBuffer(buf)
		c.closeNow()
		return
	}
	for _, op := range ops {
		c.applyTimerOp(op)
	}
	if buf != nil && len(buf.b) > 0 {
		n := len(buf.b)
		_, err := c.gc.Write(buf.b) // on a write error gnet closes c (OnClose runs now)
		putBuffer(buf)
		if err == nil {
			c.bytesWritten.Add(uint64(n))
			c.loop.stats.BytesWritten.Add(uint64(n))
		}
		if c.gc == nil {
			return
		}
	}
	if fullNow {
		c.bufferFull()
	}
	for range drops {
		c.callError(ErrSendBufferFull)
	}
	if c.gc == nil {
		return
	}
	if resume && !c.recvPaused.Load() && c.sess != nil {
		c.sess.process(c)
	}
	c.checkWatched(0) // completes a close once the data is out

}

// checkWatched refreshes the send-buffer accounting and completes what waits
// on it: a drain event, a pending close. It runs after a flush and on every
// tick while the connection has bytes queued in gnet, is full, or closing.
// now is the tick's time in UnixNano, or 0 to read the clock only if needed.
func (c *Conn) checkWatched(now int64) {
	if c.gc == nil {
		c.loop.unwatchConn(c)
		return
	}
	ob := c.gc.OutboundBuffered()
	var writable func()
	c.mu.Lock()
	c.outbound = ob
	empty := ob == 0 && c.pending.len() == 0
	if x := c.x.Load(); x != nil && x.writable != nil && !c.closeReq && c.pending.len()+ob <= c.maxSend/2 {
		writable, x.writable = x.writable, nil
	}
	// A close waits for bytes queued after this flush took its batch too.
	closing := c.closeReq
	drained := c.full && empty
	if drained {
		c.full = false
	} else if !c.full && c.pending.len()+ob >= c.maxSend {
		c.full = true
		c.fullPending = false
		defer c.bufferFull()
	}
	full := c.full
	c.mu.Unlock()

	if drained {
		c.bufferDrain()
		if c.gc == nil {
			return
		}
	}
	if writable != nil {
		c.guard("WhenWritable", writable)
		if c.gc == nil {
			return
		}
	}
	if closing && now == 0 {
		now = time.Now().UnixNano()
	}
	if closing && c.closeBy == 0 {
		c.closeBy = now + int64(c.cfg.closeAfter)
	}
	if closing && empty && c.linger == 1 {
		// Everything is written: send FIN, and keep reading (and
		// discarding) until the peer closes too, or LingerTimeout passes.
		// Closing now, with the peer's bytes unread, would make the kernel
		// answer with a reset, and a peer still sending could lose the
		// reply it was being sent (an HTTP error, a WebSocket close frame).
		c.linger = 2
		if err := unix.Shutdown(c.gc.Fd(), unix.SHUT_WR); err != nil {
			c.closeNow()
			return
		}
		c.closeBy = now + int64(LingerTimeout)
		c.loop.watchConn(c)
		return
	}
	if c.linger == 2 {
		if now > c.closeBy {
			c.closeNow()
		} else {
			c.loop.watchConn(c)
		}
		return
	}
	if closing && (empty || now > c.closeBy) {
		c.closeNow()
		return
	}
	if ob > 0 || full || closing {
		c.loop.watchConn(c)
	} else {
		c.loop.unwatchConn(c)
	}
}

func (c *Conn) bufferFull() {
	if h := c.cfg.hooks; h.OnBufferFull != nil {
		c.guard("OnBufferFull", func() { h.OnBufferFull(c) })
	}
	if src := c.pipeSource(); src != nil {
		src.PauseRecv()
	}
}

func (c *Conn) bufferDrain() {
	if h := c.cfg.hooks; h.OnBufferDrain != nil {
		c.guard("OnBufferDrain", func() { h.OnBufferDrain(c) })
	}
	if src := c.pipeSource(); src != nil {
		src.ResumeRecv()
	}
}

// callError reports err through OnError.
func (c *Conn) callError(err error) {
	if h := c.cfg.hooks; h.OnError != nil {
		c.guard("OnError", func() { h.OnError(c, err) })
	}
}

// fail reports a protocol error through OnError and closes the connection at
// once.
func (c *Conn) fail(err error) {
	c.callError(err)
	c.Destroy()
}

// closeNow closes the gnet connection; gnet then calls OnClose, which runs
// finish.
func (c *Conn) closeNow() {
	if c.gc == nil {
		return
	}
	c.status.Store(int32(StatusClosing))
	_ = c.gc.EventLoop().Close(c.gc)
}

// finish runs when gnet has closed the connection.
func (c *Conn) finish(err error) {
	l := c.loop
	// Read before the status says closed: from then on an AsyncConn may
	// Connect again, from any goroutine, and install a new session.
	sess := c.sess
	c.status.Store(int32(StatusClosed))
	c.gc = nil
	c.closeBy = 0
	c.linger = 0
	x := c.x.Load()
	if x != nil {
		x.closeErr = err
		for _, t := range x.timers {
			l.wheel.Del(t.id)
			t.id = 0
			t.index = -1
		}
		clear(x.timers)
		x.timers = x.timers[:0]
	}
	l.unwatchConn(c)
	var from *Conn
	var onClosed []func()
	c.mu.Lock()
	putBuffer(c.pending)
	c.pending = nil
	if x != nil {
		x.ops = nil
		x.writable = nil
		from = x.pipeFrom
		onClosed, x.onClosed = x.onClosed, nil
	}
	c.scheduled = false
	c.outbound = 0
	c.full, c.fullPending = false, false
	c.mu.Unlock()
	l.stats.Connections.Add(-1)

	if h := c.cfg.hooks; h.OnClose != nil {
		c.guard("OnClose", func() { h.OnClose(c) })
	}
	for _, fn := range onClosed {
		c.guard("WhenClosed", fn)
	}
	if sess != nil {
		sess.closed()
	}
	if x != nil && x.pipeTo != nil {
		x.pipeTo.Close()
	}
	if from != nil {
		from.Close()
	}
	if c.cfg.onClosed != nil {
		c.cfg.onClosed(c)
	}
}

// pipeSource is the connection piping into c, if any.
func (c *Conn) pipeSource() *Conn {
	x := c.x.Load()
	if x == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return x.pipeFrom
}

// CloseError is the error that ended the connection, as gnet reported it
// (nil for a clean close by either side). Use it from OnClose.
func (c *Conn) CloseError() error {
	if x := c.x.Load(); x != nil {
		return x.closeErr
	}
	return nil
}

// guard runs a user callback: a panic is recovered, logged with the
// connection's id, peer and stack, and closes only this connection.
func (c *Conn) guard(name string, fn func()) {
	c.Guard(name, fn)
}

// Guard runs fn, a user callback named name, as the framework runs every
// callback: a panic is recovered, logged with log/slog (connection id,
// peer, stack) and destroys only this connection. It reports whether fn
// returned normally. Protocol packages use it for the callbacks they call
// themselves (a WebSocket's OnWebSocketConnect, for example).
func (c *Conn) Guard(name string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked(name, r)
			ok = false
		}
	}()
	fn()
	return true
}

// recoverCallback is deferred around a callback that is not a closure (the
// delivery of a message), to recover as Guard does.
func (c *Conn) recoverCallback(name string) {
	if r := recover(); r != nil {
		c.panicked(name, r)
	}
}

// panicked logs a panic r of callback name and destroys the connection.
func (c *Conn) panicked(name string, r any) {
	if c.loop != nil {
		c.loop.stats.Panics.Add(1)
	}
	slog.Error("workerman: panic in callback; closing the connection",
		"callback", name, "conn", c.id, "remote", addrString(c.remoteAddr),
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	c.Destroy()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
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
