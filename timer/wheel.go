package timer

import (
	"math/bits"
	"time"
)

// ID identifies a timer within the Wheel (or the package-level timer set)
// that created it. Zero is never a valid ID.
//
// The low 32 bits hold the timer's slot number plus one and the high 32 bits
// hold the slot's generation, so an ID that has fired or been deleted stays
// invalid after its slot is reused by a newer timer. (A generation wraps
// around only after 2^32 reuses of the same slot.)
type ID uint64

// DefaultTick is the tick NewWheel uses when it is given a tick <= 0.
const DefaultTick = 10 * time.Millisecond

const (
	slotBits = 6
	numSlots = 1 << slotBits // buckets per level
	slotMask = numSlots - 1
	// numLevels levels of 64 buckets cover 66 bits of ticks, more than the
	// 62 bits a clamped due time (maxWhen) can need even with a 1ns tick,
	// so the wheel never wraps around.
	numLevels = 11
	// maxWhen caps due times, in nanoseconds since the wheel was created
	// (about 146 years), so that no arithmetic can overflow.
	maxWhen = int64(1) << 62

	none = int32(-1) // null index in the slab and in bucket lists
)

// node is one timer. It holds no pointers, so the garbage collector never
// scans the slab; the callbacks live in the parallel Wheel.fns slice.
type node struct {
	when   int64  // scheduled time, ns since Wheel.origin
	period int64  // re-arm interval in ns; 0 for a one-shot timer
	next   int32  // next node in the bucket list, or in the free list
	prev   int32  // previous node in the bucket list
	gen    uint32 // generation, incremented each time the slot is freed
	bucket int32  // level*numSlots+slot while pending, none otherwise
}

// Wheel is a hierarchical timing wheel: 11 levels of 64 buckets, where level
// l holds timers due roughly 64^l to 64^(l+1) ticks from now. Add and Del
// are O(1); Advance costs O(timers fired + buckets visited), and it jumps
// straight over stretches of time in which no bucket is due, so a call after
// a long gap (hours or days of ticks) does a bounded amount of work. Each
// timer moves down a level at most 10 times in its life.
//
// Timers live in a slab with a free list, linked by int32 indices, so a
// steady state of Add and Del allocates nothing and a pending timer costs
// about 40 bytes (plus the slab's growth slack).
//
// A Wheel is not safe for concurrent use. It belongs to one goroutine (an
// event loop), which calls Add, Del and Advance; callbacks run on that
// goroutine, inside Advance. A callback may call Add, Del and DelAll on its
// own wheel.
//
// A timer is never run early: it is due when its scheduled time is at or
// before the now given to Advance. Because due times are rounded up to a
// whole tick, a timer may run up to one tick late (plus however late the
// owner calls Advance). Timers due on the same tick run in the order they
// were added (or, for repeating timers, last re-armed).
//
// The owner calls Advance after each wake-up of its loop, and uses Next (or
// Len) to decide how long it may sleep: see the package documentation.
type Wheel struct {
	tick   int64 // ns
	clock  func() time.Time
	origin time.Time
	cur    uint64 // last tick processed; ticks <= cur are done
	limit  uint64 // target tick of the latest Advance: Adds due after it
	count  int    // pending timers
	free   int32  // head of the free list
	nodes  []node
	fns    []func()
	steps  uint64 // ticks visited by Advance, for tests

	occupied [numLevels]uint64 // bit s of level l: bucket (l, s) not empty
	head     [numLevels * numSlots]int32
	tail     [numLevels * numSlots]int32
}

// NewWheel returns an empty wheel with the given tick (the granularity of
// due times; DefaultTick if tick <= 0) that reads the current time from
// clock (time.Now if clock is nil). Time zero for the wheel is clock() at
// the call.
func NewWheel(tick time.Duration, clock func() time.Time) *Wheel {
	if tick <= 0 {
		tick = DefaultTick
	}
	if clock == nil {
		clock = time.Now
	}
	w := &Wheel{tick: int64(tick), clock: clock, free: none}
	w.origin = clock()
	for i := range w.head {
		w.head[i] = none
		w.tail[i] = none
	}
	return w
}

// Tick returns the wheel's tick: the granularity of due times.
func (w *Wheel) Tick() time.Duration { return time.Duration(w.tick) }

// Len returns the number of pending timers. A repeating timer counts as
// pending until it is deleted, including while its callback runs.
func (w *Wheel) Len() int { return w.count }

// Add schedules fn to run every interval, from clock()+interval on, until
// it is deleted with Del. It returns the timer's ID. fn must not be nil.
//
// An interval <= 0 means "every tick": the timer is due at the first tick
// boundary after clock(), so it runs on the first Advance whose now is in
// a later tick (at most one tick later), and once per tick after that.
// Intervals longer than about 146 years are clamped.
//
// A timer added by a callback never runs in the Advance that is running the
// callback. More generally, a timer is never due before the tick after the
// now last given to Advance, even if clock() lags behind that now.
//
// The timer keeps its phase: each run is scheduled at the previous
// scheduled time plus interval, not at the time the previous run happened.
// If the owner stalls for several intervals, the timer runs once and then
// resumes at the first scheduled time after now; missed runs are dropped,
// not replayed in a burst.
func (w *Wheel) Add(interval time.Duration, fn func()) ID {
	return w.add(interval, fn, true)
}

