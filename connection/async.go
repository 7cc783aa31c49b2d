package connection

import (
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/workerman-go/workerman/internal/address"
	"github.com/workerman-go/workerman/internal/engine"
	"github.com/workerman-go/workerman/internal/gnetlog"
	"github.com/workerman-go/workerman/protocols"
)

// AsyncConn is a client connection run by an event loop, with the same
// callbacks as a server connection: Workerman's AsyncTcpConnection.
//
//	ac, err := connection.NewAsync("frame://127.0.0.1:2000", frame.Protocol())
//	ac.OnConnect = func(c *connection.Conn) { c.Send("hello") }
//	ac.OnMessage = func(c *connection.Conn, msg []byte) { ... }
//	ac.OnClose = func(c *connection.Conn) { ac.Reconnect(time.Second) }
//	ac.Connect()
//
// The embedded *Conn is the same value across reconnects. Sends made before
// the connection is established are queued and written once it is. Set the
// fields before Connect.
type AsyncConn[M any] struct {
	*Conn

	// The callbacks, as on a Worker. OnError also receives connection
	// failures; OnClose follows a failed connect too (so OnClose can
	// Reconnect). The callbacks of a failed connect run on the goroutine that
	// dialled; all others on the connection's loop.
	OnConnect     func(c *Conn)
	OnMessage     func(c *Conn, msg M)
	OnClose       func(c *Conn)
	OnError       func(c *Conn, err error)
	OnBufferFull  func(c *Conn)
	OnBufferDrain func(c *Conn)

	// ConnectTimeout bounds the TCP connect (default 10 s).
	ConnectTimeout time.Duration
	// TLSConfig, when set, makes the connection a TLS client
	// (Workerman's transport = 'ssl'), with the standard crypto/tls: the
	// server's certificate is verified against RootCAs (nil: the
	// system's roots) for ServerName (empty: the address's host, which is
	// also sent as SNI). OnConnect runs once the handshake is done; a
	// failed handshake is reported through OnError (a *TLSError), then
	// OnClose (or just after OnClose, when the server closed first, on
	// the alert the failing handshake sent it). Sends made before are
	// encrypted and written after it. The
	// handshake is bounded by HandshakeTimeout (0: DefaultHandshakeTimeout).
	TLSConfig        *tls.Config
	HandshakeTimeout time.Duration

	proto          protocols.Protocol[M]
	hostport       string
	reconnectAfter atomic.Int64 // nanoseconds; -1: no reconnect pending
}

// NewAsync prepares a client connection to address, whose scheme must name
// the protocol ("frame://127.0.0.1:2000" with frame.Protocol()). It does not
// connect: call Connect.
func NewAsync[M any](addr string, p protocols.Protocol[M]) (*AsyncConn[M], error) {
	scheme, hostport, err := address.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("connection: %w", err)
	}
	if scheme != p.Scheme() {
		return nil, fmt.Errorf("connection: address %q has scheme %q but the protocol is %q", addr, scheme, p.Scheme())
	}
	a := &AsyncConn[M]{proto: p, hostport: hostport, ConnectTimeout: 10 * time.Second}
	a.reconnectAfter.Store(-1)
	// The hooks read the fields when they run, so they may be set after
	// NewAsync (before Connect).
	a.Conn = newConn(newConnConfig(hooks{
		OnConnect: func(c *Conn) {
			if a.OnConnect != nil {
				a.OnConnect(c)
			}
		},
		OnClose: func(c *Conn) {
			if a.OnClose != nil {
				a.OnClose(c)
			}
		},
		OnError: func(c *Conn, err error) {
			if a.OnError != nil {
				a.OnError(c, err)
			}
		},
		OnBufferFull: func(c *Conn) {
			if a.OnBufferFull != nil {
				a.OnBufferFull(c)
			}
		},
		OnBufferDrain: func(c *Conn) {
			if a.OnBufferDrain != nil {
				a.OnBufferDrain(c)
			}
		},
	}, engine.Options{}), 0, 0)
	a.Conn.cfg.onClosed = a.closed
	a.Conn.sess = a.newSession() // sends before Connect are encoded and queued
	return a, nil
}

