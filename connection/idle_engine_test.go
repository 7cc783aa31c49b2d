package connection

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/workerman-go/workerman/internal/engine"
	"github.com/workerman-go/workerman/internal/testutil"
)

// An engine with no connection and no timer does not tick: over an idle
// second its ticker makes no round at all (it counts events, it does not
// time them).
func TestIdleEngineDoesNotTick(t *testing.T) {
	s := newHandler(hooks{}, engine.Options{Loops: 2})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	defer func() {
		_ = s.Stop(context.Background())
		<-served
	}()
	<-s.Ready()
	// A connection comes and goes, so that the loops have run.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the connection open", func() bool { return s.Connections() == 1 })
	c.Close()
	testutil.Eventually(t, "the connection closed", func() bool { return s.Connections() == 0 })
	testutil.Eventually(t, "the ticker parked", func() bool {
		r := s.tick.rounds.Load()
		time.Sleep(50 * time.Millisecond)
		return s.tick.rounds.Load() == r
	})
	before := s.tick.rounds.Load()
	time.Sleep(time.Second)
	if n := s.tick.rounds.Load() - before; n != 0 {
		t.Fatalf("the idle engine's ticker made %d rounds in a second, want 0", n)
	}
}