// After schedules fn to run once, at clock()+delay, unless it is deleted
// with Del first. It returns the timer's ID. fn must not be nil. A delay <= 0
// means "on the next tick"; the other rules are Add's.
func (w *Wheel) After(delay time.Duration, fn func()) ID {
	return w.add(delay, fn, false)
}

func (w *Wheel) add(interval time.Duration, fn func(), persistent bool) ID {
	if fn == nil {
		panic("timer: Add or After with nil func")
	}
	base := max(w.since(w.clock()), 0)
	iv := min(int64(interval), maxWhen)
	if iv <= 0 {
		iv = w.tick
		base = base / w.tick * w.tick // due on the next tick boundary
	}
	i := w.alloc()
	n := &w.nodes[i]
	n.when = addClamp(base, iv)
	n.period = 0
	if persistent {
		n.period = iv
	}
	w.fns[i] = fn
	w.place(i, max(w.cur, w.limit)+1) // never in the running Advance
	w.count++
	return ID(uint64(n.gen)<<32 | uint64(i+1))
}

// Del cancels the timer with the given ID and reports whether it was
// pending. It returns false for an ID that is zero, unknown, already
// deleted, or a one-shot timer (After) that has already run (or is
// running). A repeating timer deleted from inside its own callback is not
// re-armed.
func (w *Wheel) Del(id ID) bool {
	i, ok := w.lookup(id)
	if !ok {
		return false
	}
	w.unlink(i)
	w.release(i)
	w.count--
	return true
}

// DelAll cancels every pending timer. IDs issued before the call become
// invalid. It costs O(size of the slab).
func (w *Wheel) DelAll() {
	w.free = none
	for i := len(w.nodes) - 1; i >= 0; i-- {
		n := &w.nodes[i]
		if n.bucket != none {
			n.gen++
			n.bucket = none
			w.fns[i] = nil
		}
		n.next = w.free
		w.free = int32(i)
	}
	for i := range w.head {
		w.head[i] = none
		w.tail[i] = none
	}
	w.occupied = [numLevels]uint64{}
	w.count = 0
}

// Next reports the earliest time at which Advance may have work to do: a
// timer falls due, or the wheel must move timers down a level (which
// happens at most a few times per timer). It is never later than the
// earliest pending timer's due time, rounded up to a tick. ok is false when
// no timer is pending, in which case Advance has nothing to do until the
// next Add.
//
// An event loop uses it to bound how long it blocks: wait until at (rounded
// up, not down, to the poller's resolution), then call Advance.
func (w *Wheel) Next() (at time.Time, ok bool) {
	if w.count == 0 {
		return time.Time{}, false
	}
	t := w.cur
	// The current tick's bucket is non-empty only if a callback panicked
	// in the middle of it: Advance should run the rest at once.
	if w.occupied[0]&(1<<(t&slotMask)) == 0 {
		t = w.nextEvent()
	}
	return w.origin.Add(time.Duration(int64(t) * w.tick)), true
}

// Advance runs, on the calling goroutine, every timer whose scheduled time
// is at or before now (to tick granularity: see Wheel), and returns how many
// callbacks ran. Timers run in order of due tick.
//
// Callbacks may call Add, Del and DelAll. A timer deleted before its turn
// does not run, even if it was due in this same Advance; a timer added by a
// callback never runs in the same Advance, however short its interval.
//
// Advance does not recover panics. Before each callback runs the wheel is
// already consistent (a one-shot timer is released, a repeating one is
// re-armed), so if a callback panics the caller may recover and keep using
// the wheel: the next Advance runs the remaining due timers.
func (w *Wheel) Advance(now time.Time) int {
	nowNs := min(w.since(now), maxWhen)
	var target uint64
	if nowNs > 0 {
		target = uint64(nowNs / w.tick)
	}
	w.limit = target
	ran := w.expire(nowNs) // normally nothing; see Next
	for w.cur < target {
		if w.count == 0 {
			w.cur = target
			break
		}
		t := w.nextEvent()
		if t > target {
			w.cur = target
			break
		}
		w.cur = t
		w.steps++
		w.cascade(t)
		ran += w.expire(nowNs)
	}
	return ran
}

// expire runs the timers in the level-0 bucket of the current tick.
func (w *Wheel) expire(nowNs int64) int {
	ran := 0
	for {
		// Re-read cur and the bucket head each time: a callback may have
		// deleted timers, or (strangely) called Advance itself.
		i := w.head[w.cur&slotMask]
		if i == none {
			return ran
		}
		w.unlink(i)
		fn := w.fns[i]
		if n := &w.nodes[i]; n.period > 0 {
			next := addClamp(n.when, n.period)
			if next <= nowNs {
				// Stalled: skip the missed runs, keep the phase. Here
				// 0 <= when < now <= maxWhen, so nothing overflows.
				next = addClamp(nowNs-(nowNs-n.when)%n.period, n.period)
			}
			n.when = next
			w.place(i, w.cur+1)
		} else {
			w.release(i)
			w.count--
		}
		ran++
		fn()
	}
}