func (a *AsyncConn[M]) newSession() *session[M] {
	return newSession(a.proto, func(c *Conn, m M) {
		if a.OnMessage != nil {
			a.OnMessage(c, m)
		}
	}, a.Conn.MaxPackageSize())
}

// Connect starts connecting in the background and returns at once. OnConnect
// runs when the connection is established; on failure OnError, then OnClose.
// Connect does nothing while a connection is being made or is open.
func (a *AsyncConn[M]) Connect() {
	c := a.Conn
	c.mu.Lock()
	if s := c.Status(); s != StatusInitial && s != StatusClosed {
		c.mu.Unlock()
		return
	}
	c.closeReq, c.destroyReq, c.resumeReq = false, false, false
	c.loop = nil
	if c.Status() == StatusClosed {
		c.sess = a.newSession() // a new connection starts a new codec state
	}
	c.status.Store(int32(StatusConnecting))
	c.mu.Unlock()
	go a.dial()
}

func (a *AsyncConn[M]) dial() {
	c := a.Conn
	c.cfg.tlsClient, c.cfg.handshakeTimeout = nil, a.HandshakeTimeout
	if a.TLSConfig != nil {
		cfg := a.TLSConfig
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(a.hostport)
		}
		c.cfg.tlsClient = cfg
	}
	nc, err := net.DialTimeout("tcp", a.hostport, a.ConnectTimeout)
	if err == nil {
		var cli *gnet.Client
		if cli, err = clientEngine(); err == nil {
			if _, err = cli.EnrollContext(nc, c); err != nil {
				err = fmt.Errorf("registering with the event loop: %w", err)
			}
		} else {
			_ = nc.Close()
		}
	}
	if err == nil {
		return
	}
	// No loop owns the connection: run the failure callbacks here.
	c.mu.Lock()
	c.status.Store(int32(StatusClosed))
	putBuffer(c.pending)
	c.pending = nil
	x := c.extra()
	x.ops = nil
	c.mu.Unlock()
	x.closeErr = fmt.Errorf("connection: connect to %s: %w", a.hostport, err)
	c.callError(x.closeErr)
	if h := c.cfg.hooks; h.OnClose != nil {
		c.Guard("OnClose", func() { h.OnClose(c) })
	}
	if src := c.pipeSource(); src != nil {
		src.Close() // nothing piped into c can be delivered
	}
	a.closed(c)
}

// Reconnect connects again after the delay: at once it closes an open
// connection (dropping queued data), and the new connection is made after
// the delay. Call it from OnClose to keep a client connected, as in
// Workerman.
func (a *AsyncConn[M]) Reconnect(after time.Duration) {
	a.reconnectAfter.Store(int64(max(after, 0)))
	switch a.Status() {
	case StatusEstablished, StatusClosing:
		a.Destroy() // closed() connects after the delay
	case StatusInitial, StatusClosed:
		a.closed(a.Conn)
	}
}

// closed runs after the connection closed (or failed to open): it starts a
// pending reconnect.
func (a *AsyncConn[M]) closed(*Conn) {
	d := a.reconnectAfter.Swap(-1)
	if d < 0 {
		return
	}
	if d == 0 {
		a.Connect()
		return
	}
	time.AfterFunc(time.Duration(d), a.Connect)
}

var (
	clientMu  sync.Mutex
	clientCli *gnet.Client
)

// clientEngine returns the process's engine for client connections, started
// on first use.
func clientEngine() (*gnet.Client, error) {
	clientMu.Lock()
	defer clientMu.Unlock()
	if clientCli != nil {
		return clientCli, nil
	}
	h := newHandler(hooks{}, engine.Options{})
	addSpareProc(runtime.NumCPU(), h.cfg.logger) // gnet's default number of loops
	cli, err := gnet.NewClient(h,
		gnet.WithMulticore(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetlog.Logger{L: h.cfg.logger}),
	)
	if err != nil {
		return nil, fmt.Errorf("connection: creating the client engine: %w", err)
	}
	if err := cli.Start(); err != nil {
		return nil, fmt.Errorf("connection: starting the client engine: %w", err)
	}
	go h.runTicker() // for the life of the process, parked while idle
	clientCli = cli
	return cli, nil
}
