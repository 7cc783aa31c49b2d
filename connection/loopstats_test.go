package connection_test

import (
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/worker"
)

// snapshot returns the Snapshot of the running Worker named name (one
// loop).
func snapshot(t *testing.T, name string) worker.WorkerStats {
	t.Helper()
	for _, s := range worker.Snapshot() {
		if s.Name == name && len(s.Stats.Loops) == 1 {
			return s
		}
	}
	t.Fatalf("no running Worker %q with one loop", name)
	return worker.WorkerStats{}
}

// load returns the counters of the one loop of the running Worker named
// name.
func load(t *testing.T, name string) worker.LoopStats {
	t.Helper()
	return snapshot(t, name).Stats.Loops[0]
}

// oneLoop starts a tcp Worker with one loop that hands its connections to
// conns, and returns the server side of a new connection to it.
func oneLoop(t *testing.T, name string, setup func(w *worker.Worker[[]byte])) *connection.Conn {
	t.Helper()
	conns := make(chan *connection.Conn, 1)
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Name = name
	w.Count = 1
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	if setup != nil {
		setup(w)
	}
	addr := start(t, w)
	dial(t, addr)
	return testutil.Recv(t, conns, "the connection")
}

// A send buffer that fills up counts once per time it fills, whether or
// not OnBufferFull is set.
func TestLoopCountsBufferFull(t *testing.T) {
	for _, withCallback := range []bool{false, true} {
		name := "buffer-full-plain"
		if withCallback {
			name = "buffer-full-callback"
		}
		fired := make(chan struct{}, 4)
		c := oneLoop(t, name, func(w *worker.Worker[[]byte]) {
			w.MaxSendBufferSize = 1024
			w.OnError = func(*connection.Conn, error) {} // the refused sends are expected
			if withCallback {
				w.OnBufferFull = func(*connection.Conn) { fired <- struct{}{} }
			}
		})
		if got := load(t, name).BufferFull; got != 0 {
			t.Fatalf("%s: %d buffer-full events before any send", name, got)
		}
		// Too large for the buffer: refused, and the buffer counts as full
		// until it drains (at once: nothing is queued).
		if err := c.Send(make([]byte, 4096)); err == nil {
			t.Fatalf("%s: a 4 KiB send into a 1 KiB buffer was accepted", name)
		}
		onLoop(t, c.Loop(), func() {})
		if withCallback {
			testutil.Recv(t, fired, "OnBufferFull")
		}
		if got := load(t, name).BufferFull; got != 1 {
			t.Errorf("%s: %d buffer-full events, want 1", name, got)
		}
		// Again, once the buffer has drained.
		if err := c.Send(make([]byte, 4096)); err == nil {
			t.Fatalf("%s: a 4 KiB send into a 1 KiB buffer was accepted", name)
		}
		onLoop(t, c.Loop(), func() {})
		if got := load(t, name).BufferFull; got != 2 {
			t.Errorf("%s: %d buffer-full events, want 2", name, got)
		}
	}
}

// The queue is what waits for a busy loop: tasks, and connections with
// sends not yet flushed; it is empty again once the loop has run them.
func TestLoopQueueLength(t *testing.T) {
	c := oneLoop(t, "queue", nil)
	l := c.Loop()
	release := make(chan struct{})
	running := make(chan struct{})
	l.Run(func() {
		close(running)
		<-release // holds the loop: what follows waits
	})
	testutil.Recv(t, running, "the blocking task")
	for range 3 {
		l.Run(func() {})
	}
	if err := c.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := load(t, "queue").Queued; got != 4 {
		t.Errorf("queue behind a busy loop: %d, want 4 (3 tasks, 1 connection)", got)
	}
	close(release)
	onLoop(t, l, func() {})
	if got := load(t, "queue").Queued; got != 0 {
		t.Errorf("queue once the loop has run it: %d, want 0", got)
	}
}

// Work handed to an idle loop from another goroutine queues a wake-up,
// whose wait lands in the task latency histogram.
func TestLoopTaskLatency(t *testing.T) {
	c := oneLoop(t, "latency", nil)
	before := snapshot(t, "latency").TaskLatency
	if len(before.Bounds) == 0 || len(before.Counts) != len(before.Bounds)+1 {
		t.Fatalf("histogram with %d bounds and %d counts", len(before.Bounds), len(before.Counts))
	}
	for i := 1; i < len(before.Bounds); i++ {
		if before.Bounds[i] <= before.Bounds[i-1] {
			t.Fatalf("bounds not ascending: %v", before.Bounds)
		}
	}
	// A Run that finds the loop busy (still flushing a callback) needs no
	// wake-up, so try until one was timed.
	testutil.Eventually(t, "a timed wake-up", func() bool {
		onLoop(t, c.Loop(), func() {})
		return snapshot(t, "latency").TaskLatency.Count() > before.Count()
	})
	if after := snapshot(t, "latency").TaskLatency; after.Sum <= before.Sum {
		t.Errorf("the latency sum did not grow: %v, then %v", before.Sum, after.Sum)
	}
}
