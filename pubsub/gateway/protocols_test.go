package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	nethttp "net/http"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/pubsub/gateway"
	"github.com/workerman-go/workerman/worker"
)

// httpNode serves WebSockets (a handshake on /ws) and event streams (a
// GET of /events) on one Gateway; each connection is told its client id
// first.
func httpNode(t *testing.T, broker pubsub.Broker, p gateway.Presence) *gateway.Gateway {
	t.Helper()
	hub := pubsub.NewHub(pubsub.Options{Broker: broker})
	g, err := gateway.New(hub, gateway.Options{Presence: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(); hub.Close() })
	return g
}

func serveHTTP(t *testing.T, g *gateway.Gateway) string {
	t.Helper()
	wsOpts := websocket.Options{
		OnWebSocketConnected: func(c *connection.Conn, _ *http.Request) {
			id, err := g.Register(c)
			if err != nil {
				t.Errorf("register: %v", err)
				c.Close()
				return
			}
			c.Send(id)
		},
	}
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.Path == "/ws" && r.IsUpgrade("websocket"):
			websocket.Upgrade(c, r, wsOpts, func(c *connection.Conn, m websocket.Message) {
				// "bind <uid>" from the page.
				if uid, ok := bytes.CutPrefix(m.Payload, []byte("bind ")); ok {
					if err := g.BindUid(c, string(uid)); err != nil {
						c.Send("err " + err.Error())
						return
					}
					c.Send("bound")
				}
			})
		case r.Path == "/events":
			s, err := sse.Start(c, r, sse.Options{Heartbeat: -1})
			if err != nil {
				return
			}
			id, err := g.RegisterStream(s)
			if err != nil {
				t.Errorf("register: %v", err)
				c.Close()
				return
			}
			s.Send(sse.Event{Event: "id", Data: id})
		default:
			c.Send(http.NewResponse(404, "not found"))
		}
	}
	return testutil.Start(t, w)
}

// wsClient is a WebSocket client whose text messages arrive on a channel.
type wsClient struct {
	ac     *connection.AsyncConn[websocket.Message]
	msgs   chan string
	closed chan int
}

func dialWS(t *testing.T, url string) *wsClient {
	t.Helper()
	c := &wsClient{msgs: make(chan string, 64), closed: make(chan int, 1)}
	connected := make(chan struct{})
	ac, err := websocket.Dial(url, websocket.ClientOptions{
		OnWebSocketConnect: func(*connection.Conn) { close(connected) },
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(_ *connection.Conn, code int, _ string) {
			c.closed <- code
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ac.OnMessage = func(_ *connection.Conn, m websocket.Message) {
		if m.Opcode != websocket.OpText {
			t.Errorf("a %v message, want text", m.Opcode)
		}
		c.msgs <- string(m.Payload)
	}
	ac.Connect()
	t.Cleanup(ac.Destroy)
	testutil.Recv(t, connected, "the WebSocket handshake")
	c.ac = ac
	return c
}

// WebSocket connections on two processes: messages arrive as text frames.
func TestWebSocket(t *testing.T) {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{NoReplay: true})
	defer broker.Close()
	p := gateway.NewMemoryPresence()
	a, b := httpNode(t, broker, p), httpNode(t, broker, p)
	addrA := serveHTTP(t, a)
	serveHTTP(t, b)

	c := dialWS(t, "ws://"+addrA+"/ws")
	id := testutil.Recv(t, c.msgs, "the client id")
	if err := c.ac.Send("bind kate"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, c.msgs, "the bind's answer"); got != "bound" {
		t.Fatalf("bind: %q", got)
	}
	if err := b.SendToUid(bg, "kate", "héllo kate"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, c.msgs, "the message"); got != "héllo kate" {
		t.Fatalf("got %q", got)
	}
	if err := b.SendToAll(bg, "to all"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, c.msgs, "the broadcast"); got != "to all" {
		t.Fatalf("got %q", got)
	}
	// A client that is closed by id gets its final message, then the
	// close frame.
	if err := b.CloseClient(bg, id, "bye"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.Recv(t, c.msgs, "the final message"); got != "bye" {
		t.Fatalf("got %q", got)
	}
	testutil.Recv(t, c.closed, "the close")
	eventually(t, "IsUidOnline(kate)", false, func(ctx context.Context) (bool, error) { return b.IsUidOnline(ctx, "kate") })
}

// An event stream: each message is an event with the message as its data
// (c.Send of a string would write raw bytes into the stream).
func TestSSE(t *testing.T) {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{NoReplay: true})
	defer broker.Close()
	p := gateway.NewMemoryPresence()
	a, b := httpNode(t, broker, p), httpNode(t, broker, p)
	addrA := serveHTTP(t, a)

	conn := testutil.Dial(t, nil, addrA)
	io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n")
	resp, err := nethttp.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	dec := sse.NewDecoder(resp.Body, &sse.Parser{})
	next := func() sse.Event {
		t.Helper()
		e, err := dec.Next()
		if err != nil {
			t.Fatalf("reading an event: %v", err)
		}
		return e
	}
	first := next()
	if first.Event != "id" {
		t.Fatalf("first event %+v, want the client id", first)
	}
	id := first.Data
	if err := b.SendToClient(bg, id, "line 1\nline 2"); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Event != "" || e.Data != "line 1\nline 2" {
		t.Fatalf("got %+v", e)
	}
	if err := b.SendToAllAsync("to all"); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Data != "to all" {
		t.Fatalf("got %+v", e)
	}
	if err := b.CloseClient(bg, id, "bye"); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Data != "bye" {
		t.Fatalf("got %+v", e)
	}
	var ne net.Error
	if e, err := dec.Next(); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("after the close: %+v, %v, want the end of the stream", e, err)
	}
	eventually(t, "ClientCount", 0, a.ClientCount)
}
