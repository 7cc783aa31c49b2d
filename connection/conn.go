package connection

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/internal/engine"
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

// Defaults for new connections, as Workerman's
// TcpConnection::$defaultMaxSendBufferSize and $defaultMaxPackageSize. A
// Worker sets its own with its fields of the same names, a connection with
// SetMaxSendBufferSize and SetMaxPackageSize.
const (
	DefaultMaxSendBufferSize = 1 << 20  // 1 MiB
	DefaultMaxPackageSize    = 10 << 20 // 10 MiB
	// DefaultCloseTimeout bounds how long Close waits for queued data to
	// reach the peer before it drops the rest (logging how much) and closes
	// anyway. It is also the default of a Worker's StopTimeout: a stop
	// closes every connection, and waits for them as long as one Close.
	DefaultCloseTimeout = 10 * time.Second
	// DefaultWriteTimeout is how long a connection may go with bytes
	// queued for its peer and none of them taken before it is closed (a
	// client that stopped reading a download or a stream), releasing what
	// the response held (a file). A Worker sets its own with WriteTimeout.
	DefaultWriteTimeout = 60 * time.Second
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
	recvPaused atomic.Uint32 // why messages are not delivered: pausedByApp, ...

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
	watched    bool  // in the loop's watch set
	stream     bool  // carried inside another connection (OpenStream): the loop's byte counts are that one's
	carrier    bool  // carries streams (OpenStream was called on it): its writes wait for the end of the loop's pass
	linger     uint8 // lingering close: 1 asked for, 2 write side shut down
	maxPackage int32

	outbound int32 // bytes in gnet's outbound buffer at the last look
	maxSend  int32

	// Loop-only state.
	gc         socket       // nil once closed
	prev, next *Conn        // the loop's list of open connections
	in         *inputBuffer // input kept from earlier reads, not decoded yet; nil when none
	// drainedMark is the low 32 bits of the bytes the peer had taken
	// (written minus still in gnet's buffer) when writeBy was last set.
	drainedMark uint32
	fullLogged  bool  // a full send buffer was logged (no OnError to tell)
	closeBy     int64 // sinceEpoch after which a pending close drops what is left
	writeBy     int64 // sinceEpoch by which the peer must take some queued bytes; 0: none queued
	opened      int64 // UnixNano when it opened on its loop
	data        any
}

// connExtra is the part of a Conn that few connections need.
type connExtra struct {
	ops      []timerOp    // guarded by Conn.mu
	pipeFrom *Conn        // guarded by Conn.mu: the connection piping into this one
	timers   []*Timer     // loop-only
	writable func()       // guarded by Conn.mu: WhenWritable's callback
	onClosed []*closeHook // guarded by Conn.mu: WhenClosed's callbacks
	onDrain  []*closeHook // guarded by Conn.mu: WhenDraining's callbacks
	draining bool         // guarded by Conn.mu: the server is ending the connection
	restart  bool         // guarded by Conn.mu: ... for a restart (see drain)
	tls      *tlsLayer    // set on the loop when the connection opens, if it uses TLS (under Conn.mu: TLS reads it)
	pipeTo   *Conn        // loop-only: set by Pipe, raw bytes go there
	parent   *Conn        // set before a stream opens (OpenStream): the connection that carries it
	closeErr error        // loop-only
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
	hooks        hooks
	closeAfter   time.Duration
	writeTimeout time.Duration // <= 0: none
	maxUnread    int64
	logger       *slog.Logger
	onClosed     func(c *Conn) // AsyncConn's reconnect hook
	tlsClient    *tls.Config   // AsyncConn's TLS, set before each connect
	// handshakeTimeout bounds an AsyncConn's TLS handshake.
	handshakeTimeout time.Duration

	unread atomic.Int64 // bytes the connections hold received and not decoded
}

func newConnConfig(h hooks, o engine.Options) *connConfig {
	cfg := &connConfig{hooks: h, closeAfter: o.CloseTimeout, writeTimeout: o.WriteTimeout,
		maxUnread: int64(o.MaxUnreadInput), logger: logger(o.Logger)}
	if cfg.closeAfter <= 0 {
		cfg.closeAfter = DefaultCloseTimeout
	}
	switch {
	case cfg.writeTimeout == 0:
		cfg.writeTimeout = DefaultWriteTimeout
	case cfg.writeTimeout < 0:
		cfg.writeTimeout = 0
	}
	if cfg.maxUnread <= 0 {
		cfg.maxUnread = DefaultMaxUnreadInput
	}
	return cfg
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
		maxSend:    int32(min(maxSend, math.MaxInt32)),
		maxPackage: int32(min(maxPackage, math.MaxInt32)),
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
	return int(c.maxSend)
}

// SetMaxSendBufferSize changes the connection's send-buffer limit.
func (c *Conn) SetMaxSendBufferSize(n int) {
	if n <= 0 {
		n = DefaultMaxSendBufferSize
	}
	c.mu.Lock()
	c.maxSend = int32(min(n, math.MaxInt32))
	c.mu.Unlock()
}

// MaxPackageSize is the largest message the connection accepts; set it from
// a callback (for example OnConnect) with SetMaxPackageSize.
func (c *Conn) MaxPackageSize() int { return int(c.maxPackage) }

// SetMaxPackageSize changes the largest accepted message. Call it from the
// connection's callbacks.
func (c *Conn) SetMaxPackageSize(n int) {
	if n <= 0 {
		n = DefaultMaxPackageSize
	}
	c.maxPackage = int32(min(n, math.MaxInt32))
}

// SendBufferSize is the number of bytes queued and not yet written to the
// socket: the server-side twin of the browser's WebSocket.bufferedAmount.
func (c *Conn) SendBufferSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending.len() + int(c.outbound)
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
func (c *Conn) IsPaused() bool { return c.recvPaused.Load() != 0 }

// CloseError is the error that ended the connection, as gnet reported it
// (nil for a clean close by either side). Use it from OnClose.
func (c *Conn) CloseError() error {
	if x := c.x.Load(); x != nil {
		return x.closeErr
	}
	return nil
}
