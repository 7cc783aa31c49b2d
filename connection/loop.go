package connection

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/workerman-go/workerman/internal/engine"
	"github.com/workerman-go/workerman/timer"
)

// tickInterval is the resolution of the per-loop timer wheels and of the
// checks for drained send buffers and lingering closes.
const tickInterval = 10 * time.Millisecond

// maxFlushRounds bounds how many rounds of newly dirtied connections one
// callback exit flushes before it yields the loop back to gnet (and
// reschedules itself), so that a callback storm cannot starve I/O.
const maxFlushRounds = 32

// Loop is one event loop: the goroutine that owns a set of connections and
// runs all their callbacks, one at a time. Conn.Loop returns a connection's
// loop.
//
// An application rarely needs it. Packages that act on many connections at
// once use it: Run queues one task on the loop (a broadcast writes to all of
// a loop's subscribers with one task instead of one per connection), Every
// runs a timer of the loop itself (one sweep of deadlines or heartbeats for
// all of its connections, instead of a timer each), and Local keeps state
// per loop that needs no lock because only the loop touches it.
//
// Run is safe for concurrent use; Every and Local must be called on the
// loop (from a callback of one of its connections, or from a Run task).
type Loop struct {
	index  int
	el     gnet.EventLoop
	logger *slog.Logger

	// mu guards dirty, tasks, inCallback, wakePending and tickPending.
	mu          sync.Mutex
	dirty       []*Conn
	spare       []*Conn
	held        []*Conn  // loop-only: carriers flushNow left for later in the pass
	heldSince   int64    // loop-only: when the first of held was left (sinceEpoch)
	tasks       []func() // handed over with Run; tasks[taskHead:] are still to run
	taskHead    int
	depth       int // loop-only: nesting of enter/exit
	inCallback  bool
	wakePending bool
	tickPending bool
	// wokenAt is when the pending wake-up was queued (sinceEpoch), for
	// the task latency: set by wake, read by wakeTask. Next to mu, which
	// the goroutine that wakes the loop has just written.
	wokenAt atomic.Int64

	wheel *timer.Wheel
	watch map[*Conn]struct{}
	head  *Conn // the loop's open connections, linked through Conn.prev/next
	// Published for the ticker goroutine by publishTick: how many
	// connections are watched, and when the wheel's next timer is due
	// (sinceEpoch, 0 for none). A loop is ticked only when one of them says
	// so, so an idle loop is never woken.
	watching   atomic.Int64
	nextDue    atomic.Int64
	loopTimers int         // loop-only: timers of Every, not of connections
	locals     map[any]any // loop-only: Local's values
	tlsBuf     []byte      // loop-only: decrypted TLS records, before they join a connection's input
	tick       *ticker     // the engine's, told by publishTick

	stats loopStats
}

// loopStats are one event loop's counters. All fields are safe to read from
// any goroutine.
type loopStats struct {
	Connections  atomic.Int64  // open connections
	Accepted     atomic.Uint64 // connections opened since start
	BytesRead    atomic.Uint64
	BytesWritten atomic.Uint64
	Writes       atomic.Uint64 // writes handed to sockets (a TLS connection's: one per record)
	Messages     atomic.Uint64 // messages delivered to OnMessage
	SendFailures atomic.Uint64 // sends dropped (buffer full or connection closed)
	Timers       atomic.Int64  // pending connection timers
	Panics       atomic.Uint64 // recovered panics in callbacks
	BufferFull   atomic.Uint64 // send buffers that filled up (bufferFull)
	TaskLatency  latencyHistogram

	loop atomic.Pointer[Loop] // the loop these are the counters of, once bound: its queue
}

// read returns the counters' current values. The queue is read under the
// loop's lock: this is for a status or a scrape, not for a hot path.
func (s *loopStats) read(index int) engine.LoopStats {
	st := engine.LoopStats{
		Index:        index,
		Connections:  s.Connections.Load(),
		Accepted:     s.Accepted.Load(),
		BytesRead:    s.BytesRead.Load(),
		BytesWritten: s.BytesWritten.Load(),
		Messages:     s.Messages.Load(),
		SendFailures: s.SendFailures.Load(),
		Timers:       s.Timers.Load(),
		Panics:       s.Panics.Load(),
		BufferFull:   s.BufferFull.Load(),
	}
	st.TaskLatencyBounds = latencyBounds[:]
	st.TaskLatency, st.TaskLatencySum = s.TaskLatency.read()
	if l := s.loop.Load(); l != nil {
		l.mu.Lock()
		st.Queued = len(l.tasks) - l.taskHead + len(l.dirty)
		l.mu.Unlock()
	}
	return st
}

