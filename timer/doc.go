// Package timer provides timers for the framework: a timing wheel for event
// loops, and Workerman's process-wide Timer::add / Timer::del API.
//
// Most programs call Add (every interval, until Del), After (once) and Del.
// A timer that belongs to one connection is better made with the
// connection's own Every and After (package connection): it runs on the
// connection's event loop and ends with it. Wheel is the data structure
// behind both.
//
// # Wheel
//
// Wheel is a hierarchical timing wheel meant to be owned by one event loop.
// It is not safe for concurrent use and starts no goroutine: the loop adds
// and deletes timers and calls Advance, which runs the due callbacks on the
// loop's own goroutine. Add, After and Del are O(1) and allocation-free in the
// steady state, and a pending timer costs about 40-50 bytes, so a loop can
// afford one or more timers per connection (idle timeouts, heartbeats)
// with hundreds of thousands of connections.
//
// A loop drives its wheel like this:
//
//	for {
//		timeout := -1 // block indefinitely: no timer is pending
//		if at, ok := w.Next(); ok {
//			timeout = msUntil(at) // rounded UP, and >= 0
//		}
//		poll(timeout)         // e.g. epoll_wait
//		w.Advance(time.Now()) // after every wake-up, whatever woke it
//	}
//
// Advance is cheap when nothing is due, and after a long stall it jumps
// over the empty stretch instead of replaying every tick. Len reports
// whether any timer is pending. Connection-owned timers (created through
// the connection package, which uses a Wheel directly) run on the
// connection's event loop and die with it; they are not affected by this
// package's DelAll.
//
// # Package-level timers
//
// Add (repeating), After (once), Del, DelAll and Len are Workerman's
// Timer::add, Timer::del and Timer::delAll. They are safe for concurrent
// use from any goroutine and share one process-wide wheel, driven by a
// single goroutine that is started by the first Add or After, sleeps until
// the next due time, and is parked (no periodic wake-up) while no timer is
// pending. Package-level callbacks
// therefore run on that timer goroutine, not on any event loop: they must
// not block, must synchronise access to whatever they share with event
// loops, and must not touch a connection's loop-owned state directly. A
// panic in a package-level callback is recovered and logged with log/slog;
// the timer goroutine keeps running.
//
// # What it is not
//
// The package is not a general scheduler: it has no cron expressions,
// no wall-clock (calendar) scheduling, no persistence across restarts, and
// no worker pool. Timers are precise to one tick (10ms by default for a
// Wheel, 1ms for package-level timers) plus however late their goroutine
// gets to run them; they never run early. For one-off timing outside the
// framework, use the standard time package.
package timer
