package worker

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/text"
)

func newEcho(t *testing.T) *Worker[string] {
	t.Helper()
	w := New("text://127.0.0.1:0", text.Protocol())
	w.Count = 2
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) }
	return w
}

func registered(r runner) bool { return slices.Contains(workers(), r) }

// A Worker is in RunAll's set from New until it stops; Done is closed and
// Wait returns nil once Stop has stopped it.
func TestStopEndsTheRunAndLeavesRunAllsSet(t *testing.T) {
	w := newEcho(t)
	if !registered(w) {
		t.Fatal("New did not add the Worker to RunAll's set")
	}
	select {
	case <-w.Done():
	default:
		t.Fatal("Done of a Worker that never ran is not closed")
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Done():
		t.Fatal("Done closed while the Worker runs")
	default:
	}
	done := w.Done()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := w.Wait(); err != nil {
		t.Fatalf("Wait after Stop: %v", err)
	}
	if registered(w) {
		t.Fatal("a stopped Worker is still in RunAll's set")
	}
	if w.Addr() != "" {
		t.Fatalf("Addr of a stopped Worker: %q", w.Addr())
	}
}

// An engine that stops by itself (not through Stop) ends the run with an
// error that Wait returns, so that RunAll can exit non-zero.
func TestEngineStoppingByItselfIsReported(t *testing.T) {
	w := newEcho(t)
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	srv := w.cur.srv
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := srv.Stop(ctx); err != nil { // behind the Worker's back
		t.Fatal(err)
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after the engine stopped")
	}
	err := w.Wait()
	if err == nil || !strings.Contains(err.Error(), "stopped by itself") {
		t.Fatalf("Wait = %v, want an error saying the engine stopped by itself", err)
	}
	if registered(w) {
		t.Fatal("a Worker whose engine stopped is still in RunAll's set")
	}
	if err := w.Stop(ctx); err != nil {
		t.Fatalf("Stop after the engine ended: %v", err)
	}
}

// Stats counts connections and messages, in total and per loop.
func TestStats(t *testing.T) {
	w := newEcho(t)
	if s := w.Stats(); s.Connections != 0 || len(s.Loops) != 0 {
		t.Fatalf("Stats of a Worker that is not running: %+v", s)
	}
	addr := testutil.Start(t, w)
	if n := len(w.Stats().Loops); n != 2 {
		t.Fatalf("%d loops in Stats, want Count = 2", n)
	}
	const clients = 3
	for i := range clients {
		c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "hello %d\n", i)
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	s := w.Stats()
	if s.Connections != clients || s.Accepted != clients || s.Messages != clients {
		t.Fatalf("Stats %+v, want %d connections, accepted and messages", s.Counters, clients)
	}
	var sum Counters
	for _, l := range s.Loops {
		sum.add(l.Counters)
	}
	if sum != s.Counters {
		t.Fatalf("loops sum to %+v, total is %+v", sum, s.Counters)
	}
}
