package websocket_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
	"github.com/workerman-go/workerman/worker"
)

// closeStatus is the code and reason of a close frame's payload.
func closeStatus(payload []byte) (int, string) {
	code, reason, _ := wsframe.ParseClosePayload(payload)
	return code, reason
}

// The defaults are the ones the package documentation gives.
func TestKeepaliveDefaults(t *testing.T) {
	ping, idle := websocket.DefaultPingInterval, websocket.DefaultIdleTimeout
	if ping != 30*time.Second || idle != 60*time.Second {
		t.Fatalf("DefaultPingInterval %v, DefaultIdleTimeout %v; the doc says 30s and twice that, 60s", ping, idle)
	}
}

// pong answers a ping from the server, masked as a client must.
func (r *rawClient) pong(payload []byte) { r.frame(websocket.OpPong, true, payload, false) }

// A peer that answers pings for a while and then stops is closed with 1001,
// never before the idle timeout has passed since its last pong, and after
// about as many pings as fit in the idle timeout (counted in pings, the
// server's own clock, so that a slow machine cannot make the test fail).
func TestIdleTimeoutClosesAPeerThatStopsAnswering(t *testing.T) {
	const ping, idle = 40 * time.Millisecond, 200 * time.Millisecond
	addr := echoServer(t, websocket.Options{PingInterval: ping, IdleTimeout: idle}, 0)
	r, _ := dialRaw(t, addr, "/")
	var lastPong time.Time
	for range 5 {
		m, err := r.next()
		if err != nil || m.Opcode != websocket.OpPing {
			t.Fatalf("got %v %v, want a ping", m.Opcode, err)
		}
		r.pong(m.Payload)
		lastPong = time.Now()
	}
	// Silent from now on.
	pings := 0
	for {
		m, err := r.next()
		if err != nil {
			t.Fatalf("after %d unanswered pings: %v, want a close frame", pings, err)
		}
		if m.Opcode == websocket.OpPing {
			pings++
			continue
		}
		if m.Opcode != websocket.OpClose {
			t.Fatalf("got %v, want a ping or the close frame", m.Opcode)
		}
		if code, reason := closeStatus(m.Payload); code != websocket.CloseGoingAway {
			t.Fatalf("close %d %q, want 1001", code, reason)
		}
		break
	}
	if silent := time.Since(lastPong); silent < idle {
		t.Errorf("closed %v after the last pong, before the idle timeout (%v)", silent, idle)
	}
	// Pings go out every 40 ms (give or take a quarter of it), and the
	// connection is closed within a quarter of 40 ms of 200 ms of silence.
	if want := int(idle/(ping-ping/8)) + 1; pings > want {
		t.Errorf("%d unanswered pings before the close, want at most %d: closed late", pings, want)
	}
	r.frame(websocket.OpClose, true, nil, false)
	if _, err := r.br.ReadByte(); err == nil {
		t.Fatal("connection open after the closing handshake")
	}
}

// A peer that answers every ping stays open for many idle timeouts.
func TestPeerThatAnswersPingsStaysOpen(t *testing.T) {
	const ping, idle = 10 * time.Millisecond, 300 * time.Millisecond
	addr := echoServer(t, websocket.Options{PingInterval: ping, IdleTimeout: idle}, 0)
	r, _ := dialRaw(t, addr, "/")
	for i := range 100 { // 1 s: more than three idle timeouts
		m, err := r.next()
		if err != nil || m.Opcode != websocket.OpPing {
			t.Fatalf("frame %d: got %v %v, want a ping", i, m.Opcode, err)
		}
		r.pong(m.Payload)
	}
	r.frame(websocket.OpText, true, []byte("still here"), false)
	for {
		m, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if m.Opcode == websocket.OpPing {
			r.pong(m.Payload)
			continue
		}
		if m.Opcode != websocket.OpText || string(m.Payload) != "still here" {
			t.Fatalf("got %v %q, want the echo", m.Opcode, m.Payload)
		}
		break
	}
}

