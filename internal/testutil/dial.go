package testutil

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// SmallWindowDialer dials sockets with a small, fixed receive buffer (16
// KiB), so that a client that stops reading closes its window soon and for
// good (a default socket's buffer grows as the kernel tunes it): the way to
// make a server's send buffer fill up.
var SmallWindowDialer = ReceiveBufferDialer(16 << 10)

// ReceiveBufferDialer dials sockets with a fixed receive buffer of n bytes.
func ReceiveBufferDialer(n int) *net.Dialer {
	return &net.Dialer{Timeout: Timeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = setReceiveBuffer(fd, n) }); err != nil {
			return err
		}
		return serr
	}}
}

// Dial connects to addr on loopback with d (nil: a plain dialer), sets a
// deadline of Timeout on the connection and closes it when the test ends.
func Dial(t testing.TB, d *net.Dialer, addr string) net.Conn {
	t.Helper()
	if d == nil {
		d = &net.Dialer{Timeout: Timeout}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(Timeout))
	t.Cleanup(func() { c.Close() })
	return c
}
