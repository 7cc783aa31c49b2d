package connection_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/frame"
	"github.com/workerman-go/workerman/worker"
)

// asyncEvents records an AsyncConn's callbacks on channels, so that a test
// waits for each with a deadline and never calls t from a callback (some run
// after the test, for a reconnect already scheduled). A callback never
// blocks: past 64 unread events of a kind, it drops them.
type asyncEvents struct {
	connects chan *connection.Conn
	messages chan string
	closes   chan *connection.Conn
	errs     chan error

	mu    sync.Mutex
	order []string // "connect", "message", "error", "close", in call order
}

func newAsyncEvents() *asyncEvents {
	return &asyncEvents{
		connects: make(chan *connection.Conn, 64),
		messages: make(chan string, 64),
		closes:   make(chan *connection.Conn, 64),
		errs:     make(chan error, 64),
	}
}

func (e *asyncEvents) note(what string) {
	e.mu.Lock()
	e.order = append(e.order, what)
	e.mu.Unlock()
}

func (e *asyncEvents) calls() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.order, ",")
}

// hook sets ac's callbacks to record into e. then, if not nil, runs after
// OnClose is recorded (to Reconnect, for instance).
func (e *asyncEvents) hook(ac *connection.AsyncConn[[]byte], then func(c *connection.Conn)) {
	ac.OnConnect = func(c *connection.Conn) {
		e.note("connect")
		put(e.connects, c)
	}
	ac.OnMessage = func(c *connection.Conn, msg []byte) {
		e.note("message")
		put(e.messages, string(msg))
	}
	ac.OnError = func(c *connection.Conn, err error) {
		e.note("error")
		put(e.errs, err)
	}
	ac.OnClose = func(c *connection.Conn) {
		e.note("close")
		put(e.closes, c)
		if then != nil {
			then(c)
		}
	}
}

// put sends v on ch unless ch is full: a callback must not block its loop.
func put[T any](ch chan<- T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// quiet checks that nothing arrives on ch for a while: for "this happens
// once" checks, not a measure of speed.
func quiet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	case <-time.After(100 * time.Millisecond):
	}
}

// startFrameEcho runs a frame:// server that answers every message m with
// "echo:"+m, and closes the connection after answering "bye".
func startFrameEcho(t *testing.T) (*worker.Worker[[]byte], string) {
	t.Helper()
	w := worker.New("frame://127.0.0.1:0", frame.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, msg []byte) {
		c.Send("echo:" + string(msg))
		if string(msg) == "bye" {
			c.Close()
		}
	}
	return w, start(t, w)
}

// newAsync prepares a frame:// AsyncConn to addr whose callbacks record into
// e, and closes it when the test ends. With reconnect, OnClose reconnects
// after 50ms until then.
func newAsync(t *testing.T, addr string, e *asyncEvents, reconnect bool) *connection.AsyncConn[[]byte] {
	t.Helper()
	ac, err := connection.NewAsync("frame://"+addr, frame.Protocol())
	if err != nil {
		t.Fatal(err)
	}
	stopped := new(atomic.Bool)
	var then func(*connection.Conn)
	if reconnect {
		then = func(*connection.Conn) {
			if !stopped.Load() {
				ac.Reconnect(50 * time.Millisecond)
			}
		}
	}
	e.hook(ac, then)
	t.Cleanup(func() {
		// Stop reconnecting, then close. A reconnect already scheduled may
		// still run once: it finds the flag set when it closes.
		stopped.Store(true)
		ac.Close()
	})
	return ac
}

