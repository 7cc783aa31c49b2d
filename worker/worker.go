package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/address"
	"github.com/workerman-go/workerman/internal/engine"
	"github.com/workerman-go/workerman/protocols"
)

// DefaultStopTimeout is how long a stop waits, when Worker.StopTimeout is
// zero, for connections to take their queued data before they are closed
// regardless: as long as one Close waits (connection.DefaultCloseTimeout).
const DefaultStopTimeout = connection.DefaultCloseTimeout

// Worker is a server: a listen address, a protocol whose messages have type M,
// a number of event loops, and Workerman's callbacks. Set the fields, then
// run it with RunAll (or Start). Fields must not change once it runs.
type Worker[M any] struct {
	// Name shows in the status table (default "none", as in Workerman).
	Name string
	// Count is the number of event loops (default: the number of CPUs).
	// Each connection belongs to one loop, and its callbacks run there.
	// (Workerman's count is a number of processes; here one process runs
	// Count loops.)
	Count int
	// ReusePort lets other processes listen on the same port (SO_REUSEPORT
	// shared across processes). Without it, starting on a port that is in
	// use fails, which catches a second copy of a server started by mistake.
	ReusePort bool

	// MaxConnections caps open connections; beyond it new ones are closed
	// at once and counted as refused. 0: derived from the process's file
	// descriptor limit, so the server never dies of EMFILE.
	MaxConnections int
	// MaxSendBufferSize and MaxPackageSize are the defaults of each
	// connection (0: connection.DefaultMaxSendBufferSize and
	// connection.DefaultMaxPackageSize: 1 MiB and 10 MiB).
	MaxSendBufferSize int
	MaxPackageSize    int
	// StopTimeout bounds a stop started by cancelling Start's context or by
	// RunAll's signals (default DefaultStopTimeout, 10 s). A stop closes
	// every connection; a connection whose peer has not taken what is
	// queued for it by the deadline is closed then, and what it held is
	// dropped (the log says how much): the stop has still succeeded, and
	// RunAll's start exits 0. A Stop call is bounded by its own context
	// instead, the same way.
	StopTimeout time.Duration
	// WriteTimeout closes a connection whose peer takes none of the bytes
	// queued for it for that long (a client that stopped reading a
	// download or a stream), releasing what it held; OnError is told
	// (connection.ErrWriteTimeout). Default connection.DefaultWriteTimeout
	// (60 s); negative: never.
	WriteTimeout time.Duration
	// MaxUnreadInput bounds the bytes all the Worker's connections
	// together hold received and not yet decoded (messages still
	// arriving, input of paused connections). Past it, a connection that
	// holds unread input is closed (connection.ErrInputBudget). Default
	// connection.DefaultMaxUnreadInput (64 MiB).
	MaxUnreadInput int
	// Logger receives the Worker's logs: panics recovered in callbacks, the
	// engine's messages, an engine that stops by itself. Default:
	// slog.Default().
	Logger *slog.Logger

	// TLSConfig, when set, serves TLS on the Worker's port with the
	// standard crypto/tls (Workerman's transport = 'ssl'), whatever the
	// protocol: https and wss for http (pages, event streams, WebSocket
	// upgrades, long polling on one port), websocket://, text, frame,
	// tcp. It needs a certificate (Certificates or GetCertificate, which
	// also serves SNI and certificate reloads without a restart). When
	// NextProtos is empty, the Worker offers by ALPN what its protocol
	// lists (the http protocol: "h2", then "http/1.1"; websocket:
	// "http/1.1"). The -tls-cert and -tls-key flags of the command line set it
	// for the first Worker. The connection's callbacks see plaintext;
	// OnConnect runs once the handshake is done; c.TLS() tells what was
	// negotiated.
	TLSConfig *tls.Config
	// HandshakeTimeout bounds a TLS handshake: a client that has not
	// finished it by then is disconnected. Default
	// connection.DefaultHandshakeTimeout (10 s).
	HandshakeTimeout time.Duration

	// OnWorkerStart runs once per start, after the Worker listens and its
	// loops run, on the goroutine that started it. Addr is valid from here
	// on.
	OnWorkerStart func(w *Worker[M])
	// OnWorkerStop runs once when the Worker stops, after it stops
	// accepting and before its connections are closed (so it can still send
	// them a last message).
	OnWorkerStop func(w *Worker[M])

	// The connection callbacks run on the connection's event loop, one at a
	// time per connection. They must not block: hand slow work to a
	// goroutine and Send the result from there (Send is safe anywhere).
	OnConnect     func(c *connection.Conn)
	OnMessage     func(c *connection.Conn, msg M)
	OnClose       func(c *connection.Conn)
	OnError       func(c *connection.Conn, err error)
	OnBufferFull  func(c *connection.Conn)
	OnBufferDrain func(c *connection.Conn)

	socketName string
	protocol   protocols.Protocol[M]

	mu       sync.Mutex
	starting bool // Start is under way
	cur      *run // the current run, once it listens; nil when not running
	last     *run // the last run that ended
}