// Traffic of any kind keeps a connection open: messages from a peer that
// never answers pings, and the peer's own pings.
func TestAnyTrafficKeepsTheConnectionOpen(t *testing.T) {
	const idle = 200 * time.Millisecond
	addr := echoServer(t, websocket.Options{PingInterval: -1, IdleTimeout: idle}, 0)
	for _, op := range []websocket.Opcode{websocket.OpText, websocket.OpPing} {
		t.Run(op.String(), func(t *testing.T) {
			r, _ := dialRaw(t, addr, "/")
			start := time.Now()
			for i := 0; time.Since(start) < 3*idle; i++ {
				payload := []byte(fmt.Sprint(i))
				r.frame(op, true, payload, false)
				m, err := r.next() // the echo, or the pong
				if err == nil && m.Opcode == websocket.OpClose {
					code, reason := closeStatus(m.Payload)
					t.Fatalf("closed (%d %q) after %v of traffic", code, reason, time.Since(start))
				}
				if err != nil || string(m.Payload) != string(payload) {
					t.Fatalf("after %v: got %v %q %v", time.Since(start), m.Opcode, m.Payload, err)
				}
			}
		})
	}
}

// A negative PingInterval sends no pings, a negative IdleTimeout never
// closes; zero is the default: an IdleTimeout of twice the ping interval.
func TestKeepaliveOff(t *testing.T) {
	t.Run("no pings", func(t *testing.T) {
		addr := echoServer(t, websocket.Options{PingInterval: -1, IdleTimeout: 100 * time.Millisecond}, 0)
		r, _ := dialRaw(t, addr, "/")
		m, err := r.next()
		if err != nil || m.Opcode != websocket.OpClose {
			t.Fatalf("first frame %v %v, want the close frame (and no ping before it)", m.Opcode, err)
		}
		if code, _ := closeStatus(m.Payload); code != websocket.CloseGoingAway {
			t.Fatalf("close %d, want 1001", code)
		}
	})
	t.Run("no idle timeout", func(t *testing.T) {
		addr := echoServer(t, websocket.Options{PingInterval: 10 * time.Millisecond, IdleTimeout: -1}, 0)
		r, _ := dialRaw(t, addr, "/")
		for i := range 50 { // 500 ms without answering: 25 times the default idle timeout of 20 ms
			if m, err := r.next(); err != nil || m.Opcode != websocket.OpPing {
				t.Fatalf("frame %d: got %v %v, want a ping", i, m.Opcode, err)
			}
		}
	})
	t.Run("idle timeout twice the ping interval", func(t *testing.T) {
		addr := echoServer(t, websocket.Options{PingInterval: 20 * time.Millisecond, CloseTimeout: 50 * time.Millisecond}, 0)
		r, _ := dialRaw(t, addr, "/")
		r.expectClose(websocket.CloseGoingAway)
	})
	t.Run("both off", func(t *testing.T) {
		addr := echoServer(t, websocket.Options{PingInterval: -1, IdleTimeout: -1}, 0)
		r, _ := dialRaw(t, addr, "/")
		r.frame(websocket.OpText, true, []byte("hi"), false)
		if m, err := r.next(); err != nil || string(m.Payload) != "hi" {
			t.Fatalf("got %v %q %v, want the echo", m.Opcode, m.Payload, err)
		}
	})
}

