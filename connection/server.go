package connection

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"reflect"
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

	cli      *gnet.Client // the engine of Serve
	tick     *ticker
	ready    chan struct{} // closed by the ticker's first round: the loops run
	ready1   sync.Once
	stopped  chan struct{} // closed by Stop
	stop1    sync.Once
	draining atomic.Int32  // drainStop or drainRestart once Shutdown has begun
	live     atomic.Int64  // open connections
	opening  atomic.Int64  // accepted, not yet opened on a loop
	refused  atomic.Uint64 // connections closed at accept
}

// newServer returns the server of a Worker: it accepts connections and runs
// them with cb.
func newServer(cb hooks, opts engine.Options) engine.Server { return newHandler(cb, opts) }

func newHandler(cb hooks, opts engine.Options) *server {
	s := &server{
		opts:    opts,
		cfg:     newConnConfig(cb, opts),
		byEL:    make(map[gnet.EventLoop]*Loop),
		tick:    newTicker(),
		ready:   make(chan struct{}),
		stopped: make(chan struct{}),
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
	return &Loop{index: index, logger: s.cfg.logger, tick: s.tick}
}

// Serve implements engine.Server. The event loops are a gnet engine of the
// kind gnet calls a client: it has no listener of its own, and takes
// connections that were accepted elsewhere (gnet's own acceptor would shut
// the whole engine down on EMFILE: see acceptLoop). Its loops end only on
// Stop: nothing they run returns gnet's shutdown action, and there is no
// listener whose accept could fail.
func (s *server) Serve(ln net.Listener) error {
	defer ln.Close()
	addSpareProc(max(s.opts.Loops, 1), s.cfg.logger)
	cli, err := gnet.NewClient(s,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(max(s.opts.Loops, 1)),
		gnet.WithLogger(gnetlog.Logger{L: s.cfg.logger}),
	)
	if err != nil {
		return fmt.Errorf("connection: creating the engine: %w", err)
	}
	if err := cli.Start(); err != nil {
		return fmt.Errorf("connection: starting the engine: %w", err)
	}
	s.mu.Lock()
	s.ln, s.cli = ln, cli
	s.mu.Unlock()
	go s.runTicker()
	<-s.ready // the ticker's first round: the loops run
	accepted := make(chan error, 1)
	go func() { accepted <- s.acceptLoop(ln) }()
	select {
	case err := <-accepted:
		if err != nil {
			// The listener failed: without it the engine is no use.
			_ = s.Stop(context.Background())
			return err
		}
		<-s.stopped // the listener was closed for a stop: wait for it
	case <-s.stopped:
		ln.Close()
		<-accepted
	}
	return nil
}

// Stop implements engine.Server: the loops end, and Serve returns.
func (s *server) Stop(context.Context) error {
	var err error
	s.stop1.Do(func() {
		s.mu.Lock()
		cli := s.cli
		s.mu.Unlock()
		if cli != nil {
			err = cli.Stop()
		}
		close(s.stopped)
	})
	return err
}

// ConnectionList implements engine.Server: each loop lists its own
// connections, in a task of its own.
func (s *server) ConnectionList(ctx context.Context) ([]engine.ConnInfo, error) {
	loops := s.boundLoops()
	lists := make(chan []engine.ConnInfo, len(loops))
	for _, l := range loops {
		l.Run(func() { lists <- l.connInfos() })
	}
	var all []engine.ConnInfo
	for range loops {
		select {
		case list := <-lists:
			all = append(all, list...)
		case <-ctx.Done():
			return nil, fmt.Errorf("connection: listing the connections: %w", ctx.Err())
		}
	}
	slices.SortFunc(all, func(a, b engine.ConnInfo) int { return cmp.Compare(a.ID, b.ID) })
	return all, nil
}

// connInfos describes the loop's open connections. It runs on the loop.
func (l *Loop) connInfos() []engine.ConnInfo {
	var out []engine.ConnInfo
	for c := l.head; c != nil; c = c.next {
		out = append(out, engine.ConnInfo{
			ID:           c.id,
			Protocol:     protocolName(c.sess.codecValue()),
			Remote:       addrString(c.remoteAddr),
			Local:        addrString(c.localAddr),
			State:        c.Status().String(),
			Opened:       time.Unix(0, c.opened),
			BytesRead:    c.bytesRead.Load(),
			BytesWritten: c.bytesWritten.Load(),
			Queued:       c.SendBufferSize(),
		})
	}
	return out
}

// protocolName is what a codec says it carries (a ProtocolName method:
// the HTTP codec says "sse" for an event stream), or else the last element
// of the package path of its type: "http", "websocket", "text", ...
func protocolName(codec any) string {
	if n, ok := codec.(interface{ ProtocolName() string }); ok {
		return n.ProtocolName()
	}
	t := reflect.TypeOf(codec)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "-"
	}
	return path.Base(t.PkgPath())
}

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

