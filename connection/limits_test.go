package connection_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// A client that sends a large request and then many small ones, reading
// late, gets every reply: while the replies queued for a connection fill
// half its send buffer, the server stops delivering its requests
// (back-pressure) instead of dropping replies. Without back-pressure, the
// replies sent while the buffer was full were lost without a trace.
func TestBackpressureKeepsEveryReply(t *testing.T) {
	var log testutil.Log
	conns := make(chan *connection.Conn, 1)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.Logger = log.Logger()
	w.MaxSendBufferSize = 256 << 10
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	w.OnMessage = func(c *connection.Conn, line string) { c.Send(line) } // no OnError, no OnBufferFull
	addr := start(t, w)
	c := testutil.Dial(t, testutil.SmallWindowDialer, addr)

	// 8 MiB of replies: far more than the socket buffers and the server's
	// send buffer hold while the client does not read.
	const small = 200000
	big := strings.Repeat("B", 100<<10)
	pad := strings.Repeat("x", 30)
	go func() {
		var b bytes.Buffer
		b.WriteString(big + "\n")
		for i := range small {
			fmt.Fprintf(&b, "line %d %s\n", i, pad)
		}
		c.Write(b.Bytes())
	}()
	sc := testutil.Recv(t, conns, "the connection")
	// The client reads only once the server has stopped reading its
	// requests for want of room for the replies.
	testutil.Eventually(t, "back-pressure on the server's side", sc.IsPaused)
	r := bufio.NewReaderSize(c, 64<<10)
	line, err := r.ReadString('\n')
	if err != nil || line != big+"\n" {
		t.Fatalf("the big reply: %d bytes, %v", len(line), err)
	}
	for i := range small {
		line, err := r.ReadString('\n')
		if want := fmt.Sprintf("line %d %s\n", i, pad); err != nil || line != want {
			t.Fatalf("reply %d: %q %v, want %q (log: %s)", i, line, err, want, log.String())
		}
	}
}

// A send that is dropped when no OnError is set is logged, once per
// connection: a full buffer never loses data silently.
func TestDroppedSendIsLoggedWithoutOnError(t *testing.T) {
	var log testutil.Log
	conns := make(chan *connection.Conn, 1)
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 1
	w.Logger = log.Logger()
	w.MaxSendBufferSize = 64 << 10
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	addr := start(t, w)
	testutil.Dial(t, testutil.SmallWindowDialer, addr) // reads nothing
	sc := <-conns
	chunk := bytes.Repeat([]byte("d"), 8<<10)
	dropped := 0
	for range 10000 {
		if err := sc.Send(chunk); errors.Is(err, connection.ErrSendBufferFull) {
			if dropped++; dropped == 5 {
				break
			}
		}
	}
	if dropped < 5 {
		t.Fatal("no send dropped")
	}
	onLoop(t, sc.Loop(), func() {}) // the drops have been reported
	if n := strings.Count(log.String(), "send buffer full"); n != 1 {
		t.Fatalf("%d log lines for the dropped sends, want 1: %s", n, log.String())
	}
	if !strings.Contains(log.String(), fmt.Sprintf("conn=%d", sc.ID())) {
		t.Fatalf("the log line does not name the connection: %s", log.String())
	}
}

// A message larger than the room left in the send buffer is refused whole,
// instead of being queued beyond MaxSendBufferSize.
func TestSendRefusesAMessageThatDoesNotFit(t *testing.T) {
	conns := make(chan *connection.Conn, 1)
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 1
	w.MaxSendBufferSize = 1 << 20
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	w.OnError = func(*connection.Conn, error) {}
	addr := start(t, w)
	testutil.Dial(t, nil, addr)
	sc := <-conns
	if err := sc.Send(make([]byte, 4<<20)); !errors.Is(err, connection.ErrSendBufferFull) {
		t.Fatalf("Send of 4 MiB with a 1 MiB buffer: %v, want ErrSendBufferFull", err)
	}
	if n := sc.SendBufferSize(); n != 0 {
		t.Fatalf("%d bytes queued after the refusal", n)
	}
	if err := sc.Send(make([]byte, 512<<10)); err != nil {
		t.Fatalf("Send of 512 KiB: %v", err)
	}
}

// Input that arrives while it cannot be decoded (a message that takes many
// reads to complete, input of a paused connection) costs memory and time
// linear in its size. Before, every read made gnet copy all that was
// buffered: gigabytes allocated to take in one 8 MiB line.
func TestUnreadInputCostsLinearTime(t *testing.T) {
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.MaxPackageSize = 32 << 20
	addr := start(t, w)
	c := testutil.Dial(t, nil, addr)
	chunk := bytes.Repeat([]byte("j"), 32<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 256 {
		if _, err := c.Write(chunk); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Microsecond) // one read per write, most of the time
	}
	c.Write([]byte("\n"))
	testutil.Eventually(t, "the 8 MiB line read", func() bool { return w.Stats().Messages == 1 })
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
		t.Fatalf("%d MiB allocated to take in an 8 MiB line: not linear", alloc>>20)
	}
}

// The connections of a Worker together hold at most MaxUnreadInput of
// input they have not decoded: past that, a connection that holds unread
// input is closed, with ErrInputBudget.
func TestUnreadInputBudget(t *testing.T) {
	errs := make(chan error, 16)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.MaxPackageSize = 32 << 20
	w.MaxUnreadInput = 12 << 20
	w.OnError = func(c *connection.Conn, err error) { errs <- err }
	addr := start(t, w)
	chunk := bytes.Repeat([]byte("j"), 32<<10)
	for range 2 { // 8 MiB each of lines still arriving: 16 MiB together
		c := testutil.Dial(t, nil, addr)
		go func() {
			for range 256 {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
	}
	err := testutil.Recv(t, errs, "a connection closed for the input budget")
	if !errors.Is(err, connection.ErrInputBudget) {
		t.Fatalf("OnError: %v, want ErrInputBudget", err)
	}
}
