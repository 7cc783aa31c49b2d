package timer

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"
	"time"
)

// fakeClock is a manual clock for deterministic Wheel tests.
type fakeClock struct{ t time.Time }

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func newFake() *fakeClock                          { return &fakeClock{t: epoch} }
func (c *fakeClock) now() time.Time                { return c.t }
func (c *fakeClock) set(d time.Duration) time.Time { c.t = epoch.Add(d); return c.t }

// advanceTo moves the clock to epoch+d and advances the wheel.
func advanceTo(w *Wheel, c *fakeClock, d time.Duration) int { return w.Advance(c.set(d)) }

func newTestWheel(tick time.Duration) (*Wheel, *fakeClock) {
	c := newFake()
	return NewWheel(tick, c.now), c
}

func TestNewWheelDefaults(t *testing.T) {
	w := NewWheel(0, nil)
	if w.Tick() != DefaultTick {
		t.Fatalf("Tick() = %v, want %v", w.Tick(), DefaultTick)
	}
	if w.Len() != 0 {
		t.Fatalf("Len() = %d", w.Len())
	}
	if _, ok := w.Next(); ok {
		t.Fatal("Next() ok on an empty wheel")
	}
	if NewWheel(-time.Second, nil).Tick() != DefaultTick {
		t.Fatal("negative tick not defaulted")
	}
}

func TestOrdering(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	var got []string
	add := func(name string, d time.Duration) {
		w.After(d, func() { got = append(got, name) })
	}
	add("50", 50*time.Millisecond)
	add("10a", 10*time.Millisecond)
	add("3000", 3*time.Second) // level 1 of the wheel
	add("30", 30*time.Millisecond)
	add("10b", 10*time.Millisecond) // same tick as 10a: insertion order
	add("200", 200*time.Millisecond)
	add("5000", 5*time.Second)
	add("40", 40*time.Millisecond)
	if n := advanceTo(w, c, 10*time.Second); n != 8 {
		t.Fatalf("Advance ran %d, want 8", n)
	}
	want := []string{"10a", "10b", "30", "40", "50", "200", "3000", "5000"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if w.Len() != 0 {
		t.Fatalf("Len() = %d", w.Len())
	}
}

func TestOneShotVsPersistent(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	var once, rep int
	w.After(10*time.Millisecond, func() { once++ })
	pid := w.Add(10*time.Millisecond, func() { rep++ })
	for ms := 1; ms <= 100; ms++ {
		advanceTo(w, c, time.Duration(ms)*time.Millisecond)
	}
	if once != 1 || rep != 10 {
		t.Fatalf("one-shot ran %d (want 1), persistent ran %d (want 10)", once, rep)
	}
	if w.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", w.Len())
	}
	if !w.Del(pid) || w.Del(pid) {
		t.Fatal("Del(persistent) should succeed exactly once")
	}
	advanceTo(w, c, time.Second)
	if rep != 10 || w.Len() != 0 {
		t.Fatalf("after Del: rep=%d Len=%d", rep, w.Len())
	}
}

func TestNeverEarlyAtMostOneTickLate(t *testing.T) {
	w, c := newTestWheel(10 * time.Millisecond)
	ran := 0
	w.After(15*time.Millisecond, func() { ran++ })
	// Due at 15ms, i.e. on the 20ms tick: not before.
	for _, d := range []time.Duration{5, 10, 14, 15, 19} {
		advanceTo(w, c, d*time.Millisecond)
		if ran != 0 {
			t.Fatalf("ran at %dms, before its tick", d)
		}
	}
	advanceTo(w, c, 20*time.Millisecond)
	if ran != 1 {
		t.Fatalf("not run one tick after its due time (ran=%d)", ran)
	}

	// Sub-tick precision: due at 10ms+1ns must not run at 10ms.
	w2, c2 := newTestWheel(10 * time.Millisecond)
	ran = 0
	w2.After(10*time.Millisecond+1, func() { ran++ })
	advanceTo(w2, c2, 10*time.Millisecond)
	if ran != 0 {
		t.Fatal("ran 1ns early")
	}
	advanceTo(w2, c2, 20*time.Millisecond)
	if ran != 1 {
		t.Fatal("did not run")
	}
}

