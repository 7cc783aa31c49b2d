package timer

import (
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// stdTick is the tick of the process-wide wheel. The driver sleeps until
// the next due time rather than ticking, so a fine tick costs nothing.
const stdTick = time.Millisecond

// std is the process-wide timer set behind Add, Del, DelAll and Len.
var std struct {
	mu       sync.Mutex
	w        *Wheel        // nil until the first Add
	wake     chan struct{} // buffered(1): the driver should recompute its deadline
	armed    bool          // the driver sleeps until deadline (else it is parked)
	deadline time.Time
}

// Add runs fn every interval, on the package's timer goroutine, until Del
// or DelAll: Workerman's Timer::add($interval, $fn). It returns the timer's
// ID; IDs are only meaningful to this package's Del, not to any Wheel. fn
// must not be nil.
//
// The semantics are those of Wheel.Add on a 1ms-tick wheel: an interval
// <= 0 means every tick, and the timer keeps its phase and skips runs
// missed while the goroutine was held up. fn must not block: all
// package-level timers share one goroutine. A panic in fn is recovered and
// logged with log/slog. fn may call Add, After, Del, DelAll and Len. Since
// fn runs on another goroutine, a callback that deletes itself must read
// its own ID through some synchronisation (an atomic, a mutex, a channel),
// not from a plain variable assigned after Add returns.
//
// The timer goroutine is started by the first Add or After. It sleeps until
// the next due time and is parked, with no periodic wake-up, while no timer
// is pending.
func Add(interval time.Duration, fn func()) ID { return add(interval, fn, true) }

// After runs fn once, delay from now, on the package's timer goroutine,
// unless Del or DelAll cancels it first: Workerman's
// Timer::add($delay, $fn, [], false). The rest is as for Add.
func After(delay time.Duration, fn func()) ID { return add(delay, fn, false) }

func add(interval time.Duration, fn func(), persistent bool) ID {
	if fn == nil {
		panic("timer: Add or After with nil func")
	}
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.w == nil {
		std.w = NewWheel(stdTick, nil)
		std.wake = make(chan struct{}, 1)
		go drive()
	}
	wrapped := func() { call(fn) }
	var id ID
	if persistent {
		id = std.w.Add(interval, wrapped)
	} else {
		id = std.w.After(interval, wrapped)
	}
	if at, _ := std.w.Next(); !std.armed || at.Before(std.deadline) {
		std.armed, std.deadline = true, at
		select {
		case std.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	return id
}

// Del cancels a timer created by Add or After and reports whether it was pending
// (Workerman's Timer::del). Once Del returns true the timer's callback will
// not start again; a run already in progress on the timer goroutine is not
// interrupted.
func Del(id ID) bool {
	std.mu.Lock()
	defer std.mu.Unlock()
	return std.w != nil && std.w.Del(id)
}

// DelAll cancels every timer created by Add or After (Workerman's
// Timer::delAll).
// It does not affect Wheels used directly, such as connection timers.
func DelAll() {
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.w != nil {
		std.w.DelAll()
	}
}

// Len returns the number of pending timers created by Add and After.
func Len() int {
	std.mu.Lock()
	defer std.mu.Unlock()
	if std.w == nil {
		return 0
	}
	return std.w.Len()
}

// drive is the timer goroutine. It holds std.mu while the wheel advances,
// except while a callback runs (see call).
func drive() {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		std.mu.Lock()
		std.w.Advance(time.Now())
		at, ok := std.w.Next()
		std.armed, std.deadline = ok, at
		std.mu.Unlock()
		if !ok {
			<-std.wake // parked until the next Add
			continue
		}
		t.Reset(time.Until(at))
		select {
		case <-t.C:
		case <-std.wake:
			t.Stop()
		}
	}
}

// call runs a callback for the driver, which holds std.mu. The wheel is
// consistent before each callback (see Wheel.Advance), so the mutex is
// released for the duration: fn and other goroutines may then use the
// package API freely.
func call(fn func()) {
	std.mu.Unlock()
	defer std.mu.Lock()
	defer func() {
		if r := recover(); r != nil {
			slog.Error("timer: callback panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}