// run is one start of a Worker, until it stops.
type run struct {
	srv     engine.Server
	addr    string
	started time.Time

	stopping atomic.Bool   // a stop has begun
	served   chan struct{} // closed when the engine has returned
	serveErr error         // the engine's result, once served is closed
	done     chan struct{} // closed when the run is over
	err      error         // why it ended, once done is closed (nil: stopped)
}

// New returns a Worker listening on address, a Workerman address such as
// "text://0.0.0.0:2000" whose scheme names the protocol; p is that protocol
// and fixes the type of the messages OnMessage receives:
//
//	w := worker.New("text://0.0.0.0:2000", text.Protocol()) // *Worker[string]
//
// The Worker joins the set that RunAll runs, and leaves it when it stops,
// so a program that starts and stops Workers (a test) does not accumulate
// them. An address whose scheme does not match the protocol is reported
// when the Worker starts.
func New[M any](address string, p protocols.Protocol[M]) *Worker[M] {
	w := &Worker[M]{socketName: address, protocol: p, Name: "none"}
	register(w)
	return w
}

// SocketName is the address the Worker listens on, as given to New (or as
// -listen changed it), scheme included: "http://0.0.0.0:8080". It is
// Workerman's getSocketName; Addr is the address actually bound.
func (w *Worker[M]) SocketName() string { return w.socketName }

// Addr is the host:port the Worker is bound to while it runs (the real
// port when the address asked for port 0), or "" when it is not running.
func (w *Worker[M]) Addr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return ""
	}
	return w.cur.addr
}

// Counters are what the status table shows of a Worker, in total or for
// one event loop.
type Counters struct {
	Connections  int64  // open connections
	Accepted     uint64 // connections opened since the start
	BytesRead    uint64
	BytesWritten uint64
	Messages     uint64 // messages delivered to OnMessage
	SendFailures uint64 // sends dropped: send buffer full, or connection closed
	Timers       int64  // pending connection timers
	Panics       uint64 // panics recovered in callbacks
	// BufferFull counts the times a connection's send buffer filled up
	// (OnBufferFull ran, or would have run had it been set).
	BufferFull uint64
	// Queued is the work waiting for the loop when read: tasks handed to
	// it (connection.Loop.Run) and connections with sends, closes or timer
	// changes not yet flushed. It stays near 0 on loops that keep up.
	Queued int64
}

func (c *Counters) add(o Counters) {
	c.Connections += o.Connections
	c.Accepted += o.Accepted
	c.BytesRead += o.BytesRead
	c.BytesWritten += o.BytesWritten
	c.Messages += o.Messages
	c.SendFailures += o.SendFailures
	c.Timers += o.Timers
	c.Panics += o.Panics
	c.BufferFull += o.BufferFull
	c.Queued += o.Queued
}

// LoopStats are one event loop's counters.
type LoopStats struct {
	Index int // the loop's number, from 0
	Counters
}

// Stats are a Worker's counters at the time they were read: in total, and
// per event loop (loops that have had no connection yet show zeros).
type Stats struct {
	Counters
	// Refused counts the connections closed as soon as they were accepted:
	// beyond MaxConnections, or with the descriptor table (nearly) full.
	Refused uint64
	Loops   []LoopStats
}