func TestDelBeforeFire(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	ran := false
	id := w.After(5*time.Millisecond, func() { ran = true })
	if w.Len() != 1 {
		t.Fatalf("Len() = %d", w.Len())
	}
	if !w.Del(id) {
		t.Fatal("Del of pending timer returned false")
	}
	if w.Del(id) {
		t.Fatal("second Del returned true")
	}
	if w.Del(0) || w.Del(ID(1)<<40|12345) {
		t.Fatal("Del of invalid IDs returned true")
	}
	advanceTo(w, c, time.Second)
	if ran {
		t.Fatal("deleted timer ran")
	}
	if w.Len() != 0 {
		t.Fatalf("Len() = %d", w.Len())
	}
}

func TestDelInsideCallback(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)

	// A persistent timer deleting itself on its third run is not re-armed.
	var self ID
	runs := 0
	self = w.Add(time.Millisecond, func() {
		runs++
		if runs == 3 && !w.Del(self) {
			t.Error("Del(self) from persistent callback returned false")
		}
	})

	// A one-shot deleting itself: it has already fired, so Del is false.
	var one ID
	one = w.After(2*time.Millisecond, func() {
		if w.Del(one) {
			t.Error("Del(self) from one-shot callback returned true")
		}
	})

	// A deletes B and C, all three due on the same tick; D is due on a
	// later tick of the same Advance and is deleted too.
	var bID, cID, dID ID
	var order []string
	w.After(5*time.Millisecond, func() {
		order = append(order, "A")
		if !w.Del(bID) || !w.Del(cID) || !w.Del(dID) {
			t.Error("Del of other due timers returned false")
		}
	})
	bID = w.After(5*time.Millisecond, func() { order = append(order, "B") })
	cID = w.Add(5*time.Millisecond, func() { order = append(order, "C") })
	dID = w.After(7*time.Millisecond, func() { order = append(order, "D") })
	w.After(8*time.Millisecond, func() { order = append(order, "E") })

	for ms := 1; ms <= 50; ms++ {
		advanceTo(w, c, time.Duration(ms)*time.Millisecond)
	}
	if runs != 3 {
		t.Fatalf("self-deleting persistent timer ran %d times, want 3", runs)
	}
	if !slices.Equal(order, []string{"A", "E"}) {
		t.Fatalf("ran %v, want [A E]", order)
	}
	advanceTo(w, c, time.Second)
	if runs != 3 || w.Len() != 0 {
		t.Fatalf("runs=%d Len=%d", runs, w.Len())
	}
}

func TestAddInsideCallback(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	inner := 0
	w.After(time.Millisecond, func() {
		// Enough Adds to grow the slab while Advance is running.
		for range 1000 {
			w.After(0, func() { inner++ })
		}
	})
	if n := advanceTo(w, c, time.Second); n != 1 {
		t.Fatalf("first Advance ran %d, want 1: added timers must wait a tick", n)
	}
	if inner != 0 || w.Len() != 1000 {
		t.Fatalf("inner=%d Len=%d", inner, w.Len())
	}
	if n := advanceTo(w, c, time.Second); n != 0 {
		t.Fatalf("Advance without time passing ran %d", n)
	}
	if n := advanceTo(w, c, time.Second+time.Millisecond); n != 1000 || inner != 1000 {
		t.Fatalf("ran %d, inner %d, want 1000", n, inner)
	}

	// A chain: each callback adds the next one.
	w2, c2 := newTestWheel(time.Millisecond)
	chain := 0
	var next func()
	next = func() {
		chain++
		w2.After(10*time.Millisecond, next)
	}
	w2.After(10*time.Millisecond, next)
	for ms := 1; ms <= 1000; ms++ {
		advanceTo(w2, c2, time.Duration(ms)*time.Millisecond)
	}
	if chain != 100 {
		t.Fatalf("chain ran %d times, want 100", chain)
	}

	// Even when Advance is given a now far ahead of the wheel's clock, a
	// self re-adding callback runs once per Advance, not once per tick.
	w3, _ := newTestWheel(time.Millisecond)
	loops := 0
	var again func()
	again = func() {
		loops++
		w3.After(time.Millisecond, again)
	}
	w3.After(time.Millisecond, again)
	w3.Advance(epoch.Add(time.Hour)) // the fake clock stays at epoch
	if loops != 1 || w3.steps > 2*numLevels {
		t.Fatalf("ran %d times, visited %d ticks in one Advance", loops, w3.steps)
	}
}