// cascade moves down the higher-level buckets that fall due at tick t.
// Levels are handled top-down, so a timer lands in its final bucket.
func (w *Wheel) cascade(t uint64) {
	top := min(bits.TrailingZeros64(t)/slotBits, numLevels-1)
	for l := top; l >= 1; l-- {
		b := l*numSlots + int((t>>(uint(l)*slotBits))&slotMask)
		for {
			i := w.head[b]
			if i == none {
				break
			}
			w.unlink(i)
			w.place(i, t)
		}
	}
}

// nextEvent returns the first tick after cur at which a non-empty bucket
// is due, at any level. Buckets at level l are due at ticks beyond all the
// buckets of lower levels, so the lowest non-empty level decides. It must
// only be called while some timer is pending.
func (w *Wheel) nextEvent() uint64 {
	c := w.cur
	for l := uint(0); l < numLevels; l++ {
		shift := l * slotBits
		g := (c >> shift) & slotMask
		above := w.occupied[l] & (^uint64(0) << (g + 1)) // g+1 == 64 gives 0
		if above != 0 {
			s := uint64(bits.TrailingZeros64(above))
			return c>>(shift+slotBits)<<(shift+slotBits) | s<<shift
		}
	}
	panic("timer: wheel bookkeeping is inconsistent")
}

// place links node i into the bucket for its due tick, which is
// ceil(when/tick) but at least ref. The level is chosen by the highest
// 6-bit group in which the due tick differs from cur: the bucket is then
// reached (and cascaded, for level >= 1) exactly when cur reaches the start
// of that group.
func (w *Wheel) place(i int32, ref uint64) {
	n := &w.nodes[i]
	var e uint64
	if n.when > 0 {
		e = uint64((n.when-1)/w.tick + 1)
	}
	if e < ref {
		// Only when clock() lags the now given to Advance: postpone the
		// timer itself, so that a cascade recomputes the same due tick.
		e = ref
		if e <= uint64(maxWhen/w.tick) {
			n.when = int64(e) * w.tick
		}
	}
	l := 0
	if x := e ^ w.cur; x != 0 {
		l = (63 - bits.LeadingZeros64(x)) / slotBits
	}
	s := (e >> (uint(l) * slotBits)) & slotMask
	w.link(i, int32(l*numSlots)+int32(s))
}

func (w *Wheel) link(i, b int32) {
	n := &w.nodes[i]
	n.bucket = b
	n.next = none
	n.prev = w.tail[b]
	if n.prev == none {
		w.head[b] = i
		w.occupied[b/numSlots] |= 1 << (b % numSlots)
	} else {
		w.nodes[n.prev].next = i
	}
	w.tail[b] = i
}

func (w *Wheel) unlink(i int32) {
	n := &w.nodes[i]
	b := n.bucket
	if n.prev == none {
		w.head[b] = n.next
	} else {
		w.nodes[n.prev].next = n.next
	}
	if n.next == none {
		w.tail[b] = n.prev
	} else {
		w.nodes[n.next].prev = n.prev
	}
	if w.head[b] == none {
		w.occupied[b/numSlots] &^= 1 << (b % numSlots)
	}
	n.bucket = none
	n.next, n.prev = none, none
}

// alloc takes a node off the free list, growing the slab if it is empty.
func (w *Wheel) alloc() int32 {
	if i := w.free; i != none {
		w.free = w.nodes[i].next
		return i
	}
	if len(w.nodes) >= 1<<31-1 {
		panic("timer: too many timers")
	}
	w.nodes = append(w.nodes, node{bucket: none})
	w.fns = append(w.fns, nil)
	return int32(len(w.nodes) - 1)
}

// release returns an unlinked node to the free list, invalidating its ID.
func (w *Wheel) release(i int32) {
	n := &w.nodes[i]
	n.gen++
	n.bucket = none
	n.next = w.free
	w.free = i
	w.fns[i] = nil
}

// lookup returns the slot of a pending timer.
func (w *Wheel) lookup(id ID) (int32, bool) {
	idx := int64(uint32(id)) - 1
	if idx < 0 || idx >= int64(len(w.nodes)) {
		return 0, false
	}
	n := &w.nodes[idx]
	if n.gen != uint32(id>>32) || n.bucket == none {
		return 0, false
	}
	return int32(idx), true
}

// since returns t as nanoseconds since the wheel's origin.
func (w *Wheel) since(t time.Time) int64 { return int64(t.Sub(w.origin)) }

// addClamp returns a+b capped at maxWhen, for b in [0, maxWhen].
func addClamp(a, b int64) int64 {
	if a > maxWhen-b {
		return maxWhen
	}
	return a + b
}
