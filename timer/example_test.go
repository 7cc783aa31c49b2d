package timer_test

import (
	"fmt"
	"time"

	"github.com/workerman-go/workerman/timer"
)

// Package-level timers are Workerman's Timer::add / Timer::del. The callback
// runs on the package's timer goroutine.
func ExampleAdd() {
	done := make(chan struct{})
	timer.After(10*time.Millisecond, func() {
		fmt.Println("fired")
		close(done)
	})
	<-done

	// Add repeats until deleted.
	ticks := make(chan struct{}, 3)
	id := timer.Add(5*time.Millisecond, func() {
		select {
		case ticks <- struct{}{}:
		default:
		}
	})
	for range 3 {
		<-ticks
	}
	fmt.Println("deleted:", timer.Del(id))
	// Output:
	// fired
	// deleted: true
}

// A Wheel is driven by its owner, here with a fake clock; an event loop
// would pass time.Now() to Advance after each poll.
func ExampleWheel() {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	w := timer.NewWheel(10*time.Millisecond, func() time.Time { return now })

	w.After(30*time.Millisecond, func() { fmt.Println("one-shot at", now.Sub(start)) })
	var hb timer.ID
	runs := 0
	hb = w.Add(20*time.Millisecond, func() {
		runs++
		fmt.Println("heartbeat at", now.Sub(start))
		if runs == 3 {
			w.Del(hb) // stop it from its own callback
		}
	})

	for w.Len() > 0 {
		at, _ := w.Next() // when Advance next has work
		now = at
		w.Advance(now)
	}
	// Output:
	// heartbeat at 20ms
	// one-shot at 30ms
	// heartbeat at 40ms
	// heartbeat at 60ms
}