func TestStaleIDAfterReuse(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	a := w.After(time.Second, func() {})
	if !w.Del(a) {
		t.Fatal("Del(a)")
	}
	bRan := false
	b := w.After(time.Second, func() { bRan = true })
	if uint32(a) != uint32(b) {
		t.Fatalf("slot not reused: a=%#x b=%#x", a, b)
	}
	if a == b {
		t.Fatal("reused slot got the same ID")
	}
	if w.Del(a) {
		t.Fatal("stale ID deleted the newer timer")
	}
	// Fired one-shot: its ID goes stale too.
	advanceTo(w, c, 2*time.Second)
	if !bRan {
		t.Fatal("b did not run")
	}
	cc := w.After(time.Second, func() {})
	if uint32(cc) != uint32(b) || w.Del(b) || w.Del(a) {
		t.Fatal("stale ID of a fired timer deleted the newer timer")
	}
	if !w.Del(cc) {
		t.Fatal("Del(c)")
	}
}

func TestNoDrift(t *testing.T) {
	// Interval a multiple of the tick: runs exactly on schedule.
	w, c := newTestWheel(time.Millisecond)
	const iv = 7 * time.Millisecond
	var at []time.Duration
	w.Add(iv, func() { at = append(at, c.now().Sub(epoch)) })
	for ms := 1; ms <= 7000; ms++ {
		advanceTo(w, c, time.Duration(ms)*time.Millisecond)
	}
	if len(at) != 1000 {
		t.Fatalf("ran %d times, want 1000", len(at))
	}
	for k, d := range at {
		if want := time.Duration(k+1) * iv; d != want {
			t.Fatalf("run %d at %v, want %v", k+1, d, want)
		}
	}

	// Interval not a multiple of the tick, and jittery Advance calls: the
	// schedule stays at exact multiples, each run within one tick of it.
	w, c = newTestWheel(10 * time.Millisecond)
	const iv2 = 15 * time.Millisecond
	rng := rand.New(rand.NewSource(1))
	var runs []time.Duration
	id := w.Add(iv2, func() { runs = append(runs, c.now().Sub(epoch)) })
	slot := int32(uint32(id)) - 1
	now := time.Duration(0)
	for now < 1000*iv2 {
		now += time.Duration(rng.Int63n(int64(9 * time.Millisecond)))
		advanceTo(w, c, now)
		if got := time.Duration(w.nodes[slot].when); got%iv2 != 0 {
			t.Fatalf("scheduled time %v is not a multiple of %v", got, iv2)
		}
	}
	if want := int(now / iv2); len(runs) != want {
		t.Fatalf("ran %d times by %v, want %d", len(runs), now, want)
	}
	for k, d := range runs {
		due := time.Duration(k+1) * iv2
		if d < due || d >= due+10*time.Millisecond+9*time.Millisecond {
			t.Fatalf("run %d at %v, due %v", k+1, d, due)
		}
	}
}

