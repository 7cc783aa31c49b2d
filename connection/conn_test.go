package connection_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/frame"
	"github.com/workerman-go/workerman/protocols/tcp"
	"github.com/workerman-go/workerman/protocols/text"
	"github.com/workerman-go/workerman/worker"
)

// testTimeout bounds every wait in these tests: generous, because the
// machines are shared, and never a measure of speed.
const testTimeout = testutil.Timeout

func start(t *testing.T, w testutil.Server) string { return testutil.Start(t, w) }

func dial(t *testing.T, addr string) net.Conn { return testutil.Dial(t, nil, addr) }

// onLoop runs fn on loop l and waits until it has run. The loop runs a task
// after flushing every connection that had work for it, and after the
// callbacks of the reads it is handling: a point after which whatever the
// loop was asked to do before has been done.
func onLoop(t *testing.T, l *connection.Loop, fn func()) {
	t.Helper()
	done := make(chan struct{})
	l.Run(func() {
		fn()
		close(done)
	})
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("a loop task did not run")
	}
}

func TestEchoManyConcurrentClients(t *testing.T) {
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 2
	w.OnMessage = func(c *connection.Conn, data []byte) { c.Send(data) }
	addr := start(t, w)

	const clients, rounds = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, testTimeout)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(testTimeout))
			for r := range rounds {
				msg := []byte(fmt.Sprintf("client %d round %d %s", i, r, strings.Repeat("x", i*37)))
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				if !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("client %d: got %q, want %q", i, got, msg)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestTextInputSplitAtEveryByte(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, line string) {
		mu.Lock()
		got = append(got, line)
		mu.Unlock()
	}
	addr := start(t, w)

	stream := "alpha\r\nbeta\n\ngamma with spaces\r\n" + strings.Repeat("z", 300) + "\n"
	want := []string{"alpha", "beta", "", "gamma with spaces", strings.Repeat("z", 300)}
	for split := 1; split < len(stream); split++ {
		c := dial(t, addr)
		if _, err := c.Write([]byte(stream[:split])); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // let the first part arrive alone most of the time
		if _, err := c.Write([]byte(stream[split:])); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "all lines", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) >= len(want)
		})
		mu.Lock()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("split at %d: got %q, want %q", split, got, want)
		}
		got = got[:0]
		mu.Unlock()
		c.Close()
	}

	// One byte per write.
	c := dial(t, addr)
	for i := range len(stream) {
		if _, err := c.Write([]byte{stream[i]}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, "all lines, byte by byte", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= len(want)
	})
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("byte by byte: got %q, want %q", got, want)
	}
}

func frameBytes(payload []byte) []byte {
	b := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(b, uint32(4+len(payload)))
	copy(b[4:], payload)
	return b
}

func readFrame(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatalf("reading frame header: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(h[:])-4)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("reading frame body: %v", err)
	}
	return b
}

func TestMessageLargerThanReadBuffer(t *testing.T) {
	w := worker.New("frame://127.0.0.1:0", frame.Protocol())
	w.Count = 1
	w.MaxSendBufferSize = 8 << 20
	w.OnMessage = func(c *connection.Conn, msg []byte) { c.Send(msg) }
	addr := start(t, w)

	c := dial(t, addr)
	payload := make([]byte, 3<<20) // gnet reads 64 KiB at a time
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	go func() { _, _ = c.Write(frameBytes(payload)) }()
	if got := readFrame(t, c); !bytes.Equal(got, payload) {
		t.Fatalf("echoed %d bytes differ from the %d sent", len(got), len(payload))
	}
}

