package connection

import (
	"slices"

	"github.com/panjf2000/gnet/v2"
)

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

// WhenClosed runs fn on the connection's loop when the connection closes,
// after OnClose, in the order of the calls: the way for a part of an
// application (a subscription, a parked long-poll request) to clean up
// after one connection. If the connection is already closed, fn runs at
// once on the calling goroutine. The returned function removes fn, for a
// part that is done before the connection is (an answered long poll on a
// keep-alive connection), so that a long-lived connection does not gather
// hooks; it does nothing once fn has run. Safe for concurrent use.
func (c *Conn) WhenClosed(fn func()) (remove func()) {
	x := c.extra()
	c.mu.Lock()
	if c.Status() == StatusClosed {
		c.mu.Unlock()
		fn()
		return func() {}
	}
	h := &closeHook{fn: fn}
	x.onClosed = append(x.onClosed, h)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if i := slices.Index(x.onClosed, h); i >= 0 {
			x.onClosed = slices.Delete(x.onClosed, i, i+1)
		}
	}
}

// closeHook is one WhenClosed function; its identity is what removes it.
type closeHook struct{ fn func() }

// fail reports a protocol error through OnError and closes the connection at
// once.
func (c *Conn) fail(err error) {
	c.callError(err)
	c.Destroy()
}

// closeNow closes the gnet connection; gnet then calls OnClose, which runs
// finish. A stream ends in its carrier (see closeStream).
func (c *Conn) closeNow() {
	if c.gc == nil {
		return
	}
	c.status.Store(int32(StatusClosing))
	switch gc := c.gc.(type) {
	case gnet.Conn:
		_ = gc.EventLoop().Close(gc)
	case *streamSocket:
		c.closeStream(gc)
	}
}

// finish runs when gnet has closed the connection.
func (c *Conn) finish(err error) {
	l := c.loop
	// Read before the status says closed: from then on an AsyncConn may
	// Connect again, from any goroutine, and install a new session.
	sess := c.sess
	c.dropInput()
	c.status.Store(int32(StatusClosed))
	c.gc = nil
	c.closeBy = 0
	c.linger = 0
	x := c.x.Load()
	if x != nil {
		x.closeErr = err
		if x.tls != nil {
			x.tls.tr.Close() // a handshake under way ends now
		}
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
	var onClosed []*closeHook
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
		c.Guard("OnClose", func() { h.OnClose(c) })
	}
	for _, h := range onClosed {
		c.Guard("WhenClosed", h.fn)
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
