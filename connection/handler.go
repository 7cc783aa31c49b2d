package connection

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/workerman-go/workerman/internal/fdlimit"
	"github.com/workerman-go/workerman/protocols"
)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// Loops is the number of event loops the engine runs (for the stats
	// table; loops are discovered as they get connections).
	Loops int
	// MaxConnections caps the open accepted connections; 0 derives it from
	// the process's descriptor limit (RLIMIT_NOFILE minus headroom). Beyond
	// the cap, or when descriptors run short, new connections are closed at
	// once and counted as refused: accept(2) never fails with EMFILE, which
	// would shut the whole gnet engine down.
	MaxConnections int
	// MaxSendBufferSize, MaxPackageSize and CloseTimeout are the defaults of
	// each new connection; 0 means the package defaults.
	MaxSendBufferSize int
	MaxPackageSize    int
	CloseTimeout      time.Duration
}

// Handler is the gnet event handler behind a Worker (accepted connections)
// and behind AsyncConn (client connections). It maps gnet's events onto Conn:
// it decodes every complete message of a read, runs callbacks with panic
// recovery, flushes the work handed to each loop, drives the per-loop timer
// wheels from gnet's ticker, and enforces the connection cap.
type Handler struct {
	gnet.BuiltinEventEngine

	opts      HandlerOptions
	cfg       *connConfig
	newConn   func() *Conn // nil for a client-only engine
	maxConns  int64
	fdCeiling int

	mu    sync.Mutex
	loops []*Loop
	byEL  map[gnet.EventLoop]*Loop

	eng      gnet.Engine
	ready    chan struct{}
	ready1   sync.Once
	stopping atomic.Bool
	live     atomic.Int64
	refused  atomic.Uint64
}

// NewHandler returns the handler for a server whose protocol decodes messages
// of type M and delivers them to onMessage; hooks are the other callbacks.
func NewHandler[M any](p protocols.Protocol[M], onMessage func(*Conn, M), hooks *Hooks, opts HandlerOptions) *Handler {
	h := newHandler(hooks, opts)
	h.newConn = func() *Conn {
		c := newConn(h.cfg, opts.MaxSendBufferSize, opts.MaxPackageSize)
		c.sess = newSession(p, onMessage, c.maxPackage)
		return c
	}
	return h
}

func newHandler(hooks *Hooks, opts HandlerOptions) *Handler {
	h := &Handler{
		opts:  opts,
		cfg:   newConnConfig(hooks, opts.CloseTimeout),
		byEL:  make(map[gnet.EventLoop]*Loop),
		ready: make(chan struct{}),
	}
	limit, err := fdlimit.Limit()
	if err != nil {
		limit = 1024
	}
	h.fdCeiling = limit - fdlimit.Headroom(limit)/2
	h.maxConns = int64(opts.MaxConnections)
	if h.maxConns <= 0 {
		h.maxConns = int64(fdlimit.DefaultCap(limit))
	}
	for i := range max(opts.Loops, 0) {
		h.loops = append(h.loops, &Loop{index: i})
	}
	return h
}

// MaxConnections is the effective connection cap.
func (h *Handler) MaxConnections() int { return int(h.maxConns) }

// Ready is closed once the engine runs: its listeners are bound and its
// loops started.
func (h *Handler) Ready() <-chan struct{} { return h.ready }

// Engine is the gnet engine, valid after Ready.
func (h *Handler) Engine() gnet.Engine { return h.eng }

// Connections is the number of open connections.
func (h *Handler) Connections() int { return int(h.live.Load()) }

// Refused counts connections closed at accept by the connection cap.
func (h *Handler) Refused() uint64 { return h.refused.Load() }

// Loops returns the loops' state, for statistics. Loops that have not had a
// connection yet show zero counters.
func (h *Handler) Loops() []*Loop {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Loop(nil), h.loops...)
}

// boundLoops returns the loops that are bound to a gnet event loop.
func (h *Handler) boundLoops() []*Loop {
	h.mu.Lock()
	defer h.mu.Unlock()
	bound := make([]*Loop, 0, len(h.loops))
	for _, l := range h.loops {
		if l.el != nil {
			bound = append(bound, l)
		}
	}
	return bound
}

