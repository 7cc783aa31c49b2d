package timer

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/internal/testutil"
)

// These tests share the process-wide timer set, so none of them is
// parallel, and each starts from DelAll. They never assert how soon a
// timer ran, only that it ran (within a generous deadline) or did not.

const deadline = 10 * time.Second

// passed waits until the timer goroutine has run a timer due d from now.
// The goroutine runs timers in the order they are due, so every timer due
// earlier has had its turn by then: the way to show that a deleted timer
// did not run, without guessing how long to sleep.
func passed(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	After(d, func() { close(done) })
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatalf("a timer due in %v did not run", d)
	}
}

func reset(t *testing.T) {
	t.Helper()
	DelAll()
	t.Cleanup(DelAll)
}

func TestAddFires(t *testing.T) {
	reset(t)
	done := make(chan struct{})
	After(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("one-shot timer did not fire")
	}
	testutil.Eventually(t, "Len() == 0", func() bool { return Len() == 0 })
}

func TestPersistentFiresRepeatedly(t *testing.T) {
	reset(t)
	var n atomic.Int64
	id := Add(2*time.Millisecond, func() { n.Add(1) })
	testutil.Eventually(t, "5 runs", func() bool { return n.Load() >= 5 })
	if Len() != 1 {
		t.Fatalf("Len() = %d, want 1", Len())
	}
	if !Del(id) {
		t.Fatal("Del of a persistent timer returned false")
	}
}

func TestDelStops(t *testing.T) {
	reset(t)
	var started atomic.Int64
	id := Add(time.Millisecond, func() { started.Add(1) })
	testutil.Eventually(t, "2 runs", func() bool { return started.Load() >= 2 })
	if !Del(id) {
		t.Fatal("Del returned false")
	}
	atDel := started.Load()
	if Del(id) {
		t.Fatal("second Del returned true")
	}
	passed(t, 30*time.Millisecond)
	// At most one run may have been in progress when Del returned.
	if got := started.Load(); got > atDel+1 {
		t.Fatalf("%d runs started after Del returned", got-atDel)
	}

	// A one-shot deleted while pending never runs.
	var ran atomic.Bool
	id = After(50*time.Millisecond, func() { ran.Store(true) })
	if Del(id) {
		passed(t, 100*time.Millisecond)
		if ran.Load() {
			t.Fatal("deleted one-shot ran")
		}
	}
	if Del(0) {
		t.Fatal("Del(0) returned true")
	}
}

func TestDelAllStopsAll(t *testing.T) {
	reset(t)
	var started atomic.Int64
	for i := range 20 {
		if i%2 == 0 {
			Add(time.Duration(i%3+1)*time.Millisecond, func() { started.Add(1) })
		} else {
			After(time.Duration(i%3+1)*time.Millisecond, func() { started.Add(1) })
		}
	}
	testutil.Eventually(t, "some runs", func() bool { return started.Load() >= 5 })
	DelAll()
	atDelAll := started.Load()
	if Len() != 0 {
		t.Fatalf("Len() after DelAll = %d", Len())
	}
	passed(t, 30*time.Millisecond)
	if got := started.Load(); got > atDelAll+1 { // one callback runs at a time
		t.Fatalf("%d runs started after DelAll returned", got-atDelAll)
	}
}

func TestPanicIsSurvivedAndLogged(t *testing.T) {
	reset(t)
	var logs testutil.Log
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)

	var pRuns atomic.Int64
	pid := Add(time.Millisecond, func() {
		pRuns.Add(1)
		panic("persistent kaboom")
	})
	After(time.Millisecond, func() { panic("kaboom") })
	testutil.Eventually(t, "the panics to be logged", func() bool {
		s := logs.String()
		return strings.Contains(s, "panic=kaboom") && strings.Contains(s, `panic="persistent kaboom"`)
	})
	// The goroutine survived: a panicking persistent timer keeps running,
	// and new timers still fire.
	testutil.Eventually(t, "persistent runs", func() bool { return pRuns.Load() >= 3 })
	done := make(chan struct{})
	After(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("timer goroutine died after a panic")
	}
	Del(pid)
	s := logs.String()
	if !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "stack=") {
		t.Fatalf("panic not logged at error level with a stack:\n%s", s)
	}
}

func TestCallbacksUseAPIWithoutDeadlock(t *testing.T) {
	reset(t)
	done := make(chan struct{})
	// The ID is published through an atomic: the callback runs on the
	// timer goroutine and may read it while Add's caller stores it.
	var self atomic.Uint64
	var runs atomic.Int64
	self.Store(uint64(Add(time.Millisecond, func() {
		if self.Load() == 0 || runs.Add(1) < 3 {
			return // not published yet, or not the third run
		}
		// Del self, Add another, Len, all from a callback.
		if !Del(ID(self.Load())) {
			t.Error("Del(self) from callback returned false")
		}
		_ = Len()
		After(0, func() { close(done) })
	})))
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("callback using the package API deadlocked or never ran")
	}
	if runs.Load() != 3 {
		t.Fatalf("self-deleted persistent timer ran %d times, want 3", runs.Load())
	}
}

func TestConcurrentUse(t *testing.T) {
	reset(t)
	var fired atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := After(time.Duration(i%5)*time.Millisecond, func() { fired.Add(1) })
				if (i+g)%3 == 0 {
					Del(id)
				}
				if i%50 == 0 {
					_ = Len()
				}
			}
		}()
	}
	wg.Wait()
	testutil.Eventually(t, "all timers to run", func() bool { return Len() == 0 })
	if fired.Load() == 0 {
		t.Fatal("no timer ran")
	}
}

func TestIdleThenAddAgain(t *testing.T) {
	reset(t)
	// The goroutine parks when the set is empty and wakes on the next Add,
	// including an Add due earlier than the one it is sleeping for.
	var late atomic.Bool
	After(time.Hour, func() { late.Store(true) })
	done := make(chan struct{})
	After(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("an earlier Add did not wake the timer goroutine")
	}
	DelAll()
	// The goroutine still sleeps towards the deleted timer's time. A timer
	// due sooner wakes it; once that one has run nothing is left, and it
	// parks.
	done1 := make(chan struct{})
	After(time.Millisecond, func() { close(done1) })
	select {
	case <-done1:
	case <-time.After(deadline):
		t.Fatal("a timer added after DelAll did not run")
	}
	testutil.Eventually(t, "the timer goroutine to park", func() bool {
		std.mu.Lock()
		defer std.mu.Unlock()
		return !std.armed
	})
	done2 := make(chan struct{})
	After(time.Millisecond, func() { close(done2) })
	select {
	case <-done2:
	case <-time.After(deadline):
		t.Fatal("Add after idle did not wake the timer goroutine")
	}
	if late.Load() {
		t.Fatal("deleted 1h timer ran")
	}
}