// Stats reads the Worker's counters. It is safe to call at any time; a
// Worker that is not running reports the zero Stats.
func (w *Worker[M]) Stats() Stats {
	w.mu.Lock()
	r := w.cur
	w.mu.Unlock()
	var s Stats
	if r == nil {
		return s
	}
	for _, l := range r.srv.Loops() {
		ls := LoopStats{Index: l.Index, Counters: Counters{
			Connections: max(l.Connections, 0), Accepted: l.Accepted,
			BytesRead: l.BytesRead, BytesWritten: l.BytesWritten, Messages: l.Messages,
			SendFailures: l.SendFailures, Timers: l.Timers, Panics: l.Panics,
			BufferFull: l.BufferFull, Queued: int64(l.Queued),
		}}
		s.Loops = append(s.Loops, ls)
		s.add(ls.Counters)
	}
	s.Refused = r.srv.Refused()
	return s
}

func (w *Worker[M]) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

func (w *Worker[M]) stopTimeout() time.Duration {
	if w.StopTimeout > 0 {
		return w.StopTimeout
	}
	return DefaultStopTimeout
}

// Start binds the address, starts the event loops and runs OnWorkerStart; it
// returns once the Worker accepts connections (or fails to). The Worker
// stops when ctx is cancelled (as Stop does, within StopTimeout), when Stop
// is called, or when its engine fails; Done and Wait tell when and why.
func (w *Worker[M]) Start(ctx context.Context) error {
	scheme, hostport, err := address.Parse(w.socketName)
	if err != nil {
		return fmt.Errorf("worker %s: %w", w.Name, err)
	}
	if scheme != w.protocol.Scheme() {
		return fmt.Errorf("worker %s: address %q has scheme %q but the protocol is %q",
			w.Name, w.socketName, scheme, w.protocol.Scheme())
	}
	w.mu.Lock()
	if w.cur != nil || w.starting {
		w.mu.Unlock()
		return fmt.Errorf("worker %s: already running", w.Name)
	}
	w.starting = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.starting = false
		w.mu.Unlock()
	}()
	fail := func(err error) error { return fmt.Errorf("worker %s: %w", w.Name, err) }
	r := &run{served: make(chan struct{}), done: make(chan struct{})}

	ln, err := listeners.listen("tcp", hostport, w.ReusePort)
	if err != nil {
		return fail(err)
	}
	bound := ln.Addr().String()
	count := w.Count
	if count <= 0 {
		count = runtime.NumCPU()
	}
	onMessage := w.OnMessage
	tlsConfig := w.TLSConfig
	if tlsConfig != nil && len(tlsConfig.NextProtos) == 0 {
		// What the protocol offers by ALPN (http: "h2", "http/1.1").
		var protos []string
		if np, ok := w.protocol.(interface{ NextProtos() []string }); ok {
			protos = np.NextProtos()
		} else if scheme == "http" || scheme == "websocket" {
			protos = []string{"http/1.1"}
		}
		if len(protos) > 0 {
			tlsConfig = tlsConfig.Clone()
			tlsConfig.NextProtos = protos
		}
	}
	r.srv = engine.NewServer(engine.Callbacks[*connection.Conn]{
		Bind: func(c *connection.Conn) {
			codec := w.protocol.NewCodec(protocols.Limits{MaxPackageSize: c.MaxPackageSize()})
			connection.Switch(c, codec, onMessage)
		},
		OnConnect:     w.OnConnect,
		OnClose:       w.OnClose,
		OnError:       w.OnError,
		OnBufferFull:  w.OnBufferFull,
		OnBufferDrain: w.OnBufferDrain,
	}, engine.Options{
		Loops:             count,
		MaxConnections:    w.MaxConnections,
		MaxSendBufferSize: w.MaxSendBufferSize,
		MaxPackageSize:    w.MaxPackageSize,
		WriteTimeout:      w.WriteTimeout,
		MaxUnreadInput:    w.MaxUnreadInput,
		Logger:            w.logger(),
		TLS:               tlsConfig,
		HandshakeTimeout:  w.HandshakeTimeout,
	})
	go func() {
		r.serveErr = r.srv.Serve(ln)
		close(r.served)
	}()
	select {
	case <-r.srv.Ready():
	case <-r.served:
		err := r.serveErr
		if err == nil {
			err = errors.New("engine stopped while starting")
		}
		return fail(fmt.Errorf("listen on %s: %w", bound, err))
	}
	r.addr, r.started = bound, time.Now()
	w.mu.Lock()
	w.cur = r
	w.mu.Unlock()
	w.logger().Debug("worker started", "name", w.Name, "listen", w.socketName, "addr", bound, "loops", count)
	if w.OnWorkerStart != nil {
		if err := guard("OnWorkerStart", func() { w.OnWorkerStart(w) }); err != nil {
			w.logger().Error("worker: OnWorkerStart failed", "worker", w.Name, "err", err)
		}
	}
	go w.watch(ctx, r)
	return nil
}

