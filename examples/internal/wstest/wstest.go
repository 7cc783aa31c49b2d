// Package wstest holds what the tests of the WebSocket examples share: start
// a server on a free loopback port, fetch its page, and talk to it with the
// framework's WebSocket client (websocket.Dial), whose messages and close
// arrive on channels read with bounded waits.
//
// Every wait is bounded by Timeout, so a broken example fails its test
// instead of hanging it.
package wstest

import (
	"bytes"
	"context"
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/websocket"
)

// Timeout bounds every wait of a test: a request, a message, a close.
const Timeout = testutil.Timeout

// Server is what Start needs of a worker (any protocol).
type Server interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Addr() string
}

// Start starts w (made by the example's newServer with "127.0.0.1:0") and
// stops it when the test ends; it returns "127.0.0.1:port".
func Start(t testing.TB, w Server) string {
	t.Helper()
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return w.Addr()
}

// Page fetches url as a browser fetches a page and checks that the answer
// is a 200 text/html page containing want; it returns the body.
func Page(t testing.TB, url, want string) string {
	t.Helper()
	client := &nethttp.Client{Timeout: Timeout, Transport: &nethttp.Transport{}}
	defer client.CloseIdleConnections()
	req, err := nethttp.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(b), want) {
		t.Fatalf("GET %s: %d %s, want a 200 text/html page containing %q; body:\n%s",
			url, resp.StatusCode, resp.Header.Get("Content-Type"), want, b)
	}
	return string(b)
}

// CloseEvent is how a connection ended, as OnWebSocketClose tells it (code
// CloseAbnormal when the TCP connection ended without a close frame).
type CloseEvent struct {
	Code   int
	Reason string
}

// Client is a WebSocket client connection made with websocket.Dial.
type Client struct {
	t         testing.TB
	ac        *connection.AsyncConn[websocket.Message]
	connected chan struct{}
	msgs      chan websocket.Message
	closed    chan CloseEvent
}

// Dial connects to url ("ws://host:port/path") and waits for the end of the
// opening handshake. The connection is destroyed when the test ends.
func Dial(t testing.TB, url string) *Client {
	t.Helper()
	c := &Client{
		t:         t,
		connected: make(chan struct{}),
		msgs:      make(chan websocket.Message, 1024),
		closed:    make(chan CloseEvent, 1),
	}
	ac, err := websocket.Dial(url, websocket.ClientOptions{
		OnWebSocketConnect: func(*connection.Conn) { close(c.connected) },
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(_ *connection.Conn, code int, reason string) {
			c.closed <- CloseEvent{code, reason}
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.ac = ac
	ac.OnMessage = func(_ *connection.Conn, m websocket.Message) {
		// The payload is valid only during the callback: keep a copy.
		select {
		case c.msgs <- websocket.Message{Opcode: m.Opcode, Payload: bytes.Clone(m.Payload)}:
		default:
			t.Errorf("%s: more than %d messages not read by the test", url, cap(c.msgs))
		}
	}
	failed := make(chan error, 1)
	ac.OnError = func(_ *connection.Conn, err error) {
		select {
		case failed <- err:
		default:
		}
	}
	ac.Connect()
	t.Cleanup(ac.Destroy)
	select {
	case <-c.connected:
	case err := <-failed:
		t.Fatalf("%s: %v", url, err)
	case <-time.After(Timeout):
		t.Fatalf("%s: no handshake after %v", url, Timeout)
	}
	return c
}

// Conn is the client's connection.
func (c *Client) Conn() *connection.Conn { return c.ac.Conn }

// Send sends a message: a string as a text frame, a []byte as a binary one.
func (c *Client) Send(msg any) {
	c.t.Helper()
	if err := c.ac.Send(msg); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// Next returns the next message; the end of the connection, or none within
// Timeout, fails the test.
func (c *Client) Next() websocket.Message {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case e := <-c.closed:
		c.closed <- e // for ExpectClose
		c.t.Fatalf("waiting for a message: the connection closed (%d %q)", e.Code, e.Reason)
	case <-time.After(Timeout):
		c.t.Fatalf("no message within %v", Timeout)
	}
	return websocket.Message{}
}

// Text returns the next message, which must be a text message.
func (c *Client) Text() string {
	c.t.Helper()
	m := c.Next()
	if m.Opcode != websocket.OpText {
		c.t.Fatalf("got a %v message %q, want text", m.Opcode, m.Payload)
	}
	return string(m.Payload)
}

// ExpectClose waits for the end of the connection and returns how it
// ended; a message received before it fails the test.
func (c *Client) ExpectClose() CloseEvent {
	c.t.Helper()
	select {
	case e := <-c.closed:
		// Messages and the close are told on the same loop, in order: any
		// message is in the channel by now.
		select {
		case m := <-c.msgs:
			c.t.Fatalf("unexpected %v message %q before the close", m.Opcode, m.Payload)
		default:
		}
		return e
	case m := <-c.msgs:
		c.t.Fatalf("unexpected %v message %q, want the close", m.Opcode, m.Payload)
	case <-time.After(Timeout):
		c.t.Fatalf("the connection still open after %v", Timeout)
	}
	return CloseEvent{}
}

// Close starts the closing handshake with code and reason.
func (c *Client) Close(code int, reason string) { websocket.Close(c.ac.Conn, code, reason) }
