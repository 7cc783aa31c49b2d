package connection

import (
	"errors"
	"fmt"
	"sync"

	"github.com/workerman-go/workerman/protocols"
)

// DefaultMaxUnreadInput is the default of a Worker's MaxUnreadInput: the
// bytes all of its connections together may hold received but not yet
// decoded (a message still arriving, input that waits while a connection
// is paused or its protocol holds input back).
const DefaultMaxUnreadInput = 64 << 20 // 64 MiB

// ErrInputBudget is reported through OnError when a connection is closed
// because it holds unread input while its Worker's connections together
// hold more than MaxUnreadInput.
var ErrInputBudget = errors.New("connection: the unread input of all connections exceeds MaxUnreadInput")

// inputBuffer keeps the bytes a connection received and has not decoded
// yet, once they outlive the read that brought them.
//
// gnet keeps such bytes itself, but its Peek of bytes that span its buffers
// allocates and copies all of them, and the decode loop peeks everything
// buffered on every read: a message that arrives in many reads (or input
// that waits) would cost time and garbage quadratic in its size. Moved here
// instead, every byte is copied once, and gnet's buffer is empty again
// after each read, so its Peek never copies.
type inputBuffer struct {
	b       []byte
	off     int // b[off:] is unread
	counted int // what the Worker's unread total counts for it
}

func (in *inputBuffer) len() int {
	if in == nil {
		return 0
	}
	return len(in.b) - in.off
}

// add appends p. The buffer doubles when it grows (append grows a large
// slice by a quarter at a time, and every step leaves the old array as
// garbage: a message that arrives in many reads would cost several times
// its size before the collector catches up).
func (in *inputBuffer) add(p []byte) {
	if need := len(in.b) + len(p); need > cap(in.b) {
		b := make([]byte, len(in.b), max(2*cap(in.b), need))
		copy(b, in.b)
		in.b = b
	}
	in.b = append(in.b, p...)
}

// Input buffers are pooled; one grown beyond maxPooledInput (a large
// message) is not kept.
const maxPooledInput = 64 << 10

var inputPool = sync.Pool{New: func() any { return &inputBuffer{b: make([]byte, 0, 4096)} }}

func releaseInput(in *inputBuffer) {
	if in == nil || cap(in.b) > maxPooledInput {
		return
	}
	in.b, in.off, in.counted = in.b[:0], 0, 0
	inputPool.Put(in)
}

// input returns the bytes to decode next: what the connection kept from
// earlier reads followed by what gnet has buffered, or gnet's bytes alone
// when it kept nothing (the usual case: no copy at all).
func (c *Conn) input() ([]byte, error) {
	gc := c.gc
	avail := gc.InboundBuffered()
	if c.in == nil {
		if avail == 0 {
			return nil, nil
		}
		return gc.Peek(avail) // gnet's buffer holds only this read: no copy
	}
	if avail > 0 {
		p, err := gc.Peek(avail)
		if err != nil {
			return nil, err
		}
		c.in.add(p)
		_, _ = gc.Discard(avail)
	}
	return c.in.b[c.in.off:], nil
}

// consume drops the first n bytes of what input returned. (gnet's Discard
// drops everything for n <= 0: never call it with 0.)
func (c *Conn) consume(n int) {
	if n <= 0 {
		return
	}
	if c.in != nil {
		c.in.off += n
		return
	}
	_, _ = c.gc.Discard(n)
}

// keepInput runs after the decode loop: it moves what gnet still buffers
// into the connection's own buffer (so the next read starts with gnet's
// buffer empty), compacts or releases that buffer, and enforces the bounds
// on unread input: MaxPackageSize for the connection, MaxUnreadInput for
// its Worker. It reports false when it closed the connection.
func (c *Conn) keepInput() bool {
	gc := c.gc
	if gc == nil {
		return false
	}
	if avail := gc.InboundBuffered(); avail > 0 {
		p, err := gc.Peek(avail)
		if err != nil {
			c.fail(fmt.Errorf("connection %d: reading buffered input: %w", c.id, err))
			return false
		}
		if c.in == nil {
			c.in = inputPool.Get().(*inputBuffer)
		}
		c.in.add(p)
		_, _ = gc.Discard(avail)
	}
	if c.in == nil {
		return true
	}
	unread := c.in.len()
	total := c.cfg.unread.Add(int64(unread - c.in.counted))
	c.in.counted = unread
	switch {
	case unread == 0:
		releaseInput(c.in)
		c.in = nil
	case c.in.off > len(c.in.b)/2:
		c.in.b = c.in.b[:copy(c.in.b, c.in.b[c.in.off:])]
		c.in.off = 0
	}
	switch {
	case unread > int(c.maxPackage):
		c.fail(fmt.Errorf("connection %d: %d bytes buffered without a complete message: %w (%d)",
			c.id, unread, protocols.ErrPackageTooLarge, c.maxPackage))
		return false
	case unread > 0 && total > c.cfg.maxUnread:
		c.fail(fmt.Errorf("connection %d: holds %d unread bytes: %w (%d)", c.id, unread, ErrInputBudget, c.cfg.maxUnread))
		return false
	}
	return true
}

// dropInput forgets the connection's unread input (it is closing or
// closed).
func (c *Conn) dropInput() {
	if c.gc != nil {
		_, _ = c.gc.Discard(-1)
	}
	if c.in != nil {
		c.cfg.unread.Add(-int64(c.in.counted))
		releaseInput(c.in)
		c.in = nil
	}
}