// loopFor returns the Loop of a gnet event loop, binding a free slot to it
// the first time.
func (h *Handler) loopFor(el gnet.EventLoop) *Loop {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l, ok := h.byEL[el]; ok {
		return l
	}
	for _, l := range h.loops {
		if l.el == nil {
			l.bind(el)
			h.byEL[el] = l
			return l
		}
	}
	l := &Loop{index: len(h.loops)}
	l.bind(el)
	h.loops = append(h.loops, l)
	h.byEL[el] = l
	return l
}

// OnBoot implements gnet.EventHandler.
func (h *Handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.eng = eng
	return gnet.None
}

// OnTick implements gnet.EventHandler. gnet calls it on its own goroutine;
// it queues one tick task on each loop that has timers or watched
// connections, and marks the engine ready the first time.
func (h *Handler) OnTick() (time.Duration, gnet.Action) {
	h.ready1.Do(func() { close(h.ready) })
	now := time.Now().UnixNano()
	for _, l := range h.boundLoops() {
		l.requestTick(now)
	}
	return TickInterval, gnet.None
}

// OnOpen implements gnet.EventHandler.
func (h *Handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	l := h.loopFor(gc.EventLoop())
	c, _ := gc.Context().(*Conn)
	if c == nil { // accepted
		if h.newConn == nil || h.stopping.Load() || h.live.Load() >= h.maxConns || gc.Fd() >= h.fdCeiling {
			h.refused.Add(1)
			l.stats.Refused.Add(1)
			return nil, gnet.Close
		}
		c = h.newConn()
		gc.SetContext(c)
	}
	h.live.Add(1)
	l.stats.Connections.Add(1)
	l.stats.Accepted.Add(1)

	l.enter()
	c.attach(gc, l)
	if c.sess != nil {
		c.guard("protocol", func() { c.sess.opened(c) })
	}
	c.guard("OnConnect", func() {
		if c.cfg.hooks.OnConnect != nil {
			c.cfg.hooks.OnConnect(c)
		}
	})
	l.exit()
	return nil, gnet.None
}

// OnTraffic implements gnet.EventHandler.
func (h *Handler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil {
		return gnet.Close
	}
	l := c.loop
	l.enter()
	if n := gc.InboundBuffered(); n > c.inLeft {
		l.stats.BytesRead.Add(uint64(n - c.inLeft))
		c.bytesRead.Add(uint64(n - c.inLeft))
		c.inLeft = n
	}
	if c.Status() == StatusEstablished {
		c.sess.process(c)
	} else {
		// Closing: nothing more is delivered; drop what arrives.
		_, _ = gc.Discard(-1)
		c.inLeft = 0
	}
	l.exit()
	return gnet.None
}

// OnClose implements gnet.EventHandler.
func (h *Handler) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil || c.gc == nil {
		return gnet.None
	}
	h.live.Add(-1)
	l := c.loop
	l.enter()
	l.remove(c)
	c.finish(err)
	l.exit()
	return gnet.None
}

// StopAccepting makes the handler refuse every new connection.
func (h *Handler) StopAccepting() { h.stopping.Store(true) }

// Shutdown stops accepting (new connections are refused), closes every open
// connection gracefully (queued data is written first), and waits until all
// are closed or ctx is done; then it destroys whatever is left.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.stopping.Store(true)
	closeAll := func(destroy bool) {
		for _, l := range h.boundLoops() {
			_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				l.enter()
				for c := l.head; c != nil; c = c.next {
					if destroy {
						c.Destroy()
					} else {
						c.Close()
					}
				}
				l.exit()
				return nil
			}))
		}
	}
	closeAll(false)
	t := time.NewTicker(TickInterval)
	defer t.Stop()
	for h.live.Load() > 0 {
		select {
		case <-ctx.Done():
			closeAll(true)
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// attach binds c to its gnet connection and loop and flushes what was queued
// before (an AsyncConn may Send before it connects).
func (c *Conn) attach(gc gnet.Conn, l *Loop) {
	c.gc = gc
	c.inLeft = 0
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
