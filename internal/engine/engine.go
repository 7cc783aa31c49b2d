// Package engine joins package worker to the event-loop server that package
// connection implements, so that neither the server nor gnet appears in a
// public API.
//
// The server has to live in package connection: it works on the
// unexported state of every Conn (its gnet connection, its loop, its send
// queue). Package worker needs to create and drive one. Package connection
// therefore registers its constructor here in an init function (Register),
// and package worker calls NewServer. The callbacks are generic in the
// connection type C, which is always *connection.Conn: this package cannot
// name it without an import cycle.
package engine

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"
)

// Options configure a server.
type Options struct {
	// Loops is the number of event loops.
	Loops int
	// MaxConnections caps the open accepted connections; 0 derives it from
	// the process's descriptor limit.
	MaxConnections int
	// MaxSendBufferSize, MaxPackageSize and CloseTimeout are the defaults
	// of each new connection; 0 means the connection package's defaults.
	MaxSendBufferSize int
	MaxPackageSize    int
	CloseTimeout      time.Duration
	// WriteTimeout closes a connection whose peer has taken none of the
	// bytes queued for it for that long (0: the connection package's
	// default; negative: never).
	WriteTimeout time.Duration
	// MaxUnreadInput bounds the bytes all connections together hold
	// received and not decoded (0: the connection package's default).
	MaxUnreadInput int
	// Logger receives the server's logs: recovered panics, gnet's messages.
	Logger *slog.Logger
	// TLS, when set, makes every accepted connection a TLS server
	// connection with this configuration; HandshakeTimeout bounds its
	// handshake (0: the connection package's default).
	TLS              *tls.Config
	HandshakeTimeout time.Duration
}

// Callbacks are a server's connection callbacks. C is *connection.Conn.
type Callbacks[C any] struct {
	// Bind installs the protocol on a new connection (its codec and its
	// typed OnMessage), on the connection's loop, before OnConnect.
	Bind          func(c C)
	OnConnect     func(c C)
	OnClose       func(c C)
	OnError       func(c C, err error)
	OnBufferFull  func(c C)
	OnBufferDrain func(c C)
}

// LoopStats are one event loop's counters at the time they were read.
type LoopStats struct {
	Index        int
	Connections  int64  // open connections
	Accepted     uint64 // connections opened since the start
	BytesRead    uint64
	BytesWritten uint64
	Messages     uint64 // messages delivered to OnMessage
	SendFailures uint64 // sends dropped (buffer full or connection closed)
	Timers       int64  // pending connection timers
	Panics       uint64 // recovered panics in callbacks
	BufferFull   uint64 // times a send buffer filled up (OnBufferFull, set or not)
	// Queued is the work waiting for the loop when read: tasks handed
	// over with Loop.Run not yet run, and connections with sends, closes
	// or timer changes not yet flushed.
	Queued int
	// TaskLatency is a histogram of how long the loop took to start work
	// handed to it while it was idle: from the moment a wake-up was
	// queued on it (the first Send, Run... that found it idle) to the
	// moment that wake-up ran. TaskLatency[i] counts the wake-ups that
	// waited at most TaskLatencyBounds[i] (and longer than the bound
	// before it); the last element, one more than the bounds, counts
	// those that waited longer than every bound. TaskLatencySum is the
	// total wait. TaskLatencyBounds is shared: do not modify it.
	TaskLatencyBounds []time.Duration
	TaskLatency       []uint64
	TaskLatencySum    time.Duration
}

// ConnInfo describes one open connection (Workerman's connections
// command).
type ConnInfo struct {
	ID            uint64
	Protocol      string // the codec's package: "http", "websocket", "text", ...
	Remote, Local string
	State         string
	Opened        time.Time
	BytesRead     uint64
	BytesWritten  uint64
	Queued        int // bytes waiting to be written
}

// Server is the event-loop server behind a Worker.
type Server interface {
	// Serve runs the engine and accepts the connections of ln, and returns
	// when the engine ends: after Stop, or on a failure. It closes ln.
	Serve(ln net.Listener) error
	// Ready is closed once the engine runs: its listeners are bound and its
	// loops started.
	Ready() <-chan struct{}
	// MaxConnections is the effective connection cap.
	MaxConnections() int
	// Connections is the number of open connections.
	Connections() int
	// Refused counts the connections closed at accept: beyond the
	// connection cap, or with the descriptor table (nearly) full. (One
	// accepted while the server stops is served, and drained.)
	Refused() uint64
	// Loops returns every loop's counters.
	Loops() []LoopStats
	// ConnectionList returns the open connections, each read on its loop,
	// ordered by id; ctx bounds the wait for busy loops.
	ConnectionList(ctx context.Context) ([]ConnInfo, error)
	// StopAccepting closes the listener: new connections are refused by
	// the system.
	StopAccepting()
	// Shutdown stops accepting, ends every connection gracefully (each
	// protocol its own way: a response finished, an event stream given a
	// retry hint, a WebSocket close handshake; queued data is written
	// first) and waits until all are closed or ctx ends; then it destroys
	// the rest and returns ctx's error. restart says that another process
	// has taken over the listeners (reload, restart), so clients should
	// reconnect; otherwise the server is going away.
	Shutdown(ctx context.Context, restart bool) error
	// Stop stops the engine; Serve returns.
	Stop(ctx context.Context) error
}

var newServer any // func(Callbacks[C], Options) Server, set by Register

// Register installs the server constructor. Package connection calls it
// from an init function.
func Register[C any](f func(Callbacks[C], Options) Server) { newServer = f }

// NewServer returns a server that runs the connections it accepts with cb.
func NewServer[C any](cb Callbacks[C], o Options) Server {
	f, ok := newServer.(func(Callbacks[C], Options) Server)
	if !ok {
		panic("engine: no server registered for this connection type (is package connection linked in?)")
	}
	return f(cb, o)
}
