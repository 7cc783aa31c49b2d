package connection

import (
	"time"

	"github.com/workerman-go/workerman/timer"
)

// Timer is a timer owned by a connection: it runs on the connection's loop
// and is cancelled when the connection closes, so the "check the status, then
// delete the timer" dance of Workerman code is never needed.
type Timer struct {
	c          *Conn
	fn         func()
	interval   time.Duration
	persistent bool
	id         timer.ID // loop-only; 0 when not in the wheel
	index      int      // position in c.timers; -1 when not there
}

type timerOp struct {
	t   *Timer
	add bool
}

// After runs fn once, d from now, on the connection's loop, unless the
// connection closes first or the timer is stopped. Safe for concurrent use.
func (c *Conn) After(d time.Duration, fn func()) *Timer {
	return c.addTimer(d, fn, false)
}

// Every runs fn every d on the connection's loop until the timer is stopped
// or the connection closes. It does not drift: each run is scheduled from the
// previous run's scheduled time. Safe for concurrent use.
func (c *Conn) Every(d time.Duration, fn func()) *Timer {
	return c.addTimer(d, fn, true)
}

func (c *Conn) addTimer(d time.Duration, fn func(), persistent bool) *Timer {
	t := &Timer{c: c, fn: fn, interval: d, persistent: persistent, index: -1}
	c.queueTimerOp(timerOp{t: t, add: true})
	return t
}

// Stop cancels the timer. Stopping a timer that already ran (After) or was
// stopped does nothing. Safe for concurrent use.
func (t *Timer) Stop() {
	t.c.queueTimerOp(timerOp{t: t})
}

func (c *Conn) queueTimerOp(op timerOp) {
	c.mu.Lock()
	if c.Status() == StatusClosed || c.destroyReq {
		c.mu.Unlock()
		return
	}
	x := c.extra()
	x.ops = append(x.ops, op)
	c.scheduleLocked()
	c.mu.Unlock()
}

// applyTimerOp runs on the loop, from flush.
func (c *Conn) applyTimerOp(op timerOp) {
	t := op.t
	if !op.add {
		c.dropTimer(t)
		return
	}
	if t.index >= 0 {
		return // already running
	}
	x := c.extra()
	t.index = len(x.timers)
	x.timers = append(x.timers, t)
	if t.persistent {
		t.id = c.loop.wheel.Add(t.interval, t.run)
	} else {
		t.id = c.loop.wheel.After(t.interval, t.run)
	}
}

// run is the wheel's callback.
func (t *Timer) run() {
	c := t.c
	if c.gc == nil || t.index < 0 {
		return
	}
	if !t.persistent {
		c.forgetTimer(t)
	}
	c.Guard("timer", t.fn)
	c.loop.flushNow() // what the timer sent goes out now (see Loop.flushNow)
}

// dropTimer removes t from the wheel and from the connection.
func (c *Conn) dropTimer(t *Timer) {
	if t.index < 0 {
		return
	}
	c.loop.wheel.Del(t.id)
	c.forgetTimer(t)
}

// forgetTimer removes t from c.timers (the wheel no longer holds it).
func (c *Conn) forgetTimer(t *Timer) {
	x := c.extra()
	last := len(x.timers) - 1
	moved := x.timers[last]
	x.timers[t.index] = moved
	moved.index = t.index
	x.timers[last] = nil
	x.timers = x.timers[:last]
	t.index = -1
	t.id = 0
}

// TimerCount is the number of the connection's timers still pending. Use it
// from the connection's callbacks.
func (c *Conn) TimerCount() int {
	if x := c.x.Load(); x != nil {
		return len(x.timers)
	}
	return 0
}
