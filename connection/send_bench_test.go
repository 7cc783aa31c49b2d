package connection_test

import (
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/worker"
)

// benchConn starts a one-loop tcp Worker and one client that reads and
// discards everything, and returns the server side of that connection.
func benchConn(b *testing.B) *connection.Conn {
	b.Helper()
	conns := make(chan *connection.Conn, 1)
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 1
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	w.OnError = func(*connection.Conn, error) {} // refused sends are retried
	addr := testutil.Start(b, w)
	client := testutil.Dial(b, nil, addr)
	go func() { _, _ = io.Copy(io.Discard, client) }()
	select {
	case c := <-conns:
		return c
	case <-time.After(testTimeout):
		b.Fatal("no connection")
		return nil
	}
}

// BenchmarkSendFromGoroutine is the send path from outside the loop: each
// Send queues 64 bytes and, when the loop has no wake-up pending, queues
// one (Loop.schedule, wakeTask, flush). A Send refused because the client
// has not read enough yet is retried.
func BenchmarkSendFromGoroutine(b *testing.B) {
	c := benchConn(b)
	msg := make([]byte, 64)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		for {
			err := c.Send(msg)
			if err == nil {
				break
			}
			if !errors.Is(err, connection.ErrSendBufferFull) {
				b.Fatal(err)
			}
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// BenchmarkLoopRun is the task path: Loop.Run from another goroutine, one
// wake-up per batch of tasks that find the loop idle.
func BenchmarkLoopRun(b *testing.B) {
	c := benchConn(b)
	l := c.Loop()
	var ran atomic.Int64
	task := func() { ran.Add(1) }
	b.ReportAllocs()
	n := int64(0)
	for b.Loop() {
		l.Run(task)
		n++
	}
	done := make(chan struct{})
	l.Run(func() { close(done) })
	select {
	case <-done:
	case <-time.After(testTimeout):
		b.Fatal("the tasks did not run")
	}
	if ran.Load() != n {
		b.Fatalf("%d tasks ran, %d queued", ran.Load(), n)
	}
}
