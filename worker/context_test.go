package worker_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// The context given to Start stops that run of the Worker. Once the run is
// over (stopped with Stop) and the Worker started again, cancelling the old
// context must not stop the new run.
func TestStartContextOfAnEarlierRunDoesNotStopALaterOne(t *testing.T) {
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) }

	first, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	if err := w.Start(first); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer w.Stop(ctx)
	addr := w.Addr()

	cancelFirst()
	// A stop would begin at once; watch for a while that the Worker still
	// answers. (Not a measure of speed: a correct Worker passes however
	// long this takes.)
	for i := range 10 {
		if err := roundTrip(addr, fmt.Sprint("ping ", i)); err != nil {
			t.Fatalf("after the first run's context was cancelled: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func roundTrip(addr, line string) error {
	c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	if _, err := fmt.Fprintln(c, line); err != nil {
		return err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the echo of %q: %w", line, err)
	}
	if got != line+"\n" {
		return fmt.Errorf("echo %q, want %q", got, line)
	}
	return nil
}
