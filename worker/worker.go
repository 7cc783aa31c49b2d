// Package worker runs servers written as Workerman-style callbacks on epoll
// event loops (gnet).
//
// A Worker listens on one address with one protocol, runs Count event loops
// and calls its callbacks; RunAll runs every Worker of the process and gives
// it Workerman's command line (start, stop, status, ...). Start and Stop embed
// a Worker in a larger program or a test.
//
// The package maps Workers onto the engine; what a connection can do is in
// package connection, and how bytes become messages is in package protocols
// and its sub-packages.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/address"
	"github.com/workerman-go/workerman/internal/gnetlog"
	"github.com/workerman-go/workerman/protocols"
)

// Worker is a server: a listen address, a protocol whose messages have type M,
// a number of event loops, and Workerman's callbacks. Set the fields, then
// run it with RunAll (or Start). Fields must not change once it runs.
type Worker[M any] struct {
	// Name shows in the status table (default "none", as in Workerman).
	Name string
	// Count is the number of event loops (default: the number of CPUs).
	// Each connection belongs to one loop, and its callbacks run there.
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

	// OnWorkerStart runs once, after the Worker listens and its loops run,
	// on the goroutine that started it. Addr is valid from here on.
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

	address  string
	protocol protocols.Protocol[M]

	mu      sync.Mutex
	handler *connection.Handler
	addr    string
	started time.Time
	done    chan error    // the engine's result, once it stops
	stopped chan struct{} // closed when the current run has stopped
	running bool
}

// New returns a Worker listening on address, a Workerman address such as
// "text://0.0.0.0:2000" whose scheme names the protocol; p is that protocol
// and fixes the type of the messages OnMessage receives:
//
//	w := worker.New("text://0.0.0.0:2000", text.Protocol()) // *Worker[string]
//
// The Worker joins the set that RunAll runs. An address whose scheme does not
// match the protocol is reported when the Worker starts.
func New[M any](address string, p protocols.Protocol[M]) *Worker[M] {
	w := &Worker[M]{address: address, protocol: p, Name: "none"}
	register(w)
	return w
}

// Address is the address the Worker was created with (or set by -listen).
func (w *Worker[M]) Address() string { return w.address }

// Addr is the bound host:port once the Worker runs (the real port when the
// address asked for port 0), or "" before.
func (w *Worker[M]) Addr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addr
}

// Connections is the number of open connections.
func (w *Worker[M]) Connections() int {
	if h := w.getHandler(); h != nil {
		return h.Connections()
	}
	return 0
}

// Loops returns the state and counters of the Worker's event loops (empty
// before it runs).
func (w *Worker[M]) Loops() []*connection.Loop {
	if h := w.getHandler(); h != nil {
		return h.Loops()
	}
	return nil
}

// Refused counts the connections refused by the connection cap.
func (w *Worker[M]) Refused() uint64 {
	if h := w.getHandler(); h != nil {
		return h.Refused()
	}
	return 0
}

func (w *Worker[M]) getHandler() *connection.Handler {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handler
}

// Start binds the address, starts the event loops and runs OnWorkerStart; it
// returns once the Worker accepts connections (or fails to). The Worker
// stops when ctx is cancelled (as Stop does, with StopTimeout) or when Stop
// is called; Wait reports how the engine ended.
func (w *Worker[M]) Start(ctx context.Context) error {
	scheme, hostport, err := address.Parse(w.address)
	if err != nil {
		return fmt.Errorf("worker %s: %w", w.Name, err)
	}
	if scheme != w.protocol.Scheme() {
		return fmt.Errorf("worker %s: address %q has scheme %q but the protocol is %q",
			w.Name, w.address, scheme, w.protocol.Scheme())
	}
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return fmt.Errorf("worker %s: already running", w.Name)
	}
	w.running = true
	w.mu.Unlock()

	bound, err := pickPort(hostport, w.ReusePort)
	if err != nil {
		w.setStopped()
		return fmt.Errorf("worker %s: %w", w.Name, err)
	}
	count := w.Count
	if count <= 0 {
		count = runtime.NumCPU()
	}
	h := connection.NewHandler(w.protocol, w.OnMessage, &connection.Hooks{
		OnConnect:     w.OnConnect,
		OnClose:       w.OnClose,
		OnError:       w.OnError,
		OnBufferFull:  w.OnBufferFull,
		OnBufferDrain: w.OnBufferDrain,
	}, connection.HandlerOptions{
		Loops:             count,
		MaxConnections:    w.MaxConnections,
		MaxSendBufferSize: w.MaxSendBufferSize,
		MaxPackageSize:    w.MaxPackageSize,
	})
	done := make(chan error, 1)
	go func() {
		// Every loop gets its own SO_REUSEPORT listener on the port picked
		// above, so each accept runs OnOpen on the accepting loop at once:
		// a refused connection is closed before the next accept, which keeps
		// the descriptor count under the cap.
		done <- gnet.Run(h, "tcp://"+bound,
			gnet.WithMulticore(true),
			gnet.WithNumEventLoop(count),
			gnet.WithReusePort(true),
			gnet.WithReuseAddr(true),
			gnet.WithTicker(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(gnetlog.Logger{L: slog.Default()}),
		)
	}()
	select {
	case <-h.Ready():
	case err := <-done:
		w.setStopped()
		if err == nil {
			err = errors.New("engine stopped while starting")
		}
		return fmt.Errorf("worker %s: listen on %s: %w", w.Name, bound, err)
	}
	stopped := make(chan struct{})
	w.mu.Lock()
	w.handler, w.addr, w.started, w.done, w.stopped = h, bound, time.Now(), done, stopped
	w.mu.Unlock()
	slog.Debug("worker started", "name", w.Name, "listen", w.address, "addr", bound, "loops", count)
	if w.OnWorkerStart != nil {
		if err := guard("OnWorkerStart", func() { w.OnWorkerStart(w) }); err != nil {
			slog.Error("worker: OnWorkerStart failed", "worker", w.Name, "err", err)
		}
	}
	// ctx belongs to this run: once the run is over, its cancellation must
	// not stop a later one.
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
			defer cancel()
			_ = w.stop(sctx, h)
		case <-stopped:
		}
	}()
	return nil
}

