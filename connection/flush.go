package connection

import (
	"errors"
	"fmt"
	"math"
)

// flush does on the loop the work handed to it: timer changes, queued bytes,
// errors and buffer events, pause and close requests.
func (c *Conn) flush() {
	c.mu.Lock()
	c.scheduled = false
	if c.gc == nil {
		c.mu.Unlock()
		return
	}
	var layer *tlsLayer
	if x := c.x.Load(); x != nil && x.tls != nil {
		layer = x.tls
	}
	buf := c.pending
	if layer != nil && !layer.established {
		buf = nil // plaintext waits for the handshake
	} else {
		c.pending = nil
	}
	var ops []timerOp
	if x := c.x.Load(); x != nil {
		ops, x.ops = x.ops, nil
	}
	drops := c.drops
	c.drops = 0
	fullNow := c.fullPending
	c.fullPending = false
	destroy, resume := c.destroyReq, c.resumeReq
	c.resumeReq = false
	c.mu.Unlock()

	if destroy {
		putBuffer(buf)
		c.closeNow()
		return
	}
	for _, op := range ops {
		c.applyTimerOp(op)
	}
	if layer != nil {
		if out := layer.tr.takeOut(); len(out) > 0 {
			_, _ = c.writeWire(out) // the handshake's records
			if c.gc == nil {
				putBuffer(buf)
				return
			}
		}
	}
	if buf != nil && len(buf.b) > 0 {
		if layer != nil {
			// Encrypted by crypto/tls, whose transport writes the records
			// (writeWire): on a write error gnet closes c.
			_, _ = layer.conn.Write(buf.b)
		} else {
			n := len(buf.b)
			_, err := c.gc.Write(buf.b) // on a write error gnet closes c (OnClose runs now)
			if err == nil {
				c.bytesWritten.Add(uint64(n))
				if !c.stream {
					c.loop.stats.BytesWritten.Add(uint64(n))
					c.loop.stats.Writes.Add(1)
				}
			}
		}
		putBuffer(buf)
		if c.gc == nil {
			return
		}
	}
	if fullNow {
		c.bufferFull()
	}
	for range drops {
		c.callError(ErrSendBufferFull)
	}
	if c.gc == nil {
		return
	}
	if resume && c.recvPaused.Load() == 0 && c.sess != nil {
		c.sess.process(c)
	}
	c.checkWatched(0) // completes a close once the data is out

}

// checkWatched refreshes the send-buffer accounting and completes what waits
// on it: a drain event, a pending close. It runs after a flush and on every
// tick while the connection has bytes queued in gnet, is full, or closing.
// now is the tick's time (sinceEpoch: the monotonic clock, as every deadline
// of a connection), or 0 to read the clock only if needed.
func (c *Conn) checkWatched(now int64) {
	if c.gc == nil {
		c.loop.unwatchConn(c)
		return
	}
	ob := c.gc.OutboundBuffered()
	var writable func()
	c.mu.Lock()
	c.outbound = int32(min(ob, math.MaxInt32))
	queued := c.pending.len() + ob
	empty := queued == 0
	if x := c.x.Load(); x != nil && x.writable != nil && !c.closeReq && queued <= int(c.maxSend)/2 {
		writable, x.writable = x.writable, nil
	}
	// A close waits for bytes queued after this flush took its batch too.
	closing := c.closeReq
	drained := c.full && empty
	if drained {
		c.full = false
	} else if !c.full && queued >= int(c.maxSend) {
		c.full = true
		c.fullPending = false
		defer c.bufferFull()
	}
	full := c.full
	maxSend := int(c.maxSend)
	c.mu.Unlock()

	backlog := c.recvPaused.Load()&pausedWhileFull != 0
	if backlog && !full && queued < maxSend/2 {
		c.resumeRecv(pausedWhileFull) // the send buffer has room again
		backlog = false
	}

	if drained {
		c.bufferDrain()
		if c.gc == nil {
			return
		}
	}
	if writable != nil {
		c.Guard("WhenWritable", writable)
		if c.gc == nil {
			return
		}
	}
	if (closing || !empty) && now == 0 {
		now = sinceEpoch()
	}
	if c.writeStalled(empty, ob, now) {
		return
	}
	if closing && c.closeBy == 0 {
		c.closeBy = now + int64(c.cfg.closeAfter)
	}
	if closing && empty && c.linger == 1 {
		// Everything is written: send FIN, and keep reading (and
		// discarding) until the peer closes too, or LingerTimeout passes.
		// Closing now, with the peer's bytes unread, would make the kernel
		// answer with a reset, and a peer still sending could lose the
		// reply it was being sent (an HTTP error, a WebSocket close frame).
		c.linger = 2
		if err := shutdownWrite(c.gc.Fd()); err != nil {
			c.closeNow()
			return
		}
		c.closeBy = now + int64(LingerTimeout)
		c.loop.watchConn(c)
		return
	}
	if c.linger == 2 {
		if now > c.closeBy {
			c.closeNow()
		} else {
			c.loop.watchConn(c)
		}
		return
	}
	if closing && (empty || now > c.closeBy) {
		if !empty {
			c.cfg.logger.Warn("workerman: closing a connection whose peer did not take what was queued in time; dropped",
				"conn", c.id, "remote", addrString(c.remoteAddr), "bytes", queued)
		}
		c.closeNow()
		return
	}
	if ob > 0 || full || closing || backlog {
		c.loop.watchConn(c)
	} else {
		c.loop.unwatchConn(c)
	}
}

