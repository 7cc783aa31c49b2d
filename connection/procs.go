package connection

import (
	"log/slog"
	"os"
	"runtime"
	"sync"
)

var spare struct {
	mu     sync.Mutex
	raised bool
}

// addSpareProc is called with an engine's number of event loops when it
// starts: if the loops are as many as the Go scheduler's Ps (GOMAXPROCS)
// or more, it adds one P, once per process.
//
// An event loop waits for I/O in epoll_wait, a system call, holding its P,
// and makes a system call for every write. When no P is idle, the
// runtime's monitor (sysmon) takes the P of a goroutine that has been in a
// system call for 20 µs, and then checks again every 20 µs: a loop that
// waits for its next tick, or a write that keeps the kernel 20 µs, starts
// it over, about 2,000 wake-ups a second with 10,000 event streams
// ticking, each a context switch on the loops' CPU, and the loop's
// goroutine moves between threads. With one P more, an idle P is there:
// the monitor leaves a system call alone for up to 10 ms and backs off to
// sleeping 10 ms. Server CPU for 10,000 event streams of 1 event/s went
// from 22 % to 14 % of a core (bench/cmd/compare sse, tick).
//
// A GOMAXPROCS set in the environment is left as it is.
func addSpareProc(loops int, logger *slog.Logger) {
	spare.mu.Lock()
	defer spare.mu.Unlock()
	if spare.raised || os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if procs := runtime.GOMAXPROCS(0); loops >= procs {
		runtime.GOMAXPROCS(procs + 1)
		spare.raised = true
		logger.Debug("workerman: GOMAXPROCS raised by one, so that the runtime has a P that no event loop holds",
			"loops", loops, "gomaxprocs", procs+1)
	}
}
