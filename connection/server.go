package connection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/workerman-go/workerman/internal/engine"
	"github.com/workerman-go/workerman/internal/fdlimit"
	"github.com/workerman-go/workerman/internal/gnetlog"
)

func init() { engine.Register(newServer) }

// hooks are the callbacks of a connection that do not depend on the
// protocol's message type, as a Worker or an AsyncConn fills them. Every
// hook is optional and runs on the connection's loop.
type hooks = engine.Callbacks[*Conn]

// server is the gnet event handler behind a Worker (accepted connections)
// and behind AsyncConn (client connections). It maps gnet's events onto
// Conn: it decodes every complete message of a read, runs callbacks with
// panic recovery, flushes the work handed to each loop, drives the per-loop
// timer wheels from gnet's ticker, and enforces the connection cap.
type server struct {
	gnet.BuiltinEventEngine

	opts      engine.Options
	cfg       *connConfig
	maxConns  int64
	fdCeiling int

	mu    sync.Mutex
	loops []*Loop
	byEL  map[gnet.EventLoop]*Loop
	ln    net.Listener // the listener of Serve

	eng      gnet.Engine
	ready    chan struct{}
	ready1   sync.Once
	stopping atomic.Bool
	live     atomic.Int64  // open connections
	opening  atomic.Int64  // accepted, not yet opened on a loop
	refused  atomic.Uint64 // connections closed at accept
}

// newServer returns the server of a Worker: it accepts connections and runs
// them with cb.
func newServer(cb hooks, opts engine.Options) engine.Server { return newHandler(cb, opts) }

func newHandler(cb hooks, opts engine.Options) *server {
	s := &server{
		opts:  opts,
		cfg:   newConnConfig(cb, opts),
		byEL:  make(map[gnet.EventLoop]*Loop),
		ready: make(chan struct{}),
	}
	limit, err := fdlimit.Limit()
	if err != nil {
		limit = 1024
	}
	s.fdCeiling = limit - fdlimit.Headroom(limit)/2
	s.maxConns = int64(opts.MaxConnections)
	if s.maxConns <= 0 {
		s.maxConns = int64(fdlimit.DefaultCap(limit))
	}
	for i := range max(opts.Loops, 0) {
		s.loops = append(s.loops, s.newLoop(i))
	}
	return s
}

func (s *server) newLoop(index int) *Loop {
	return &Loop{index: index, logger: s.cfg.logger}
}

// Serve implements engine.Server. The event loops are a gnet engine, and
// the connections come from acceptLoop, which hands each to a loop: gnet's
// own acceptor would shut the engine down on EMFILE (see acceptLoop). A
// gnet engine cannot run without a listener of its own, so it gets one
// nobody can reach: a Unix socket in a private temporary directory.
func (s *server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	defer ln.Close()
	dir, err := os.MkdirTemp("", "wm-engine-")
	if err != nil {
		return fmt.Errorf("connection: a directory for the engine's socket: %w", err)
	}
	defer os.RemoveAll(dir)
	served := make(chan error, 1)
	go func() {
		served <- gnet.Run(s, "unix://"+filepath.Join(dir, "s"),
			gnet.WithMulticore(true),
			gnet.WithNumEventLoop(max(s.opts.Loops, 1)),
			gnet.WithLoadBalancing(gnet.LeastConnections), // Register from another goroutine needs it
			gnet.WithTicker(true),
			gnet.WithLogger(gnetlog.Logger{L: s.cfg.logger}),
		)
	}()
	select {
	case <-s.ready:
	case err := <-served:
		if err == nil {
			err = errors.New("the engine stopped while starting")
		}
		return err
	}
	accepted := make(chan error, 1)
	go func() { accepted <- s.acceptLoop(ln) }()
	select {
	case err := <-served:
		ln.Close()
		<-accepted
		return err
	case err := <-accepted:
		if err == nil { // the listener was closed: a stop is under way
			return <-served
		}
		// The listener failed: without it the engine is no use.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.eng.Stop(ctx)
		<-served
		return err
	}
}

// Stop implements engine.Server.
func (s *server) Stop(ctx context.Context) error { return s.eng.Stop(ctx) }

// MaxConnections implements engine.Server.
func (s *server) MaxConnections() int { return int(s.maxConns) }

// Ready implements engine.Server.
func (s *server) Ready() <-chan struct{} { return s.ready }

// Connections implements engine.Server.
func (s *server) Connections() int { return int(s.live.Load()) }

// Refused implements engine.Server.
func (s *server) Refused() uint64 { return s.refused.Load() }

// Loops implements engine.Server. Loops that have not had a connection yet
// show zero counters.
func (s *server) Loops() []engine.LoopStats {
	s.mu.Lock()
	loops := slices.Clone(s.loops)
	s.mu.Unlock()
	out := make([]engine.LoopStats, len(loops))
	for i, l := range loops {
		out[i] = l.stats.read(l.index)
	}
	return out
}

// boundLoops returns the loops that are bound to a gnet event loop.
func (s *server) boundLoops() []*Loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	bound := make([]*Loop, 0, len(s.loops))
	for _, l := range s.loops {
		if l.el != nil {
			bound = append(bound, l)
		}
	}
	return bound
}