func TestStallSkipsMissedRuns(t *testing.T) {
	w, c := newTestWheel(10 * time.Millisecond)
	var at []time.Duration
	id := w.Add(100*time.Millisecond, func() { at = append(at, c.now().Sub(epoch)) })
	if n := advanceTo(w, c, 1050*time.Millisecond); n != 1 {
		t.Fatalf("after a 10-interval stall ran %d times, want 1 (no burst)", n)
	}
	if n := advanceTo(w, c, 1099*time.Millisecond); n != 0 {
		t.Fatalf("ran %d times before the next phase point", n)
	}
	if n := advanceTo(w, c, 1100*time.Millisecond); n != 1 {
		t.Fatalf("did not run at the original phase (1100ms), ran %d", n)
	}
	slot := int32(uint32(id)) - 1
	if got := time.Duration(w.nodes[slot].when); got != 1200*time.Millisecond {
		t.Fatalf("next scheduled at %v, want 1.2s", got)
	}
	// Stall ending exactly on a phase point: the next run is the one after.
	if n := advanceTo(w, c, 2000*time.Millisecond); n != 1 {
		t.Fatalf("ran %d, want 1", n)
	}
	if got := time.Duration(w.nodes[slot].when); got != 2100*time.Millisecond {
		t.Fatalf("next scheduled at %v, want 2.1s", got)
	}
	if !slices.Equal(at, []time.Duration{1050 * time.Millisecond, 1100 * time.Millisecond, 2000 * time.Millisecond}) {
		t.Fatalf("runs at %v", at)
	}
}

func TestLongIntervalsAndBigJumps(t *testing.T) {
	w, c := newTestWheel(10 * time.Millisecond)
	ran := 0
	w.After(48*time.Hour, func() { ran++ })
	if n := advanceTo(w, c, 48*time.Hour-10*time.Millisecond); n != 0 || ran != 0 {
		t.Fatal("48h timer ran early")
	}
	if w.steps > 2*numLevels {
		t.Fatalf("a 48h jump visited %d ticks; want a bounded number", w.steps)
	}
	if n := advanceTo(w, c, 48*time.Hour); n != 1 {
		t.Fatalf("48h timer: Advance ran %d", n)
	}

	// One jump straight past the due time, with other far timers pending.
	w, c = newTestWheel(10 * time.Millisecond)
	var fired []int
	for i := 1; i <= 100; i++ {
		w.After(time.Duration(i)*time.Hour, func() { fired = append(fired, i) })
	}
	dayID := w.Add(24*time.Hour, func() {})
	if n := advanceTo(w, c, 50*time.Hour+time.Minute); n != 50+1 {
		t.Fatalf("ran %d, want 51 (50 one-shots, persistent once)", n)
	}
	if !slices.IsSorted(fired) || len(fired) != 50 {
		t.Fatalf("fired %v", fired)
	}
	// Bound on the work: buckets visited, not ticks (18M ticks elapsed).
	if w.steps > 101*numLevels {
		t.Fatalf("visited %d ticks", w.steps)
	}
	slot := int32(uint32(dayID)) - 1
	if got := time.Duration(w.nodes[slot].when); got != 72*time.Hour {
		t.Fatalf("daily timer next at %v, want 72h", got)
	}
	// Ten-day jump: daily timer runs once, the rest of the one-shots run.
	if n := advanceTo(w, c, 240*time.Hour); n != 50+1 {
		t.Fatalf("ran %d, want 51", n)
	}
	if got := time.Duration(w.nodes[slot].when); got != 264*time.Hour {
		t.Fatalf("daily timer next at %v, want 264h", got)
	}
	if w.Len() != 1 {
		t.Fatalf("Len() = %d", w.Len())
	}

	// Absurd intervals are clamped, not overflowed.
	w, c = newTestWheel(time.Nanosecond)
	w.Add(time.Duration(1<<63-1), func() { t.Error("ran") })
	advanceTo(w, c, 100*365*24*time.Hour)
	if w.Len() != 1 {
		t.Fatal("lost the clamped timer")
	}
}

