package connection

import (
	"math"
	"time"
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
	buf := c.pending
	c.pending = nil
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
	if buf != nil && len(buf.b) > 0 {
		n := len(buf.b)
		_, err := c.gc.Write(buf.b) // on a write error gnet closes c (OnClose runs now)
		putBuffer(buf)
		if err == nil {
			c.bytesWritten.Add(uint64(n))
			c.loop.stats.BytesWritten.Add(uint64(n))
		}
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
	if resume && !c.recvPaused.Load() && c.sess != nil {
		c.sess.process(c)
	}
	c.checkWatched(0) // completes a close once the data is out

}

// checkWatched refreshes the send-buffer accounting and completes what waits
// on it: a drain event, a pending close. It runs after a flush and on every
// tick while the connection has bytes queued in gnet, is full, or closing.
// now is the tick's time in UnixNano, or 0 to read the clock only if needed.
func (c *Conn) checkWatched(now int64) {
	if c.gc == nil {
		c.loop.unwatchConn(c)
		return
	}
	ob := c.gc.OutboundBuffered()
	var writable func()
	c.mu.Lock()
	c.outbound = int32(min(ob, math.MaxInt32))
	empty := ob == 0 && c.pending.len() == 0
	if x := c.x.Load(); x != nil && x.writable != nil && !c.closeReq && c.pending.len()+ob <= int(c.maxSend)/2 {
		writable, x.writable = x.writable, nil
	}
	// A close waits for bytes queued after this flush took its batch too.
	closing := c.closeReq
	drained := c.full && empty
	if drained {
		c.full = false
	} else if !c.full && c.pending.len()+ob >= int(c.maxSend) {
		c.full = true
		c.fullPending = false
		defer c.bufferFull()
	}
	full := c.full
	c.mu.Unlock()

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
	if closing && now == 0 {
		now = time.Now().UnixNano()
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
		c.closeNow()
		return
	}
	if ob > 0 || full || closing {
		c.loop.watchConn(c)
	} else {
		c.loop.unwatchConn(c)
	}
}

func (c *Conn) bufferFull() {
	if h := c.cfg.hooks; h.OnBufferFull != nil {
		c.Guard("OnBufferFull", func() { h.OnBufferFull(c) })
	}
	if src := c.pipeSource(); src != nil {
		src.PauseRecv()
	}
}

func (c *Conn) bufferDrain() {
	if h := c.cfg.hooks; h.OnBufferDrain != nil {
		c.Guard("OnBufferDrain", func() { h.OnBufferDrain(c) })
	}
	if src := c.pipeSource(); src != nil {
		src.ResumeRecv()
	}
}

// callError reports err through OnError.
func (c *Conn) callError(err error) {
	if h := c.cfg.hooks; h.OnError != nil {
		c.Guard("OnError", func() { h.OnError(c, err) })
	}
}
