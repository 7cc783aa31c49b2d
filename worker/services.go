package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/workerman-go/workerman/internal/engine"
)

// WorkerStats is one Worker's name, address and counters, as Snapshot
// reports them.
type WorkerStats struct {
	Name    string
	Address string // the bound address; "" when not running
	Stats   Stats
	// TaskLatency is the time the Worker's event loops take to start
	// work handed to them while idle: from the moment a Send, a Close or
	// a Run from another goroutine queues a wake-up to the moment the loop
	// runs it (all loops together). A few microseconds on loops that keep
	// up; longer behind busy ones; as long as a blocking callback blocks.
	TaskLatency Latency
	// Protocols counts the open connections by what they carry ("http",
	// "sse", "websocket", "text", ...). SnapshotConnections fills it;
	// Snapshot leaves it nil.
	Protocols map[string]int
}

// Latency is a histogram of durations: Counts[i] counts those of at most
// Bounds[i] (and longer than Bounds[i-1]); the last element of Counts, one
// more than the bounds, counts those longer than every bound. Sum is their
// total. Bounds is shared between histograms: do not modify it.
type Latency struct {
	Bounds []time.Duration
	Counts []uint64
	Sum    time.Duration
}

// Count is how many durations the histogram holds.
func (h Latency) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// add adds the durations of o to h: a Worker's histogram is the sum of its
// loops'. Both have the same bounds (all of a process's do); a zero h
// takes o's.
func (h *Latency) add(o Latency) {
	if h.Counts == nil {
		h.Bounds, h.Counts = o.Bounds, make([]uint64, len(o.Counts))
	}
	for i := range min(len(h.Counts), len(o.Counts)) {
		h.Counts[i] += o.Counts[i]
	}
	h.Sum += o.Sum
}

// latencyOf is the histogram of engine counts.
func latencyOf(l engine.LoopStats) Latency {
	return Latency{Bounds: l.TaskLatencyBounds, Counts: l.TaskLatency, Sum: l.TaskLatencySum}
}

// Snapshot returns every Worker made with New, in the order they were
// made, with its counters: for a monitoring system (package
// worker/metrics) or a health check. It only reads counters, and is cheap.
func Snapshot() []WorkerStats {
	var out []WorkerStats
	for _, w := range workers() {
		out = append(out, snapshotOf(w))
	}
	return out
}

func snapshotOf(w runner) WorkerStats {
	info := w.info()
	s := WorkerStats{Name: info.name, Address: info.addr, Stats: w.Stats()}
	if e, ok := w.(interface{ engineLoops() []engine.LoopStats }); ok {
		for _, l := range e.engineLoops() {
			s.TaskLatency.add(latencyOf(l))
		}
	}
	return s
}

// SnapshotConnections is Snapshot with the open connections of every
// running Worker counted by what they carry (WorkerStats.Protocols). Each
// event loop lists its connections in a task of its own, which costs a
// pass over all of them: call it at a scrape's pace, on a goroutine of its
// own, never on an event loop (it waits for the loops, at most until ctx
// ends). The error names the Workers whose loops did not answer in time;
// their Protocols are then nil.
func SnapshotConnections(ctx context.Context) ([]WorkerStats, error) {
	var out []WorkerStats
	var errs []error
	for _, w := range workers() {
		s := snapshotOf(w)
		if s.Address != "" {
			list, err := w.connections(ctx)
			if err != nil {
				errs = append(errs, fmt.Errorf("worker %s: %w", s.Name, err))
			} else {
				s.Protocols = map[string]int{}
				for _, c := range list {
					s.Protocols[c.Protocol]++
				}
			}
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// engineLoops reads the engine's counters of the current run's loops (none
// when not running).
func (w *Worker[M]) engineLoops() []engine.LoopStats {
	w.mu.Lock()
	r := w.cur
	w.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.srv.Loops()
}

var (
	hooksMu    sync.Mutex
	startHooks []func() (stop func(), err error)
)

// AddStartHook adds a service that the start command runs beside the
// Workers: start runs once every Worker listens; an error ends the start
// (the Workers stop, exit non-zero); the stop function it returns, if not
// nil, runs once the Workers have stopped. Package worker/metrics serves
// its HTTP endpoint this way.
func AddStartHook(start func() (stop func(), err error)) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	startHooks = append(startHooks, start)
}

func startHookList() []func() (func(), error) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	return slices.Clone(startHooks)
}