func (w *Worker[M]) setStopped() {
	w.mu.Lock()
	w.running = false
	w.mu.Unlock()
}

// StopTimeout bounds how long a stop waits for connections to take their
// queued data before they are closed regardless.
var StopTimeout = 10 * time.Second

// Stop stops the Worker gracefully: it stops accepting, runs OnWorkerStop,
// lets every connection write what is queued and closes it, then stops the
// loops. When ctx ends first, the remaining connections are closed at once.
// Stopping a Worker that is not running does nothing.
func (w *Worker[M]) Stop(ctx context.Context) error { return w.stop(ctx, nil) }

// stop stops the current run; with only set, it stops it only if only is
// the current run's handler.
func (w *Worker[M]) stop(ctx context.Context, only *connection.Handler) error {
	w.mu.Lock()
	h, done, stopped := w.handler, w.done, w.stopped
	if h == nil || (only != nil && h != only) {
		w.mu.Unlock()
		return nil
	}
	w.handler = nil
	w.mu.Unlock()
	defer close(stopped)
	h.StopAccepting()
	if w.OnWorkerStop != nil {
		if err := guard("OnWorkerStop", func() { w.OnWorkerStop(w) }); err != nil {
			slog.Error("worker: OnWorkerStop failed", "worker", w.Name, "err", err)
		}
	}
	shutdownErr := h.Shutdown(ctx)
	ectx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// gnet's Engine.Stop polls for the end of the engine every 500 ms;
	// gnet.Run returning (done) says it sooner.
	engineStopped := make(chan error, 1)
	go func() { engineStopped <- h.Engine().Stop(ectx) }()
	var runErr, stopErr error
	select {
	case runErr = <-done:
	case stopErr = <-engineStopped:
		select {
		case runErr = <-done:
		case <-ectx.Done():
			runErr = ectx.Err()
		}
	case <-ectx.Done():
		runErr = ectx.Err()
	}
	w.mu.Lock()
	w.running = false
	w.done, w.stopped = nil, nil
	w.mu.Unlock()
	if shutdownErr != nil {
		return fmt.Errorf("worker %s: closing connections: %w", w.Name, shutdownErr)
	}
	if stopErr != nil {
		return fmt.Errorf("worker %s: stopping the engine: %w", w.Name, stopErr)
	}
	if runErr != nil {
		return fmt.Errorf("worker %s: engine: %w", w.Name, runErr)
	}
	return nil
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

// pickPort checks that hostport can be listened on and resolves port 0 to a
// free port. gnet binds one SO_REUSEPORT listener per loop; binding the same
// ":0" per loop would give each loop a different port, so the port is chosen
// here once. Without reusePort, a port already in use is an error (a plain
// bind fails against any listener, SO_REUSEPORT or not).
func pickPort(hostport string, reusePort bool) (string, error) {
	if reusePort {
		host, port, _ := net.SplitHostPort(hostport)
		if port != "0" {
			return hostport, nil
		}
		hostport = net.JoinHostPort(host, "0")
	}
	ln, err := net.Listen("tcp", hostport)
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// runner is what RunAll needs of a Worker, whatever its message type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	info() workerInfo
	setAddress(hostport string) error
}

type workerInfo struct {
	name, listen, addr string
	started            time.Time
	handler            *connection.Handler
}

func (w *Worker[M]) info() workerInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return workerInfo{name: w.Name, listen: w.address, addr: w.addr, started: w.started, handler: w.handler}
}

func (w *Worker[M]) setAddress(hostport string) error {
	a, err := address.WithHostPort(w.address, hostport)
	if err != nil {
		return err
	}
	w.address = a
	return nil
}

var (
	registryMu sync.Mutex
	registry   []runner
)

func register(r runner) {
	registryMu.Lock()
	registry = append(registry, r)
	registryMu.Unlock()
}

func workers() []runner {
	registryMu.Lock()
	defer registryMu.Unlock()
	return append([]runner(nil), registry...)
}