// bufferFull runs when the send buffer reaches MaxSendBufferSize: the
// connection stops delivering its input until the buffer drains
// (back-pressure), whatever is piped into it pauses, and OnBufferFull runs.
// The loop counts it, with or without OnBufferFull.
func (c *Conn) bufferFull() {
	c.loop.stats.BufferFull.Add(1)
	c.recvPaused.Or(pausedWhileFull)
	if src := c.pipeSource(); src != nil {
		src.recvPaused.Or(pausedByPipeDest)
	}
	if h := c.cfg.hooks; h.OnBufferFull != nil {
		c.Guard("OnBufferFull", func() { h.OnBufferFull(c) })
	}
}

// bufferDrain runs when the send buffer is empty again.
func (c *Conn) bufferDrain() {
	c.resumeRecv(pausedWhileFull)
	if src := c.pipeSource(); src != nil {
		src.resumeRecv(pausedByPipeDest)
	}
	if h := c.cfg.hooks; h.OnBufferDrain != nil {
		c.Guard("OnBufferDrain", func() { h.OnBufferDrain(c) })
	}
}

// callError reports err through OnError. Without OnError, the error is
// logged instead (never silently lost): a dropped send once per connection
// (a full buffer drops many), others every time.
func (c *Conn) callError(err error) {
	if h := c.cfg.hooks; h.OnError != nil {
		c.Guard("OnError", func() { h.OnError(c, err) })
		return
	}
	if errors.Is(err, ErrSendBufferFull) {
		if c.fullLogged {
			return
		}
		c.fullLogged = true
	}
	c.cfg.logger.Warn("workerman: connection error (no OnError to report it to)",
		"conn", c.id, "remote", addrString(c.remoteAddr), "err", err)
}

// ErrWriteTimeout is reported through OnError when a connection is closed
// because its peer took none of the bytes queued for it for WriteTimeout
// (a client that stopped reading a download or a stream).
var ErrWriteTimeout = errors.New("connection: the peer took nothing of what was queued for it within WriteTimeout")

// writeStalled enforces WriteTimeout: while bytes are queued, the peer must
// take some of them (acknowledge them, on Linux; elsewhere, let gnet hand
// them to the kernel) at least once every WriteTimeout, or the connection
// is destroyed, releasing what it held. It reports whether it closed the
// connection. now is the current sinceEpoch (not 0 when bytes are queued).
func (c *Conn) writeStalled(empty bool, ob int, now int64) bool {
	wt := c.cfg.writeTimeout
	if wt <= 0 || empty {
		c.writeBy = 0
		return false
	}
	// What the peer took: handed to gnet, less what gnet and the kernel
	// still hold (a kernel's send buffer can hold megabytes: a slow reader
	// that keeps reading must not look stalled while it drains them).
	taken := uint32(c.bytesWritten.Load() - uint64(ob) - uint64(unsentInKernel(c.gc.Fd())))
	if c.writeBy == 0 || taken != c.drainedMark {
		c.writeBy, c.drainedMark = now+int64(wt), taken
		return false
	}
	if now < c.writeBy {
		return false
	}
	c.callError(fmt.Errorf("connection %d: %w (%v, %d bytes queued)", c.id, ErrWriteTimeout, wt, c.SendBufferSize()))
	c.closeNow()
	return true
}

// backlogged reports whether the bytes queued for the peer fill half the
// send buffer or more: the point at which the connection stops delivering
// its input (back-pressure). Loop-only.
func (c *Conn) backlogged() bool {
	ob := c.gc.OutboundBuffered()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending.len()+ob >= int(c.maxSend)/2
}