func TestNonPositiveInterval(t *testing.T) {
	for _, iv := range []time.Duration{0, -time.Second} {
		w, c := newTestWheel(10 * time.Millisecond)
		c.set(5 * time.Millisecond)
		ran := 0
		w.After(iv, func() { ran++ })
		rep := 0
		w.Add(iv, func() { rep++ })
		if n := w.Advance(c.now()); n != 0 {
			t.Fatalf("interval %v ran immediately", iv)
		}
		advanceTo(w, c, 9*time.Millisecond)
		if ran != 0 {
			t.Fatalf("interval %v ran before the next tick", iv)
		}
		advanceTo(w, c, 10*time.Millisecond)
		if ran != 1 || rep != 1 {
			t.Fatalf("interval %v: ran=%d rep=%d, want 1 1", iv, ran, rep)
		}
		for ms := 11; ms <= 110; ms++ {
			advanceTo(w, c, time.Duration(ms)*time.Millisecond)
		}
		if rep != 11 {
			t.Fatalf("persistent interval %v ran %d times in 11 ticks", iv, rep)
		}
	}
}

func TestPanicLeavesWheelConsistent(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	var order []string
	w.After(5*time.Millisecond, func() { order = append(order, "A") })
	w.After(5*time.Millisecond, func() { order = append(order, "B"); panic("boom") })
	w.After(5*time.Millisecond, func() { order = append(order, "C") })
	pRuns := 0
	pID := w.Add(5*time.Millisecond, func() { pRuns++; panic("persistent boom") })
	w.After(7*time.Millisecond, func() { order = append(order, "D") })

	advancePanics := func(d time.Duration) (v any) {
		defer func() { v = recover() }()
		advanceTo(w, c, d)
		return nil
	}
	if v := advancePanics(10 * time.Millisecond); v != "boom" {
		t.Fatalf("recovered %v, want boom", v)
	}
	if !slices.Equal(order, []string{"A", "B"}) {
		t.Fatalf("ran %v before the panic", order)
	}
	if w.Len() != 3 { // C, P, D
		t.Fatalf("Len() = %d, want 3", w.Len())
	}
	// The leftover due timers are reported as due right away.
	if at, ok := w.Next(); !ok || at.After(c.now()) {
		t.Fatalf("Next() = %v, %v; want a time not after now", at, ok)
	}
	if v := advancePanics(10 * time.Millisecond); v != "persistent boom" {
		t.Fatalf("recovered %v, want persistent boom", v)
	}
	if pRuns != 1 || !slices.Equal(order, []string{"A", "B", "C"}) {
		t.Fatalf("pRuns=%d order=%v", pRuns, order)
	}
	// The panicking persistent timer was re-armed before it ran.
	if v := advancePanics(10 * time.Millisecond); v != nil {
		t.Fatalf("unexpected panic %v", v)
	}
	if !slices.Equal(order, []string{"A", "B", "C", "D"}) {
		t.Fatalf("order=%v", order)
	}
	if v := advancePanics(15 * time.Millisecond); v != "persistent boom" || pRuns != 2 {
		t.Fatalf("persistent timer not re-armed: %v, runs %d", v, pRuns)
	}
	if !w.Del(pID) || w.Len() != 0 {
		t.Fatalf("Del(p) failed or Len()=%d", w.Len())
	}
	if n := advanceTo(w, c, time.Second); n != 0 {
		t.Fatalf("ran %d after everything was deleted", n)
	}
}

