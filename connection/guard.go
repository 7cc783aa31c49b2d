package connection

import (
	"fmt"
	"net"
	"runtime/debug"
)

// Guard runs fn, a user callback named name, as the framework runs every
// callback: a panic is recovered, logged with log/slog (connection id,
// peer, stack) and destroys only this connection. It reports whether fn
// returned normally. Protocol packages use it for the callbacks they call
// themselves (a WebSocket's OnWebSocketConnect, for example).
func (c *Conn) Guard(name string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked(name, r)
			ok = false
		}
	}()
	fn()
	return true
}

// recoverCallback is deferred around a callback that is not a closure (the
// delivery of a message), to recover as Guard does.
func (c *Conn) recoverCallback(name string) {
	if r := recover(); r != nil {
		c.panicked(name, r)
	}
}

// panicked logs a panic r of callback name and destroys the connection.
func (c *Conn) panicked(name string, r any) {
	if c.loop != nil {
		c.loop.stats.Panics.Add(1)
	}
	c.cfg.logger.Error("workerman: panic in callback; closing the connection",
		"callback", name, "conn", c.id, "remote", addrString(c.remoteAddr),
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	c.Destroy()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
