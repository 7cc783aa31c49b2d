package connection

import (
	"math"
	"testing"
	"time"
)

// loopState makes a loop as publishTick leaves it.
func loopState(watching int64, due int64) *Loop {
	l := &Loop{}
	l.watching.Store(watching)
	l.nextDue.Store(due)
	return l
}

func TestTickerPlan(t *testing.T) {
	now := time.Now().UnixNano()
	soon, later := now+int64(time.Second), now+int64(time.Hour)
	for _, tc := range []struct {
		name  string
		loops []*Loop
		next  int64
		fast  bool
	}{
		{"no loops: parked", nil, math.MaxInt64, false},
		{"idle loops: parked", []*Loop{loopState(0, 0), loopState(0, 0)}, math.MaxInt64, false},
		{"the earliest timer", []*Loop{loopState(0, later), loopState(0, soon)}, soon, false},
		{"a timer due by now is left to its tick", []*Loop{loopState(0, now), loopState(0, later)}, later, false},
		{"watched connections: every tick", []*Loop{loopState(1, later), loopState(0, 0)}, now + int64(tickInterval), true},
	} {
		next, fast := plan(tc.loops, now)
		if next != tc.next || fast != tc.fast {
			t.Errorf("%s: plan = %d, %v; want %d, %v", tc.name, next-now, fast, tc.next-now, tc.fast)
		}
	}
}

func TestTickerNeedWakesOnlyWhenThePlanIsLate(t *testing.T) {
	tk := newTicker()
	woken := func() bool {
		select {
		case <-tk.wake:
			return true
		default:
			return false
		}
	}
	// Parked: any timer, or a watched connection, wakes it.
	if tk.need(false, 0); woken() {
		t.Error("woken with nothing to do")
	}
	if tk.need(false, 42); !woken() {
		t.Error("a timer did not wake a parked ticker")
	}
	if tk.need(true, 0); !woken() {
		t.Error("a watched connection did not wake a parked ticker")
	}
	// Planned for t=100, fast: a later timer or more watching does not.
	tk.next.Store(100)
	tk.fast.Store(true)
	if tk.need(true, 200); woken() {
		t.Error("woken for a timer after the plan")
	}
	if tk.need(false, 50); !woken() {
		t.Error("a timer before the plan did not wake the ticker")
	}
	// Wake-ups do not pile up: one is pending at most.
	tk.need(false, 1)
	tk.need(false, 1)
	if !woken() || woken() {
		t.Error("want exactly one pending wake-up")
	}
}