func TestOversizedMessageClosesWithError(t *testing.T) {
	errc := make(chan error, 1)
	w := worker.New("frame://127.0.0.1:0", frame.Protocol())
	w.MaxPackageSize = 1024
	w.OnError = func(c *connection.Conn, err error) { errc <- err }
	addr := start(t, w)
	c := dial(t, addr)
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], 1<<20)
	_, _ = c.Write(h[:])
	select {
	case err := <-errc:
		if !strings.Contains(err.Error(), "MaxPackageSize") {
			t.Errorf("error %q does not name the limit", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("no OnError")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open")
	}
}

func TestCloseDeliversEverythingQueued(t *testing.T) {
	const size = 32 << 20
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 1
	w.MaxSendBufferSize = 64 << 20
	queued := make(chan struct{})
	w.OnConnect = func(c *connection.Conn) {
		chunk := make([]byte, 1<<20)
		for i := range size / len(chunk) {
			for j := range chunk {
				chunk[j] = byte(i + j)
			}
			if err := c.Send(chunk); err != nil {
				panic(err)
			}
		}
		c.Close()
		close(queued)
	}
	addr := start(t, w)
	c := dial(t, addr)
	<-queued // the server has queued far more than the socket holds, and closed
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != size {
		t.Fatalf("received %d bytes, want %d", len(got), size)
	}
	for i := range size / (1 << 20) {
		for j := 0; j < 1<<20; j += 4093 {
			if got[i<<20+j] != byte(i+j) {
				t.Fatalf("byte %d is wrong", i<<20+j)
			}
		}
	}
}

func TestBufferFullDropDrain(t *testing.T) {
	var (
		fulls, drains atomic.Int32
		dropErrs      atomic.Int32
		sendErrs      atomic.Int32
		conn          atomic.Pointer[connection.Conn]
	)
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 1
	w.MaxSendBufferSize = 256 << 10
	w.OnConnect = func(c *connection.Conn) { conn.Store(c) }
	w.OnBufferFull = func(c *connection.Conn) { fulls.Add(1) }
	w.OnBufferDrain = func(c *connection.Conn) { drains.Add(1) }
	w.OnError = func(c *connection.Conn, err error) {
		if errors.Is(err, connection.ErrSendBufferFull) {
			dropErrs.Add(1)
		}
	}
	addr := start(t, w)
	c := testutil.Dial(t, testutil.SmallWindowDialer, addr)
	testutil.Eventually(t, "connection", func() bool { return conn.Load() != nil })
	sc := conn.Load()

	// The client reads nothing. While the kernel's socket buffers still take
	// bytes the queue may fill and drain a few times; once they are full the
	// queue reaches the limit for good and sends are dropped.
	chunk := bytes.Repeat([]byte("q"), 16<<10)
	sent := 0
	fill := func() {
		t.Helper()
		deadline := time.Now().Add(testTimeout)
		for {
			if time.Now().After(deadline) || sent > 512<<20 {
				t.Fatalf("no send dropped after %d bytes", sent)
			}
			err := sc.Send(chunk)
			if errors.Is(err, connection.ErrSendBufferFull) {
				sendErrs.Add(1)
				return
			}
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			sent += len(chunk)
			if sent%(256<<10) == 0 {
				onLoop(t, sc.Loop(), func() {}) // the loop has flushed into the socket
			}
		}
	}
	fill()
	// The kernel stops taking bytes once the client's receive window is
	// closed; wait until the queue stops shrinking, then top it up again.
	last, still := -1, 0
	testutil.Eventually(t, "the kernel to stop taking bytes", func() bool {
		n := sc.SendBufferSize()
		if n == last {
			still++
		} else {
			last, still = n, 0
		}
		return still >= 10
	})
	fill()
	testutil.Eventually(t, "OnBufferFull", func() bool { return fulls.Load() == drains.Load()+1 })
	full0, drain0 := fulls.Load(), drains.Load()

	// Full for good: every further send is dropped and reported, and the
	// full event does not repeat.
	for range 20 {
		if err := sc.Send(chunk); !errors.Is(err, connection.ErrSendBufferFull) {
			t.Fatalf("send while full: %v, want ErrSendBufferFull", err)
		}
		sendErrs.Add(1)
	}
	testutil.Eventually(t, "OnError for each dropped send", func() bool { return dropErrs.Load() == sendErrs.Load() })
	onLoop(t, sc.Loop(), func() {}) // every flush of those sends is done
	if fulls.Load() != full0 || drains.Load() != drain0 {
		t.Fatalf("buffer events while the client was not reading: full %d→%d, drain %d→%d",
			full0, fulls.Load(), drain0, drains.Load())
	}

	// The client resumes reading: everything accepted arrives, then drain.
	got := 0
	buf := make([]byte, 64<<10)
	for got < sent {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v (server queue %d, status %v)", got, sent, err, sc.SendBufferSize(), sc.Status())
		}
		got += n
	}
	testutil.Eventually(t, "OnBufferDrain", func() bool { return drains.Load() == drain0+1 })
	if fulls.Load() != full0 {
		t.Fatalf("OnBufferFull fired again while draining")
	}
	if err := sc.Send("after drain"); err != nil {
		t.Fatalf("send after drain: %v", err)
	}
}