func TestLenAndDelAll(t *testing.T) {
	w, c := newTestWheel(time.Millisecond)
	ids := make([]ID, 0, 100)
	for i := range 100 {
		ids = append(ids, addTimer(w, time.Duration(i)*time.Second, func() { t.Error("ran after DelAll") }, i%2 == 0))
	}
	if w.Len() != 100 {
		t.Fatalf("Len() = %d", w.Len())
	}
	for _, id := range ids[:10] {
		w.Del(id)
	}
	if w.Len() != 90 {
		t.Fatalf("Len() = %d", w.Len())
	}
	w.DelAll()
	if w.Len() != 0 {
		t.Fatalf("Len() after DelAll = %d", w.Len())
	}
	for _, id := range ids {
		if w.Del(id) {
			t.Fatal("ID valid after DelAll")
		}
	}
	advanceTo(w, c, 200*time.Second)
	ran := 0
	w.After(time.Second, func() { ran++ })
	advanceTo(w, c, 201*time.Second)
	if ran != 1 {
		t.Fatal("wheel unusable after DelAll")
	}

	// DelAll from inside a callback, with other timers due in the same tick.
	w.Add(time.Second, func() { w.DelAll() })
	w.After(time.Second, func() { t.Error("ran after DelAll in callback") })
	w.Add(2*time.Second, func() { t.Error("ran after DelAll in callback") })
	advanceTo(w, c, 210*time.Second)
	if w.Len() != 0 {
		t.Fatalf("Len() = %d", w.Len())
	}
}

func TestNext(t *testing.T) {
	w, c := newTestWheel(10 * time.Millisecond)
	c.set(3 * time.Millisecond)
	w.After(25*time.Millisecond, func() {}) // due 28ms -> tick 3 (30ms)
	at, ok := w.Next()
	if !ok || !at.Equal(epoch.Add(30*time.Millisecond)) {
		t.Fatalf("Next() = %v, %v; want epoch+30ms", at, ok)
	}

	// An idle loop driven by Next alone reaches a 48h timer in a few
	// wake-ups, never late, and never before it is due.
	w, c = newTestWheel(10 * time.Millisecond)
	ran := 0
	w.After(48*time.Hour+3*time.Millisecond, func() { ran++ })
	wakeups := 0
	for ran == 0 {
		at, ok := w.Next()
		if !ok {
			t.Fatal("Next() not ok with a pending timer")
		}
		if at.After(epoch.Add(48*time.Hour + 10*time.Millisecond)) {
			t.Fatalf("Next() = %v is after the timer's due tick", at.Sub(epoch))
		}
		w.Advance(c.set(at.Sub(epoch)))
		wakeups++
		if wakeups > numLevels {
			t.Fatalf("%d wake-ups for one timer", wakeups)
		}
	}
	if got := c.now().Sub(epoch); got != 48*time.Hour+10*time.Millisecond {
		t.Fatalf("ran at %v", got)
	}
	if _, ok := w.Next(); ok {
		t.Fatal("Next() ok on an empty wheel")
	}
}

func TestAddDelDoesNotAllocate(t *testing.T) {
	w, _ := newTestWheel(time.Millisecond)
	fn := func() {}
	for i := range 10000 {
		w.After(time.Duration(i)*time.Millisecond, fn)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		w.Del(w.After(5*time.Second, fn))
	})
	if allocs != 0 {
		t.Fatalf("Add+Del allocates %v times", allocs)
	}
}

// bytesPerTimer measures the heap growth per pending timer for n timers.
func bytesPerTimer(n int) float64 {
	fn := func() {}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := NewWheel(10*time.Millisecond, nil)
	for i := range n {
		addTimer(w, time.Duration(i%100000)*time.Millisecond+time.Second, fn, i%4 == 0)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(w)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

func TestMemoryPerTimer(t *testing.T) {
	if b := bytesPerTimer(1_000_000); b > 96 {
		t.Fatalf("%.1f bytes per pending timer, want <= 96", b)
	} else {
		t.Logf("%.1f bytes per pending timer", b)
	}
}

// TestAgainstModel checks the wheel against a naive model under random
// Add, Del and Advance calls with random gaps, including big jumps.
func TestAgainstModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed) })
	}
}

