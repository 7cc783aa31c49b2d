// Package sweep gives the connections of one event loop a periodic check
// (a deadline, a heartbeat) from one loop timer, instead of a timer each.
package sweep

import (
	"time"

	"github.com/workerman-go/workerman/connection"
)

// epoch is the origin of Now.
var epoch = time.Now()

// Now is the sweep's clock: nanoseconds since the process started, on the
// monotonic clock, so that a step of the wall clock moves no deadline. The
// times an item keeps for its visit (when it went quiet, when a head began)
// must be read from it.
func Now() int64 { return int64(time.Since(epoch)) }

// Sweep visits, on one loop timer, every item of a set that lives on one
// event loop: the way to give thousands of connections a periodic check (a
// deadline, a heartbeat) without a timer each. An item costs a slot in a
// slice; an item whose visit returns false leaves the set; with no items the
// timer stops, so an idle loop keeps none.
//
// A Sweep belongs to its loop: make it, Add to it and let it run only on
// that loop (from callbacks, Run tasks, or the visits themselves).
// connection.Loop.Local is the usual place to keep one per loop.
type Sweep[T any] struct {
	loop  *connection.Loop
	every time.Duration
	visit func(item T, now int64) (keep bool)
	items []T
	stop  func()
}

// New returns a sweep of loop l that calls visit for every item every d,
// with the time of the sweep (Now).
func New[T any](l *connection.Loop, d time.Duration, visit func(item T, now int64) bool) *Sweep[T] {
	return &Sweep[T]{loop: l, every: d, visit: visit}
}

// Add puts item in the set, from its next sweep on.
func (s *Sweep[T]) Add(item T) {
	s.items = append(s.items, item)
	if s.stop == nil {
		s.stop = s.loop.Every(s.every, s.run)
	}
}

// Len is the number of items in the set.
func (s *Sweep[T]) Len() int { return len(s.items) }

func (s *Sweep[T]) run() {
	now := Now()
	var zero T
	for i := 0; i < len(s.items); {
		if s.visit(s.items[i], now) {
			i++
			continue
		}
		last := len(s.items) - 1
		s.items[i], s.items[last] = s.items[last], zero
		s.items = s.items[:last]
	}
	if len(s.items) == 0 && s.stop != nil {
		s.stop()
		s.stop = nil
	}
}