// loopFor returns the Loop of a gnet event loop, binding a free slot to it
// the first time.
func (s *server) loopFor(el gnet.EventLoop) *Loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.byEL[el]; ok {
		return l
	}
	for _, l := range s.loops {
		if l.el == nil {
			l.bind(el)
			s.byEL[el] = l
			return l
		}
	}
	l := s.newLoop(len(s.loops))
	l.bind(el)
	s.loops = append(s.loops, l)
	s.byEL[el] = l
	return l
}

// OnBoot implements gnet.EventHandler.
func (s *server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	return gnet.None
}

// OnTick implements gnet.EventHandler. gnet calls it on its own goroutine;
// it queues one tick task on each loop that has timers or watched
// connections, and marks the engine ready the first time.
func (s *server) OnTick() (time.Duration, gnet.Action) {
	s.ready1.Do(func() { close(s.ready) })
	now := time.Now().UnixNano()
	for _, l := range s.boundLoops() {
		l.requestTick(now)
	}
	return tickInterval, gnet.None
}

// OnOpen implements gnet.EventHandler.
func (s *server) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	l := s.loopFor(gc.EventLoop())
	c, _ := gc.Context().(*Conn)
	if c == nil { // through gnet's own listener, which nobody should reach
		return nil, gnet.Close
	}
	s.live.Add(1)
	l.stats.Connections.Add(1)
	l.stats.Accepted.Add(1)

	l.enter()
	c.attach(gc, l)
	if c.sess != nil {
		c.Guard("protocol", func() { c.sess.opened(c) })
	} else if bind := c.cfg.hooks.Bind; bind != nil {
		c.Guard("protocol", func() { bind(c) })
	}
	if h := c.cfg.hooks.OnConnect; h != nil {
		c.Guard("OnConnect", func() { h(c) })
	}
	l.flushAndLeave()
	return nil, gnet.None
}

// OnTraffic implements gnet.EventHandler.
func (s *server) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil {
		return gnet.Close
	}
	l := c.loop
	l.enter()
	// gnet's buffer holds only what this read brought: what earlier reads
	// left undecoded was moved to c.in (keepInput).
	n := uint64(gc.InboundBuffered())
	l.stats.BytesRead.Add(n)
	c.bytesRead.Add(n)
	if c.Status() == StatusEstablished && c.sess != nil {
		c.sess.process(c)
	} else {
		// Closing: nothing more is delivered; drop what arrives.
		c.dropInput()
	}
	l.flushAndLeave()
	return gnet.None
}

// OnClose implements gnet.EventHandler.
func (s *server) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil || c.gc == nil {
		return gnet.None
	}
	s.live.Add(-1)
	l := c.loop
	l.enter()
	l.remove(c)
	c.finish(err)
	l.flushAndLeave()
	return gnet.None
}

// StopAccepting implements engine.Server.
func (s *server) StopAccepting() {
	s.stopping.Store(true)
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Shutdown implements engine.Server.
func (s *server) Shutdown(ctx context.Context) error {
	s.StopAccepting()
	// The connections' closes end by the stop's deadline (a little before
	// it, so that they are over when it passes): one whose peer does not
	// take what is queued for it drops the rest then, and says so in the
	// log, and the stop is complete.
	var closeBy int64
	if d, ok := ctx.Deadline(); ok {
		margin := min(time.Until(d)/10, 100*time.Millisecond)
		closeBy = d.Add(-margin).UnixNano()
	}
	closeAll := func(destroy bool) {
		for _, l := range s.boundLoops() {
			_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				l.enter()
				for c := l.head; c != nil; c = c.next {
					if destroy {
						c.Destroy()
						continue
					}
					c.Close()
					if closeBy != 0 && (c.closeBy == 0 || c.closeBy > closeBy) {
						c.closeBy = closeBy
					}
				}
				l.flushAndLeave()
				return nil
			}))
		}
	}
	closeAll(false)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for s.live.Load() > 0 {
		select {
		case <-ctx.Done():
			closeAll(true)
			return fmt.Errorf("connection: %d connections still open: %w", s.live.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// attach binds c to its gnet connection and loop and flushes what was queued
// before (an AsyncConn may Send before it connects).
func (c *Conn) attach(gc gnet.Conn, l *Loop) {
	c.gc = gc
	c.mu.Lock()
	c.loop = l
	c.remoteAddr = cloneAddr(gc.RemoteAddr())
	c.localAddr = cloneAddr(gc.LocalAddr())
	c.status.Store(int32(StatusEstablished))
	if c.destroyReq || c.closeReq {
		c.status.Store(int32(StatusClosing))
	}
	queued := c.pending.len() > 0 || c.closeReq || c.destroyReq
	if x := c.x.Load(); x != nil && len(x.ops) > 0 {
		queued = true
	}
	c.mu.Unlock()
	l.add(c)
	if queued {
		c.mu.Lock()
		c.scheduleLocked()
		c.mu.Unlock()
	}
}

// cloneAddr copies a TCP address that has a zone: gnet recycles the memory
// of an address's zone when it releases the connection, and a Conn's
// addresses outlive that. Without a zone the address is kept as it is.
func cloneAddr(a net.Addr) net.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta == nil || ta.Zone == "" {
		return a
	}
	return &net.TCPAddr{IP: slices.Clone(ta.IP), Port: ta.Port, Zone: strings.Clone(ta.Zone)}
}

// logger returns l, or slog.Default() when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