// OnOpen implements gnet.EventHandler.
func (s *server) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	l := s.loopFor(gc.EventLoop())
	c, _ := gc.Context().(*Conn)
	if c == nil { // every connection comes with its Conn: see register
		return nil, gnet.Close
	}
	if c.cfg == s.cfg { // accepted: see register
		s.opening.Add(-1)
	}
	s.live.Add(1)
	l.stats.Connections.Add(1)
	l.stats.Accepted.Add(1)

	l.enter()
	c.attach(gc, l)
	// With TLS, the protocol and OnConnect wait for the handshake.
	switch {
	case c.cfg == s.cfg && s.opts.TLS != nil:
		c.startTLS(func(nc net.Conn) *tls.Conn { return tls.Server(nc, s.opts.TLS) }, s.opts.HandshakeTimeout,
			func(err error) { s.handshakeDone(c, err) })
	case c.cfg.tlsClient != nil:
		cfg := c.cfg.tlsClient
		c.startTLS(func(nc net.Conn) *tls.Conn { return tls.Client(nc, cfg) }, c.cfg.handshakeTimeout,
			func(err error) { s.handshakeDone(c, err) })
	default:
		s.open(c)
	}
	l.flushAndLeave()
	return nil, gnet.None
}

// open installs the protocol of c and runs OnConnect: when it opens, or
// once its TLS handshake is done.
func (s *server) open(c *Conn) {
	c.start()
	if m := s.draining.Load(); m != 0 && c.cfg == s.cfg {
		c.drain(m == drainRestart) // accepted as the server stops
	}
}

// start installs c's protocol (an AsyncConn's session, or the Worker's
// Bind) and runs OnConnect.
func (c *Conn) start() {
	if c.sess != nil {
		c.Guard("protocol", func() { c.sess.opened(c) })
	} else if bind := c.cfg.hooks.Bind; bind != nil {
		c.Guard("protocol", func() { bind(c) })
	}
	if h := c.cfg.hooks.OnConnect; h != nil {
		c.Guard("OnConnect", func() { h(c) })
	}
}

// plaintextToTLS answers a plain HTTP request sent to a TLS port, as
// net/http does: the client learns what went wrong.
const plaintextToTLS = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
	"Client sent an HTTP request to an HTTPS server.\n"

// handshakeDone continues c, an accepted TLS connection, once its
// handshake is over: it opens, with what arrived meanwhile decrypted, or
// it closes.
func (s *server) handshakeDone(c *Conn, err error) {
	if err != nil && c.cfg != s.cfg {
		// A client's: the application is told.
		c.callError(&TLSError{Err: err})
		c.Destroy()
		return
	}
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && looksLikeHTTP(rh.RecordHeader) {
			_, _ = c.writeWire([]byte(plaintextToTLS))
			c.Close()
		} else {
			c.Destroy()
		}
		s.cfg.logger.Debug("workerman: TLS handshake failed", "conn", c.id, "remote", addrString(c.remoteAddr), "err", err)
		return
	}
	s.open(c)
	if c.Status() != StatusEstablished {
		return
	}
	c.mu.Lock()
	if c.pending.len() > 0 {
		c.scheduleLocked() // sent before the handshake ended: encrypted now
	}
	c.mu.Unlock()
	if layer := c.x.Load().tls; c.decryptTLS(layer) && c.sess != nil && c.Status() == StatusEstablished {
		c.sess.process(c) // a request that came with the handshake's end
	}
}

// httpStarts are the first five bytes of HTTP request lines: what a TLS
// record header (five bytes) holds when a client speaks plain HTTP.
var httpStarts = []string{"GET /", "HEAD ", "POST ", "PUT /", "DELET", "OPTIO", "PATCH", "CONNE", "TRACE"}

// looksLikeHTTP reports whether header, the first five bytes of a
// connection, start an HTTP request line.
func looksLikeHTTP(header [5]byte) bool { return slices.Contains(httpStarts, string(header[:])) }

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
	if x := c.x.Load(); x != nil && x.tls != nil && c.Status() == StatusEstablished {
		// Decrypted into c.in, or handed to the handshake.
		if c.readTLS(x.tls) && x.tls.established && c.sess != nil {
			c.sess.process(c)
		}
	} else if c.Status() == StatusEstablished && c.sess != nil {
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
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Shutdown implements engine.Server.
func (s *server) Shutdown(ctx context.Context, restart bool) error {
	s.StopAccepting()
	mode := int32(drainStop)
	if restart {
		mode = drainRestart
	}
	s.draining.Store(mode)
	// The connections' closes end by the stop's deadline (a little before
	// it, so that they are over when it passes): one whose peer does not
	// take what is queued for it drops the rest then, and says so in the
	// log, and the stop is complete.
	var closeBy int64
	if d, ok := ctx.Deadline(); ok {
		margin := min(time.Until(d)/10, 100*time.Millisecond)
		closeBy = sinceEpoch() + int64(time.Until(d)-margin)
	}
	endAll := func(destroy bool) {
		for _, l := range s.boundLoops() {
			_ = l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
				l.enter()
				for c := l.head; c != nil; c = c.next {
					if destroy {
						c.Destroy()
						continue
					}
					c.drain(restart)
				}
				// What is closing by now must be closed by the deadline;
				// a connection whose protocol is finishing a response
				// gets the same when it closes, or is destroyed then.
				for c := l.head; c != nil; c = c.next {
					if closeBy != 0 && c.Status() == StatusClosing && (c.closeBy == 0 || c.closeBy > closeBy) {
						c.closeBy = closeBy
					}
				}
				l.flushAndLeave()
				return nil
			}))
		}
	}
	endAll(false)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for s.live.Load()+s.opening.Load() > 0 {
		select {
		case <-ctx.Done():
			endAll(true)
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
	c.opened = time.Now().UnixNano()
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
