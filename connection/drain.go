package connection

import "slices"

// Drainer is implemented by a protocol codec that has a graceful way to
// end its connection when the server stops, or hands its listening socket
// to a new process (reload, restart): HTTP answers the request in
// progress and then closes, an event stream sends a retry hint, a
// WebSocket sends a close frame. Drain runs once, on the connection's
// loop, before the application's WhenDraining functions; it closes the
// connection (Close) when the protocol is done, or arranges for it (an
// HTTP request in progress, such as a parked long poll that a
// WhenDraining function answers next, closes the connection with its
// response). What is still open at the stop's deadline is closed anyway.
//
// restart is true when a new process serves the listening socket now, so
// a client should come back at once (WebSocket close code 1012, service
// restart); false when the server is going away (1001).
//
// A codec that does not implement Drainer has its connection closed
// (Close: what is queued is written first).
type Drainer interface {
	Drain(c *Conn, restart bool)
}

// WhenDraining runs fn on the connection's loop when the server begins to
// end the connection: it is stopping, or a new process took over its
// listening socket (reload, restart). It is the way for a part of an
// application that holds the connection open to let go early and tell its
// client (a parked long poll answers now, so that its client polls the
// new process). If the server is ending the connection already, fn runs at
// once on the calling goroutine. fn runs after the protocol's own Drain
// (see Drainer): on an event stream or a WebSocket, which end at once,
// what fn sends may be refused. The returned function removes fn; it does
// nothing once fn has run. Safe for concurrent use.
func (c *Conn) WhenDraining(fn func()) (remove func()) {
	x := c.extra()
	c.mu.Lock()
	if x.draining || c.Status() == StatusClosed {
		c.mu.Unlock()
		fn()
		return func() {}
	}
	h := &closeHook{fn: fn}
	x.onDrain = append(x.onDrain, h)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if i := slices.Index(x.onDrain, h); i >= 0 {
			x.onDrain = slices.Delete(x.onDrain, i, i+1)
		}
	}
}

// The modes of a server's Shutdown, in server.draining.
const (
	drainStop    = 1 // the server is going away
	drainRestart = 2 // a new process serves the listening socket
)

// drain begins the graceful end of c: its codec's Drain (or Close), then
// its WhenDraining functions. It runs on c's loop, once.
func (c *Conn) drain(restart bool) {
	if c.Status() != StatusEstablished {
		return // closing already
	}
	x := c.extra()
	c.mu.Lock()
	if x.draining {
		c.mu.Unlock()
		return
	}
	x.draining, x.restart = true, restart
	hooks := x.onDrain
	x.onDrain = nil
	c.mu.Unlock()
	// The codec first, so that what the hooks send is framed for a
	// connection that ends (HTTP: "Connection: close").
	if d, ok := c.Codec().(Drainer); ok {
		c.Guard("Drain", func() { d.Drain(c, restart) })
	} else {
		c.Close()
	}
	for _, h := range hooks {
		c.Guard("WhenDraining", h.fn)
	}
}
