package connection

import "github.com/panjf2000/gnet/v2/pkg/pool/goroutine"

// gnet creates a goroutine pool when its package loads (ants, for its
// EventLoop.Register and Enroll on Unix, and its Windows build). An ants
// pool keeps a ticker that wakes the process every 500 ms, and another
// every 10 s, for as long as the pool is open, whether it runs anything
// or not: an idle server would never sleep. The engine here never uses
// that pool (connections join a loop through Client.EnrollContext, which
// runs on the caller's goroutine), so it is released. Should gnet ever
// submit to it, the submit fails with an error, and nothing stays idle
// behind a timer.
func init() {
	if !usesGoroutinePool {
		goroutine.DefaultWorkerPool.Release()
	}
}