func TestPauseAndResumeRecv(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []string
		conn atomic.Pointer[connection.Conn]
	)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.OnConnect = func(c *connection.Conn) { conn.Store(c) }
	w.OnMessage = func(c *connection.Conn, line string) {
		mu.Lock()
		got = append(got, line)
		mu.Unlock()
		if line == "pause" {
			c.PauseRecv()
		}
	}
	addr := start(t, w)
	c := dial(t, addr)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }

	_, _ = c.Write([]byte("one\npause\ntwo\nthree\n"))
	testutil.Eventually(t, "first two lines", func() bool { return count() == 2 })
	_, _ = c.Write([]byte("four\n"))
	sc := conn.Load()
	const total = len("one\npause\ntwo\nthree\nfour\n")
	testutil.Eventually(t, "the server to read every byte", func() bool { return sc.BytesRead() == uint64(total) })
	onLoop(t, sc.Loop(), func() {}) // the read that brought them is handled
	if n := count(); n != 2 {
		t.Fatalf("%d messages delivered while paused", n-2)
	}
	if !conn.Load().IsPaused() {
		t.Fatal("IsPaused is false")
	}
	conn.Load().ResumeRecv() // from a goroutine that is not the loop
	testutil.Eventually(t, "the held lines", func() bool { return count() == 5 })
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "one,pause,two,three,four" {
		t.Fatalf("got %q", got)
	}
}

func TestConnectionTimersDieWithTheirConnections(t *testing.T) {
	var fired atomic.Int64
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 2
	var loopsMu sync.Mutex
	loops := map[*connection.Loop]bool{}
	w.OnConnect = func(c *connection.Conn) {
		c.Every(20*time.Millisecond, func() { fired.Add(1) })
		c.After(time.Hour, func() { t.Error("a one-hour timer ran") })
		loopsMu.Lock()
		loops[c.Loop()] = true
		loopsMu.Unlock()
	}
	addr := start(t, w)

	timers := func() int64 { return w.Stats().Timers }
	const n = 1000
	conns := make([]net.Conn, 0, n)
	for range n {
		conns = append(conns, dial(t, addr))
	}
	testutil.Eventually(t, "2000 timers", func() bool { return timers() == 2*n })
	testutil.Eventually(t, "timers firing", func() bool { return fired.Load() > n })
	for _, c := range conns {
		c.Close()
	}
	testutil.Eventually(t, "all connections closed", func() bool { return w.Stats().Connections == 0 })
	testutil.Eventually(t, "no timer left", func() bool { return timers() == 0 })
	before := fired.Load()
	// A loop runs its timers in the order they are due: once a 20 ms timer
	// of each loop, added now, has run three times, any 20 ms connection
	// timer left behind would have run too.
	loopsMu.Lock()
	defer loopsMu.Unlock()
	for l := range loops {
		var runs atomic.Int32
		var stop func()
		onLoop(t, l, func() { stop = l.Every(20*time.Millisecond, func() { runs.Add(1) }) })
		testutil.Eventually(t, "a loop timer to run three times", func() bool { return runs.Load() >= 3 })
		onLoop(t, l, stop)
	}
	if after := fired.Load(); after != before {
		t.Fatalf("%d timer runs after every connection closed", after-before)
	}
}

// What a timer sends is written when its callback returns, not after the
// other timers due on the same tick: a's timer sends, then b's timer,
// due with it or later on the same loop, finds a's bytes already written.
func TestTimerSendIsWrittenWhenItsCallbackReturns(t *testing.T) {
	w := worker.New("tcp://127.0.0.1:0", tcp.Protocol())
	w.Count = 1 // one loop, one wheel: the timers run in the order added
	conns := make(chan *connection.Conn, 2)
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	addr := start(t, w)
	ca := dial(t, addr)
	a := testutil.Recv(t, conns, "the first connection")
	dial(t, addr)
	b := testutil.Recv(t, conns, "the second connection")

	for _, loopTimer := range []bool{false, true} {
		before := a.BytesWritten()
		seen := make(chan uint64, 1)
		sendA := func() { a.Send("x") }
		checkB := func() { seen <- a.BytesWritten() - before }
		var stops []func()
		onLoop(t, a.Loop(), func() {
			if loopTimer { // the loop's own timers (heartbeat sweeps)
				var done bool
				stops = append(stops, a.Loop().Every(10*time.Millisecond, func() {
					if !done {
						sendA()
					}
				}), a.Loop().Every(10*time.Millisecond, func() {
					if !done {
						done = true
						checkB()
					}
				}))
				return
			}
			a.After(10*time.Millisecond, sendA)
			b.After(10*time.Millisecond, checkB)
		})
		if n := testutil.Recv(t, seen, "the second timer"); n != 1 {
			t.Fatalf("loop timer %v: when the second timer ran, %d bytes of the first one's send were written, want 1", loopTimer, n)
		}
		onLoop(t, a.Loop(), func() {
			for _, stop := range stops {
				stop()
			}
		})
		buf := make([]byte, 1)
		_ = ca.SetReadDeadline(time.Now().Add(testTimeout))
		if _, err := io.ReadFull(ca, buf); err != nil || buf[0] != 'x' {
			t.Fatalf("loop timer %v: the client read %q, %v", loopTimer, buf, err)
		}
	}
}