func runModel(t *testing.T, seed int64) {
	type mtimer struct {
		when, period int64
		e            int64 // due tick
	}
	rng := rand.New(rand.NewSource(seed))
	const tick = int64(7 * time.Millisecond)
	w, c := newTestWheel(time.Duration(tick))
	ceil := func(x int64) int64 { return (x + tick - 1) / tick }
	live := map[ID]*mtimer{}
	var all []ID
	var fired []ID
	var now, cur int64

	randInterval := func() time.Duration {
		switch rng.Intn(10) {
		case 0:
			return -time.Duration(rng.Int63n(int64(time.Second)))
		case 1:
			return 0
		case 2:
			return time.Duration(rng.Int63n(int64(72 * time.Hour)))
		default:
			return time.Duration(rng.Int63n(int64(10 * time.Second)))
		}
	}
	for op := 0; op < 3000; op++ {
		switch r := rng.Intn(10); {
		case r < 5: // Add
			iv := randInterval()
			persistent := rng.Intn(3) == 0
			var id ID
			id = addTimer(w, iv, func() {
				if w.clock().Sub(epoch) < time.Duration(live[id].when) {
					t.Fatalf("timer ran early")
				}
				fired = append(fired, id)
			}, persistent)
			p, base := int64(iv), now
			if p <= 0 {
				p, base = tick, now/tick*tick
			}
			m := &mtimer{when: base + p}
			m.e = max(ceil(m.when), cur+1)
			if persistent {
				m.period = p
			}
			live[id] = m
			all = append(all, id)
		case r < 7: // Del, possibly of a stale ID
			if len(all) == 0 {
				continue
			}
			id := all[rng.Intn(len(all))]
			_, want := live[id]
			if got := w.Del(id); got != want {
				t.Fatalf("op %d: Del(%#x) = %v, want %v", op, id, got, want)
			}
			delete(live, id)
		default: // Advance
			switch rng.Intn(10) {
			case 0:
				now += rng.Int63n(int64(100 * time.Hour))
			case 1:
				// no time passes
			default:
				now += rng.Int63n(int64(time.Second))
			}
			target := now / tick
			var want []ID
			for id, m := range live {
				if m.e <= target {
					want = append(want, id)
				}
			}
			fired = fired[:0]
			n := advanceTo(w, c, time.Duration(now))
			if n != len(fired) {
				t.Fatalf("Advance returned %d, ran %d", n, len(fired))
			}
			for k := 1; k < len(fired); k++ {
				if live[fired[k-1]].e > live[fired[k]].e {
					t.Fatalf("op %d: ran out of due order", op)
				}
			}
			got := slices.Clone(fired)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("op %d: ran %d timers, want %d", op, len(got), len(want))
			}
			for _, id := range want {
				m := live[id]
				if m.period == 0 {
					delete(live, id)
					continue
				}
				next := m.when + m.period
				if next <= now {
					next = now - (now-m.when)%m.period + m.period
				}
				m.when, m.e = next, ceil(next)
			}
			cur = target
		}
		if w.Len() != len(live) {
			t.Fatalf("op %d: Len() = %d, want %d", op, w.Len(), len(live))
		}
		if len(live) > 0 {
			minE := int64(1<<63 - 1)
			for _, m := range live {
				minE = min(minE, m.e)
			}
			at, ok := w.Next()
			if !ok || at.After(epoch.Add(time.Duration(minE*tick))) || !at.After(epoch.Add(time.Duration(cur*tick))) {
				t.Fatalf("op %d: Next() = %v, %v; earliest due tick %d, cur %d",
					op, at.Sub(epoch), ok, minE, cur)
			}
		}
	}
}

// addTimer adds a repeating timer (Add) or a one-shot one (After), for the
// tests that mix both at random.
func addTimer(w *Wheel, d time.Duration, fn func(), repeat bool) ID {
	if repeat {
		return w.Add(d, fn)
	}
	return w.After(d, fn)
}