func TestAsyncConnFrameEcho(t *testing.T) {
	w, addr := startFrameEcho(t)
	e := newAsyncEvents()
	ac := newAsync(t, addr, e, false)
	if ac.Status() != connection.StatusInitial {
		t.Fatalf("status before Connect: %v", ac.Status())
	}

	ac.Connect()
	// Sent while the connection is (almost certainly) still being made: it is
	// queued and written once the connection opens.
	if err := ac.Send("early"); err != nil {
		t.Fatalf("send while connecting: %v", err)
	}
	if s := ac.Status(); s != connection.StatusConnecting {
		t.Logf("status right after the early Send: %v (connected before it)", s)
	}

	if c := testutil.Recv(t, e.connects, "OnConnect"); c != ac.Conn {
		t.Fatalf("OnConnect got %p, want the AsyncConn's own *Conn %p", c, ac.Conn)
	}
	if got := testutil.Recv(t, e.messages, "echo of the early message"); got != "echo:early" {
		t.Fatalf("got %q, want %q", got, "echo:early")
	}
	if ac.Status() != connection.StatusEstablished {
		t.Fatalf("status: %v", ac.Status())
	}
	if got := ac.RemoteAddr().String(); got != addr {
		t.Fatalf("RemoteAddr %s, want %s", got, addr)
	}
	if err := ac.Send([]byte("second")); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, e.messages, "second echo"); got != "echo:second" {
		t.Fatalf("got %q", got)
	}
	testutil.Eventually(t, "the server's connection", func() bool { return w.Stats().Connections == 1 })

	ac.Close()
	testutil.Recv(t, e.closes, "OnClose")
	quiet(t, e.closes, "second OnClose")
	if ac.Status() != connection.StatusClosed {
		t.Fatalf("status after close: %v", ac.Status())
	}
	if err := ac.Send("late"); !errors.Is(err, connection.ErrClosed) {
		t.Fatalf("send after close: %v, want ErrClosed", err)
	}
	testutil.Eventually(t, "the server's side closed", func() bool { return w.Stats().Connections == 0 })
	if got, want := e.calls(), "connect,message,message,close"; got != want {
		t.Fatalf("callbacks %s, want %s", got, want)
	}
	select {
	case err := <-e.errs:
		t.Fatalf("OnError: %v", err)
	default:
	}
}

func TestAsyncConnConnectFailure(t *testing.T) {
	addr := testutil.RefusingAddr(t)
	e := newAsyncEvents()
	ac := newAsync(t, addr, e, false)
	var closeErr atomic.Value
	ac.OnClose = func(c *connection.Conn) {
		e.note("close")
		if err := c.CloseError(); err != nil {
			closeErr.Store(err)
		}
		put(e.closes, c)
	}
	ac.Connect()

	err := testutil.Recv(t, e.errs, "OnError")
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %q is not ECONNREFUSED", err)
	}
	if c := testutil.Recv(t, e.closes, "OnClose"); c != ac.Conn {
		t.Fatalf("OnClose got %p, want %p", c, ac.Conn)
	}
	quiet(t, e.closes, "second OnClose")
	if got := e.calls(); got != "error,close" {
		t.Fatalf("callbacks %s, want error,close", got)
	}
	if ce, _ := closeErr.Load().(error); ce == nil || !strings.Contains(ce.Error(), addr) {
		t.Errorf("CloseError in OnClose: %v", ce)
	}
	if ac.Status() != connection.StatusClosed {
		t.Fatalf("status: %v", ac.Status())
	}
}

func TestAsyncConnReconnectAfterServerCloses(t *testing.T) {
	w, addr := startFrameEcho(t)
	e := newAsyncEvents()
	ac := newAsync(t, addr, e, true)
	ac.Connect()

	first := testutil.Recv(t, e.connects, "first OnConnect")
	ac.Send("bye") // the server answers, then closes the connection
	if got := testutil.Recv(t, e.messages, "answer to bye"); got != "echo:bye" {
		t.Fatalf("got %q", got)
	}
	testutil.Recv(t, e.closes, "OnClose after the server closed")

	second := testutil.Recv(t, e.connects, "OnConnect after Reconnect")
	if second != first || second != ac.Conn {
		t.Fatalf("reconnected as %p, want the same *Conn %p", second, first)
	}
	if err := ac.Send("again"); err != nil {
		t.Fatalf("send after reconnecting: %v", err)
	}
	if got := testutil.Recv(t, e.messages, "echo after reconnecting"); got != "echo:again" {
		t.Fatalf("got %q", got)
	}
	testutil.Eventually(t, "one server connection", func() bool { return w.Stats().Connections == 1 })
	select {
	case err := <-e.errs:
		t.Fatalf("OnError: %v", err)
	default:
	}
}

