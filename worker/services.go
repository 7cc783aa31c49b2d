package worker

import (
	"slices"
	"sync"
)

// WorkerStats is one Worker's name, address and counters, as Snapshot
// reports them.
type WorkerStats struct {
	Name    string
	Address string // the bound address; "" when not running
	Stats   Stats
}

// Snapshot returns every Worker made with New, in the order they were
// made, with its counters: for a monitoring system (package
// worker/metrics) or a health check.
func Snapshot() []WorkerStats {
	var out []WorkerStats
	for _, w := range workers() {
		info := w.info()
		out = append(out, WorkerStats{Name: info.name, Address: info.addr, Stats: w.Stats()})
	}
	return out
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
