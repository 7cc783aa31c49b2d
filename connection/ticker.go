package connection

import (
	"math"
	"sync/atomic"
	"time"
)

// ticker is the engine's clock: one goroutine that queues a tick task on
// each loop that needs one (a timer due, connections watched), sleeping
// until the earliest moment a loop needs it, and parked, with no timer at
// all, while no loop does. So an idle server does not wake up. (gnet's own
// ticker calls back at a fixed delay it cannot shorten, which would make
// an idle engine wake every tickInterval.)
//
// The loops tell it what they need through publishTick, after every piece
// of work: each stores its own state, then reads the ticker's plan and
// wakes it if the plan is too late. The ticker stores its plan, then reads
// every loop's state again: with both sides' atomics, a change is seen by
// one side or the other, so no wake-up is lost.
type ticker struct {
	wake chan struct{} // buffered: a pending wake-up
	// next is when the ticker runs next (ns since epoch, the monotonic
	// clock of the package, as every time of the loops; math.MaxInt64: parked
	// until woken); fast says it runs every tickInterval, for watched
	// connections.
	next atomic.Int64
	fast atomic.Bool
	// rounds counts the ticker's rounds (for the tests: an idle engine
	// makes none).
	rounds atomic.Uint64
}

func newTicker() *ticker {
	t := &ticker{wake: make(chan struct{}, 1)}
	t.next.Store(math.MaxInt64)
	return t
}

// need is called by a loop after it published its state: it wakes the
// ticker if its plan is later than what the loop needs.
func (t *ticker) need(watching bool, due int64) {
	if watching && !t.fast.Load() || due != 0 && due < t.next.Load() {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// runTicker is the ticker goroutine of s; it returns when s stops. The
// first round tells Serve that the engine runs.
func (s *server) runTicker() {
	t := s.tick
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		s.ready1.Do(func() { close(s.ready) })
		t.rounds.Add(1)
		now := sinceEpoch()
		loops := s.boundLoops()
		for _, l := range loops {
			l.requestTick(now)
		}
		next, fast := plan(loops, now)
		t.fast.Store(fast)
		t.next.Store(next)
		if again, againFast := plan(loops, now); again < next || againFast != fast {
			continue // a loop changed its needs meanwhile
		}
		var fire <-chan time.Time
		if next != math.MaxInt64 {
			timer.Reset(time.Duration(next - now))
			fire = timer.C
		}
		select {
		case <-s.stopped:
			return
		case <-t.wake:
			timer.Stop()
		case <-fire:
		}
	}
}

// plan returns when the loops next need a tick (math.MaxInt64: never, as
// things stand), and whether one has watched connections (a tick every
// tickInterval). A timer due by now is left out: its tick is queued, and
// the loop publishes its next due time when it has run.
func plan(loops []*Loop, now int64) (next int64, fast bool) {
	next = math.MaxInt64
	for _, l := range loops {
		if l.watching.Load() > 0 {
			fast = true
		}
		if due := l.nextDue.Load(); due > now {
			next = min(next, due)
		}
	}
	if fast {
		next = min(next, now+int64(tickInterval))
	}
	return next, fast
}