func TestAsyncConnReconnectUntilServerComesUp(t *testing.T) {
	// Find a port a frame server can take, then stop that server.
	a := worker.New("frame://127.0.0.1:0", frame.Protocol())
	a.Count = 1
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := a.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	e := newAsyncEvents()
	ac := newAsync(t, addr, e, true)
	ac.Connect()
	// Refused, retried after 50ms, refused again: it keeps trying.
	for i := range 2 {
		if err := testutil.Recv(t, e.errs, "a refused connect"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("attempt %d: %v, want ECONNREFUSED", i, err)
		}
		testutil.Recv(t, e.closes, "OnClose after a refused connect")
	}

	b := worker.New("frame://"+addr, frame.Protocol())
	b.Count = 1
	b.OnMessage = func(c *connection.Conn, msg []byte) { c.Send("echo:" + string(msg)) }
	if err := b.Start(context.Background()); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			t.Skipf("port of %s taken meanwhile: %v", addr, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = b.Stop(ctx)
	})

	if c := testutil.Recv(t, e.connects, "OnConnect once the server is up"); c != ac.Conn {
		t.Fatalf("OnConnect got %p, want %p", c, ac.Conn)
	}
	ac.Send("up")
	if got := testutil.Recv(t, e.messages, "echo"); got != "echo:up" {
		t.Fatalf("got %q", got)
	}
}

func TestAsyncConnPanicInOnMessage(t *testing.T) {
	w, addr := startFrameEcho(t)
	bad, good := newAsyncEvents(), newAsyncEvents()
	acBad := newAsync(t, addr, bad, false)
	acGood := newAsync(t, addr, good, false)
	onMessage := acBad.OnMessage
	acBad.OnMessage = func(c *connection.Conn, msg []byte) {
		if string(msg) == "echo:boom" {
			panic("boom requested")
		}
		onMessage(c, msg)
	}
	acBad.Connect()
	acGood.Connect()
	testutil.Recv(t, bad.connects, "OnConnect (bad)")
	testutil.Recv(t, good.connects, "OnConnect (good)")
	testutil.Eventually(t, "two server connections", func() bool { return w.Stats().Connections == 2 })

	acBad.Send("boom")
	testutil.Recv(t, bad.closes, "OnClose after the panic")
	quiet(t, bad.closes, "second OnClose")
	testutil.Eventually(t, "the server saw one close", func() bool { return w.Stats().Connections == 1 })

	// The other client, its loop and the server are unaffected.
	acGood.Send("still here")
	if got := testutil.Recv(t, good.messages, "echo (good)"); got != "echo:still here" {
		t.Fatalf("got %q", got)
	}
	if acGood.Status() != connection.StatusEstablished {
		t.Fatalf("good client status %v", acGood.Status())
	}

	// And the panicking client can connect again.
	acBad.Connect()
	testutil.Recv(t, bad.connects, "OnConnect after Connect again")
	acBad.Send("fine")
	if got := testutil.Recv(t, bad.messages, "echo after reconnecting"); got != "echo:fine" {
		t.Fatalf("got %q", got)
	}
}

// The AsyncConn documentation promises that "sends made before the
// connection is established are queued"; that includes a Send between
// NewAsync and Connect, as in Workerman, where send() before connect()
// buffers the data.
func TestAsyncConnSendBeforeConnect(t *testing.T) {
	_, addr := startFrameEcho(t)
	e := newAsyncEvents()
	ac := newAsync(t, addr, e, false)
	if err := ac.Send("before Connect"); err != nil {
		t.Fatalf("send before Connect: %v", err)
	}
	ac.Connect()
	testutil.Recv(t, e.connects, "OnConnect")
	if got := testutil.Recv(t, e.messages, "echo"); got != "echo:before Connect" {
		t.Fatalf("got %q", got)
	}
}