// latencyBounds are the upper bounds of the buckets of the task latency
// histogram: from the few microseconds an idle loop takes to wake up to
// the second of a loop stuck in a callback that blocks.
var latencyBounds = [...]time.Duration{
	5 * time.Microsecond, 10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second,
}

// latencyHistogram counts durations in the buckets of latencyBounds (the
// last count: longer than every bound). Safe for concurrent use.
type latencyHistogram struct {
	counts [len(latencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

func (h *latencyHistogram) read() ([]uint64, time.Duration) {
	counts := make([]uint64, len(h.counts))
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
	}
	return counts, time.Duration(h.sum.Load())
}

// epoch is the origin of sinceEpoch.
var epoch = time.Now()

// sinceEpoch is the time on the monotonic clock, in nanoseconds since the
// package started.
func sinceEpoch() int64 { return int64(time.Since(epoch)) }

// bind attaches the loop to its gnet event loop, the first time that loop
// opens a connection.
func (l *Loop) bind(el gnet.EventLoop) {
	l.stats.loop.Store(l)
	l.el = el
	l.wheel = timer.NewWheel(tickInterval, nil)
	l.watch = make(map[*Conn]struct{})
}

// add links c into the loop's list of connections.
func (l *Loop) add(c *Conn) {
	c.prev, c.next = nil, l.head
	if l.head != nil {
		l.head.prev = c
	}
	l.head = c
}

// remove unlinks c from the loop's list of connections.
func (l *Loop) remove(c *Conn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if l.head == c {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
}

// Index is the loop's number, from 0 (as in the status table).
func (l *Loop) Index() int { return l.index }

// enter marks the start of work on the loop's goroutine (a gnet event, a
// task): until the matching flushAndLeave, work handed to the loop is picked
// up by flushAndLeave instead of waking the loop.
func (l *Loop) enter() {
	l.depth++
	if l.depth > 1 {
		return
	}
	l.mu.Lock()
	l.inCallback = true
	l.mu.Unlock()
}

// flushAndLeave is the flush point: it writes out every connection that
// received work while the loop was busy (and runs the queued tasks, one per
// round, flushing after each), then clears the in-callback mark. The check
// and the clearing happen under the same lock that schedule takes, so no
// work is ever left without a wake-up.
func (l *Loop) flushAndLeave() {
	if l.depth > 1 {
		l.depth--
		return
	}
	var spare []*Conn // the last batch's slice, handed back for reuse
	for round := 0; ; round++ {
		l.mu.Lock()
		if spare != nil && l.spare == nil {
			l.spare = spare
		}
		if len(l.dirty) == 0 && len(l.held) == 0 && l.taskHead == len(l.tasks) {
			l.inCallback = false
			l.mu.Unlock()
			break
		}
		if round >= maxFlushRounds {
			// Yield to I/O and come back through the task queue.
			l.inCallback = false
			wake := !l.wakePending
			l.wakePending = true
			l.mu.Unlock()
			if wake {
				l.wake()
			}
			break
		}
		batch := l.takeDirtyLocked()
		batch = l.takeHeld(batch)
		// One task per round, after the flush: what it sends is written
		// before the next task runs, so a burst of tasks (a burst of
		// broadcasts) never piles up in a connection's send buffer.
		var task func()
		if l.taskHead < len(l.tasks) {
			task = l.tasks[l.taskHead]
			l.tasks[l.taskHead] = nil
			if l.taskHead++; l.taskHead == len(l.tasks) {
				l.tasks, l.taskHead = l.tasks[:0], 0 // the array is reused
			}
		}
		l.mu.Unlock()
		spare = flushBatch(batch)
		if task != nil {
			l.runGuarded(task)
		}
	}
	l.depth--
	l.publishTick()
}

// takeDirtyLocked takes the connections that received work, leaving the
// spare slice in their place. Call it with l.mu held.
func (l *Loop) takeDirtyLocked() []*Conn {
	batch := l.dirty
	l.dirty, l.spare = l.spare[:0], nil
	return batch
}

// flushBatch flushes the connections of batch, and returns the emptied
// slice for reuse.
func flushBatch(batch []*Conn) []*Conn {
	for i, c := range batch {
		c.flush()
		batch[i] = nil
	}
	return batch[:0]
}

// flushNow writes out, in the middle of the loop's work, the connections
// that received work so far. Every timer's callback is followed by it (a
// connection's Timer, a loop's Every), so what a timer sends goes out when
// its callback returns, not after every other timer of the same tick has
// run: with 10,000 streams of one event a second, a tick runs about a
// hundred timers, and their writes would otherwise wait for each other.
//
// A carrier (a connection whose streams are connections of their own, such
// as an HTTP/2 connection) is the exception: its streams are written into
// it at once, and it is written to its socket in small batches, once
// carrierHold has passed since the first of them waited, or at the end of
// the pass (flushAndLeave), so that the events of its streams whose timers
// run together share one write, which costs far more than the callbacks
// (a system call, and a TLS record). With 100 streams per connection that
// were opened together, and so tick together, that is a few writes where
// there were a hundred.
func (l *Loop) flushNow() {
	var spare []*Conn
	for round := 0; round < maxFlushRounds; round++ {
		l.mu.Lock()
		if spare != nil && l.spare == nil {
			l.spare = spare
		}
		if len(l.dirty) == 0 {
			l.mu.Unlock()
			break
		}
		batch := l.takeDirtyLocked()
		l.mu.Unlock()
		// A stream's flush hands its bytes to its carrier, which is dirty
		// in the next round.
		for i, c := range batch {
			batch[i] = nil
			if !c.carrier {
				c.flush()
				continue
			}
			if len(l.held) == 0 {
				l.heldSince = sinceEpoch()
			}
			l.held = append(l.held, c) // still scheduled: sends to it add nothing
		}
		spare = batch[:0]
	}
	if len(l.held) > 0 && sinceEpoch()-l.heldSince >= carrierHold.Load() {
		batch := flushBatch(l.takeHeld(nil))
		l.mu.Lock()
		if l.spare == nil {
			l.spare = batch
		}
		l.mu.Unlock()
	}
}

// carrierHold is how long (ns) flushNow lets a carrier's writes wait for
// more of its streams' (see flushNow): a small part of a tick, and of the
// latency a browser sees. A variable for the tests.
var carrierHold = func() (v atomic.Int64) { v.Store(int64(100 * time.Microsecond)); return }()

// takeHeld appends the carriers flushNow held back to batch, for a flush.
func (l *Loop) takeHeld(batch []*Conn) []*Conn {
	if len(l.held) == 0 {
		return batch
	}
	batch = append(batch, l.held...)
	clear(l.held)
	l.held = l.held[:0]
	return batch
}

// Run runs fn on the loop's goroutine, soon, in the order of the calls to
// Run: the way to act on many of the loop's connections at once (a
// broadcast writes to all its subscribers on a loop with one task, not one
// per connection). Sends made by fn are written when it and the tasks
// queued with it return. A panic in fn is recovered and logged. Safe for
// concurrent use.
func (l *Loop) Run(fn func()) {
	l.mu.Lock()
	l.tasks = append(l.tasks, fn)
	wake := !l.inCallback && !l.wakePending
	if wake {
		l.wakePending = true
	}
	l.mu.Unlock()
	if wake {
		l.wake()
	}
}

// runGuarded runs a task or a loop timer's callback: a panic is recovered
// and logged, and the loop goes on.
func (l *Loop) runGuarded(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			logger(l.logger).Error("workerman: panic in a loop task", "loop", l.index, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// schedule hands c's queued work to the loop. Safe for concurrent use.
func (l *Loop) schedule(c *Conn) {
	l.mu.Lock()
	l.dirty = append(l.dirty, c)
	wake := !l.inCallback && !l.wakePending
	if wake {
		l.wakePending = true
	}
	l.mu.Unlock()
	if wake {
		l.wake()
	}
}

// wake queues the wake-up task on gnet's loop. It is called by whoever set
// wakePending: one wake-up is pending at a time, and the time it was
// queued is the start of its task latency.
func (l *Loop) wake() {
	l.wokenAt.Store(sinceEpoch())
	if err := l.el.Execute(context.Background(), gnet.RunnableFunc(l.wakeTask)); err != nil {
		// The engine is shutting down: connections are being closed by gnet
		// and their queued work can no longer be written.
		l.mu.Lock()
		l.wakePending = false
		l.mu.Unlock()
	}
}

// wakeTask is what wake queues on gnet's loop: it only enters and leaves,
// and flushAndLeave does the work. It records how long it waited to run
// (read before wakePending is cleared, after which the next wake may set
// wokenAt again).
func (l *Loop) wakeTask(context.Context) error {
	l.stats.TaskLatency.observe(time.Duration(sinceEpoch() - l.wokenAt.Load()))
	l.enter()
	l.mu.Lock()
	l.wakePending = false
	l.mu.Unlock()
	l.flushAndLeave()
	return nil
}

// publishTick tells the ticker goroutine whether this loop needs ticks:
// it has watched connections, or when its next timer is due.
func (l *Loop) publishTick() {
	var due int64
	if l.wheel.Len() > 0 {
		at, _ := l.wheel.Next()
		due = int64(at.Sub(epoch)) // monotonic: a change of the wall clock moves nothing
	}
	l.nextDue.Store(due)
	l.watching.Store(int64(len(l.watch)))
	l.stats.Timers.Store(int64(l.wheel.Len() - l.loopTimers))
	l.tick.need(len(l.watch) > 0, due)
}

// requestTick is called by the engine's ticker goroutine when some loop
// needs a tick. It queues one tick task on the loop if the loop has watched
// connections or a timer due by now, and no tick is already queued, so
// ticks never pile up behind a busy loop and an idle loop is left alone.
func (l *Loop) requestTick(now int64) {
	if due := l.nextDue.Load(); l.watching.Load() == 0 && (due == 0 || now < due) {
		return
	}
	l.mu.Lock()
	if l.tickPending {
		l.mu.Unlock()
		return
	}
	l.tickPending = true
	l.mu.Unlock()
	if err := l.el.Execute(context.Background(), gnet.RunnableFunc(l.runTick)); err != nil {
		l.mu.Lock()
		l.tickPending = false
		l.mu.Unlock()
	}
}

func (l *Loop) runTick(context.Context) error {
	l.enter()
	l.mu.Lock()
	l.tickPending = false
	l.mu.Unlock()
	now := time.Now()
	l.wheel.Advance(now)
	for c := range l.watch {
		c.checkWatched(int64(now.Sub(epoch)))
	}
	l.flushAndLeave()
	return nil
}

// watchConn makes the loop check c every tick until unwatchConn.
func (l *Loop) watchConn(c *Conn) {
	if !c.watched {
		c.watched = true
		l.watch[c] = struct{}{}
	}
}

func (l *Loop) unwatchConn(c *Conn) {
	if c.watched {
		c.watched = false
		delete(l.watch, c)
	}
}

// Every runs fn on the loop every d until stop is called: a timer of the
// loop itself, not of a connection, for work that sweeps many connections
// at once (heartbeats, deadline checks) instead of a timer each. Call Every
// and stop on the loop (from a callback or a Run task). A panic in fn is
// recovered and logged.
func (l *Loop) Every(d time.Duration, fn func()) (stop func()) {
	id := l.wheel.Add(d, func() { l.runGuarded(fn); l.flushNow() })
	l.loopTimers++
	return func() {
		if l.wheel.Del(id) {
			l.loopTimers--
		}
	}
}

// Local returns the loop's value for key, made by create the first time:
// state a package keeps per event loop (a registry of the loop's
// connections for a sweep), reached without locks because only the loop
// uses it. Call it on the loop.
func (l *Loop) Local(key any, create func() any) any {
	if v, ok := l.locals[key]; ok {
		return v
	}
	if l.locals == nil {
		l.locals = map[any]any{}
	}
	v := create()
	l.locals[key] = v
	return v
}