// watch ends run r when ctx is cancelled, or reports an engine that stopped
// by itself. ctx belongs to this run: once the run is over, its
// cancellation must not stop a later one.
func (w *Worker[M]) watch(ctx context.Context, r *run) {
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), w.stopTimeout())
		defer cancel()
		_ = w.stopRun(sctx, r, false)
	case <-r.served:
		if r.stopping.Swap(true) {
			return // a stop is under way and ends the run
		}
		err := r.serveErr
		if err == nil {
			err = errors.New("without an error")
		}
		r.err = fmt.Errorf("worker %s: the engine stopped by itself: %w", w.Name, err)
		w.logger().Error("worker: the engine stopped by itself; the Worker no longer accepts connections",
			"worker", w.Name, "addr", r.addr, "err", err)
		w.endRun(r)
	case <-r.done:
	}
}

// Stop stops the Worker gracefully: it stops accepting, runs OnWorkerStop,
// lets every connection write what is queued and closes it, then stops the
// loops. When ctx ends first, the remaining connections are closed at once
// and Stop returns an error saying so. Stopping a Worker that is not
// running does nothing.
func (w *Worker[M]) Stop(ctx context.Context) error {
	w.mu.Lock()
	r := w.cur
	w.mu.Unlock()
	if r == nil {
		return nil
	}
	return w.stopRun(ctx, r, false)
}

// handOver stops the Worker as Stop does, for a process that has taken
// over its listener (reload, restart): clients are told to reconnect
// (event streams get a retry hint, WebSockets close with 1012).
func (w *Worker[M]) handOver(ctx context.Context) error {
	w.mu.Lock()
	r := w.cur
	w.mu.Unlock()
	if r == nil {
		return nil
	}
	return w.stopRun(ctx, r, true)
}

// stopRun stops run r; a second caller waits for the first one's stop.
// restart is Shutdown's: another process serves the listener now.
func (w *Worker[M]) stopRun(ctx context.Context, r *run, restart bool) error {
	if r.stopping.Swap(true) {
		select {
		case <-r.done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("worker %s: waiting for a stop under way: %w", w.Name, ctx.Err())
		}
	}
	r.srv.StopAccepting()
	if w.OnWorkerStop != nil {
		if err := guard("OnWorkerStop", func() { w.OnWorkerStop(w) }); err != nil {
			w.logger().Error("worker: OnWorkerStop failed", "worker", w.Name, "err", err)
		}
	}
	var errs []error
	if err := r.srv.Shutdown(ctx, restart); err != nil {
		errs = append(errs, fmt.Errorf("worker %s: closing connections: %w", w.Name, err))
	}
	// gnet's Engine.Stop polls for the end of the engine every 500 ms; the
	// engine returning (served) says it sooner.
	ectx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	engineStopped := make(chan error, 1)
	go func() { engineStopped <- r.srv.Stop(ectx) }()
	select {
	case <-r.served:
	case err := <-engineStopped:
		if err != nil {
			errs = append(errs, fmt.Errorf("worker %s: stopping the engine: %w", w.Name, err))
		}
		select {
		case <-r.served:
		case <-ectx.Done():
		}
	case <-ectx.Done():
	}
	select {
	case <-r.served:
		if r.serveErr != nil {
			errs = append(errs, fmt.Errorf("worker %s: engine: %w", w.Name, r.serveErr))
		}
	default:
		errs = append(errs, fmt.Errorf("worker %s: the engine did not stop: %w", w.Name, ectx.Err()))
	}
	w.endRun(r)
	return errors.Join(errs...)
}