// The pings and idle checks cost a connection no timer of its own: one
// loop timer visits all the connections of its loop.
func TestKeepaliveNeedsNoTimerPerConnection(t *testing.T) {
	timers := make(chan int, 10)
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{
		PingInterval: 10 * time.Millisecond, IdleTimeout: time.Minute}))
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		timers <- c.TimerCount()
		c.Send(websocket.Message{Opcode: m.Opcode, Payload: m.Payload})
	}
	addr := start(t, w)
	var rs []*rawClient
	for range 10 {
		r, _ := dialRaw(t, addr, "/")
		rs = append(rs, r)
	}
	for i, r := range rs {
		// Pinged, so the checks run.
		if m, err := r.next(); err != nil || m.Opcode != websocket.OpPing {
			t.Fatalf("client %d: got %v %v, want a ping", i, m.Opcode, err)
		}
		r.frame(websocket.OpText, true, []byte("x"), false)
		if n := testutil.Recv(t, timers, "TimerCount"); n != 0 {
			t.Fatalf("client %d: the connection has %d timers, want none", i, n)
		}
	}
}

// A client pings too, and closes (1001) a server that stops answering.
func TestClientIdleTimeout(t *testing.T) {
	var mu sync.Mutex
	var serverPings int
	answer := atomic.Bool{}
	answer.Store(true)
	serverClosed := make(chan string, 1)
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{
		PingInterval: -1, IdleTimeout: -1,
		Callbacks: websocket.Callbacks{
			OnWebSocketPing: func(c *connection.Conn, payload []byte) {
				mu.Lock()
				serverPings++
				mu.Unlock()
				if answer.Load() {
					c.Send(websocket.Message{Opcode: websocket.OpPong, Payload: payload})
				}
			},
			OnWebSocketClose: func(c *connection.Conn, code int, reason string) { serverClosed <- fmt.Sprint(code, " ", reason) },
		},
	}))
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		c.Send(websocket.Message{Opcode: m.Opcode, Payload: m.Payload})
	}
	addr := start(t, w)

	const ping, idle = 10 * time.Millisecond, 300 * time.Millisecond
	msgs := make(chan string, 1)
	clientClosed := make(chan string, 1)
	connected := make(chan struct{})
	ac, err := websocket.Dial("ws://"+addr+"/", websocket.ClientOptions{
		PingInterval: ping, IdleTimeout: idle,
		OnWebSocketConnect: func(*connection.Conn) { close(connected) },
		Callbacks: websocket.Callbacks{
			OnWebSocketClose: func(c *connection.Conn, code int, reason string) { clientClosed <- fmt.Sprint(code, " ", reason) },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ac.OnMessage = func(c *connection.Conn, m websocket.Message) { msgs <- string(m.Payload) }
	ac.Connect()
	t.Cleanup(ac.Destroy)
	testutil.Recv(t, connected, "the handshake")
	// Answered: 100 pings (1 s, three idle timeouts), and still open.
	testutil.Eventually(t, "100 pings from the client", func() bool { mu.Lock(); defer mu.Unlock(); return serverPings >= 100 })
	if err := ac.Send("still here"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, msgs, "the echo"); got != "still here" {
		t.Fatalf("echo %q", got)
	}
	// Unanswered: the client closes with 1001.
	answer.Store(false)
	if got := testutil.Recv(t, serverClosed, "the server's OnWebSocketClose"); got != "1001 idle timeout" {
		t.Errorf("the server saw close %s, want 1001 idle timeout from the client", got)
	}
	if got := testutil.Recv(t, clientClosed, "the client's OnWebSocketClose"); !strings.HasPrefix(got, "1001 ") {
		t.Errorf("client OnWebSocketClose(%s), want the echo of its 1001", got)
	}
}

// A connection upgraded on an http Worker pings and times out the same way.
func TestKeepaliveAfterUpgrade(t *testing.T) {
	opts := websocket.Options{PingInterval: 20 * time.Millisecond, IdleTimeout: 100 * time.Millisecond, CloseTimeout: 50 * time.Millisecond}
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		websocket.Upgrade(c, r, opts, func(c *connection.Conn, m websocket.Message) {})
	}
	addr := start(t, w)
	r, _ := dialRaw(t, addr, "/")
	if m, err := r.next(); err != nil || m.Opcode != websocket.OpPing {
		t.Fatalf("got %v %v, want a ping", m.Opcode, err)
	}
	r.expectClose(websocket.CloseGoingAway)
}