func TestPanicInCallbackClosesOnlyThatConnection(t *testing.T) {
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.OnMessage = func(c *connection.Conn, line string) {
		if line == "boom" {
			panic("boom requested")
		}
		c.Send("echo: " + line)
	}
	addr := start(t, w)
	good := dial(t, addr)
	bad := dial(t, addr)
	_, _ = bad.Write([]byte("boom\n"))
	if _, err := bad.Read(make([]byte, 1)); err == nil {
		t.Fatal("the panicking connection was not closed")
	}
	_, _ = good.Write([]byte("still here\n"))
	line, err := bufio.NewReader(good).ReadString('\n')
	if err != nil || line != "echo: still here\n" {
		t.Fatalf("other connection: %q, %v", line, err)
	}
	later := dial(t, addr)
	_, _ = later.Write([]byte("new\n"))
	if line, err := bufio.NewReader(later).ReadString('\n'); err != nil || line != "echo: new\n" {
		t.Fatalf("new connection: %q, %v", line, err)
	}
}

func TestSendFromOtherGoroutinesKeepsOrder(t *testing.T) {
	var conn atomic.Pointer[connection.Conn]
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.MaxSendBufferSize = 64 << 20
	w.OnConnect = func(c *connection.Conn) { conn.Store(c) }
	addr := start(t, w)
	c := dial(t, addr)
	testutil.Eventually(t, "connection", func() bool { return conn.Load() != nil })
	sc := conn.Load()
	const n = 20000
	go func() {
		for i := range n {
			if err := sc.Send(fmt.Sprint(i)); err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
		}
		sc.Close("end")
	}()
	r := bufio.NewReader(c)
	for i := range n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if line != fmt.Sprint(i)+"\n" {
			t.Fatalf("line %d is %q", i, line)
		}
	}
	if line, _ := r.ReadString('\n'); line != "end\n" {
		t.Fatalf("last line %q", line)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("after close: %v, want EOF", err)
	}
}

// Loop.Run runs tasks on the loop in order; what they send is written, in
// order with sends made elsewhere.
func TestLoopRunTasks(t *testing.T) {
	conns := make(chan *connection.Conn, 8)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 2
	w.OnConnect = func(c *connection.Conn) { conns <- c }
	addr := start(t, w)
	var clients []*bufio.Reader
	var servers []*connection.Conn
	for range 6 {
		clients = append(clients, bufio.NewReader(dial(t, addr)))
		servers = append(servers, <-conns)
	}
	// One task per loop writes to that loop's connections.
	byLoop := map[*connection.Loop][]*connection.Conn{}
	for _, c := range servers {
		byLoop[c.Loop()] = append(byLoop[c.Loop()], c)
	}
	for i := range 50 {
		for l, cs := range byLoop {
			l.Run(func() {
				for _, c := range cs {
					c.Send(fmt.Sprint("msg ", i))
				}
			})
		}
	}
	for k, br := range clients {
		for i := range 50 {
			line, err := br.ReadString('\n')
			if err != nil || line != fmt.Sprintf("msg %d\n", i) {
				t.Fatalf("client %d, message %d: %q %v", k, i, line, err)
			}
		}
	}
	// A panicking task is logged; the loop goes on.
	servers[0].Loop().Run(func() { panic("task boom") })
	servers[0].Loop().Run(func() { servers[0].Send("after") })
	if line, _ := clients[0].ReadString('\n'); line != "after\n" {
		t.Fatalf("after a panicking task: %q", line)
	}
}

func TestWhenClosed(t *testing.T) {
	var order []string
	var mu sync.Mutex
	record := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	conns := make(chan *connection.Conn, 1)
	w := worker.New("text://127.0.0.1:0", text.Protocol())
	w.Count = 1
	w.OnConnect = func(c *connection.Conn) {
		c.WhenClosed(func() { record("first") })
		removed := c.WhenClosed(func() { record("removed") })
		c.WhenClosed(func() { record("second") })
		removed() // done before the connection is: it never runs
		removed() // and removing twice does nothing
		conns <- c
	}
	w.OnClose = func(c *connection.Conn) { record("OnClose") }
	addr := start(t, w)
	cl := dial(t, addr)
	sc := <-conns
	cl.Close()
	testutil.Eventually(t, "close callbacks", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == 3
	})
	if fmt.Sprint(order) != "[OnClose first second]" {
		t.Fatalf("order %v", order)
	}
	ran := false
	remove := sc.WhenClosed(func() { ran = true }) // already closed: runs at once
	if !ran {
		t.Fatal("WhenClosed on a closed connection did not run")
	}
	remove()
}