// endRun marks run r over and the Worker stopped; r.err is set.
func (w *Worker[M]) endRun(r *run) {
	w.mu.Lock()
	if w.cur == r {
		w.cur = nil
	}
	w.last = r
	w.mu.Unlock()
	unregister(w)
	close(r.done)
}

// Done returns a channel that is closed when the Worker's current run is
// over: stopped by Stop or by Start's context, or ended by a failure of
// the engine (Wait tells which). For a Worker that is not running it
// returns a closed channel.
func (w *Worker[M]) Done() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur != nil {
		return w.cur.done
	}
	return closedChan
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Wait blocks until the Worker's current run is over (see Done) and
// returns why it ended: nil when it was stopped, an error when its engine
// stopped by itself (the Worker no longer accepts connections; a process
// should exit non-zero so that its supervisor restarts it). For a Worker
// that is not running it returns at once, with the last run's result.
func (w *Worker[M]) Wait() error {
	w.mu.Lock()
	r := w.cur
	if r == nil {
		r = w.last
	}
	w.mu.Unlock()
	if r == nil {
		return nil
	}
	<-r.done
	return r.err
}

// guard runs a Worker-level callback, turning a panic into an error.
func guard(name string, fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s: %v", name, r)
		}
	}()
	fn()
	return nil
}

// runner is what RunAll needs of a Worker, whatever its message type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	handOver(ctx context.Context) error
	Done() <-chan struct{}
	Wait() error
	Stats() Stats
	info() workerInfo
	setAddress(hostport string) error
	setTLS(getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error))
	stopTimeout() time.Duration
	connections(ctx context.Context) ([]engine.ConnInfo, error)
}

type workerInfo struct {
	name, socketName, addr string
	started                time.Time
	tls                    bool
}

func (w *Worker[M]) info() workerInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	in := workerInfo{name: w.Name, socketName: w.socketName, tls: w.TLSConfig != nil}
	if w.cur != nil {
		in.addr, in.started = w.cur.addr, w.cur.started
	}
	return in
}

// connections lists the open connections of the current run (none when
// not running).
func (w *Worker[M]) connections(ctx context.Context) ([]engine.ConnInfo, error) {
	w.mu.Lock()
	r := w.cur
	w.mu.Unlock()
	if r == nil {
		return nil, nil
	}
	return r.srv.ConnectionList(ctx)
}

// setTLS makes the Worker serve TLS with the certificates getCertificate
// returns, keeping the rest of its TLSConfig if it has one.
func (w *Worker[M]) setTLS(getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)) {
	cfg := &tls.Config{}
	if w.TLSConfig != nil {
		cfg = w.TLSConfig.Clone()
	}
	cfg.Certificates, cfg.GetCertificate = nil, getCertificate
	w.TLSConfig = cfg
}

func (w *Worker[M]) setAddress(hostport string) error {
	a, err := address.WithHostPort(w.socketName, hostport)
	if err != nil {
		return err
	}
	w.socketName = a
	return nil
}

// The Workers that RunAll runs: those made with New that have not stopped.
var (
	registryMu sync.Mutex
	registry   []runner
)

func register(r runner) {
	registryMu.Lock()
	registry = append(registry, r)
	registryMu.Unlock()
}

func unregister(r runner) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for i, x := range registry {
		if x == r {
			registry = append(registry[:i], registry[i+1:]...)
			return
		}
	}
}

func workers() []runner {
	registryMu.Lock()
	defer registryMu.Unlock()
	return append([]runner(nil), registry...)
}
