package worker

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/websocket"
)

// drainServer is an HTTP Worker with an event stream (/sse), a WebSocket
// (/ws), a response that waits for release (/slow) and a plain answer.
func drainServer(t *testing.T, release <-chan struct{}) *Worker[*http.Request] {
	t.Helper()
	w := New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1 // one loop: a client that saw the drain knows every connection has been drained
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch r.Path {
		case "/sse":
			st, err := sse.Start(c, r, sse.Options{})
			if err == nil {
				_ = st.Send(sse.Event{ID: "1", Data: "hello"})
			}
		case "/ws":
			_ = websocket.Upgrade(c, r, websocket.Options{}, func(c *connection.Conn, m websocket.Message) { c.Send(m) })
		case "/slow":
			go func() {
				<-release
				_ = c.Send("slow done")
			}()
		default:
			c.Send("ok")
		}
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		defer cancel()
		_ = w.Stop(ctx)
	})
	return w
}

// rawClient is a connection of the test that reads with a deadline.
type rawClient struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr, request string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(testutil.Timeout))
	if request != "" {
		if _, err := io.WriteString(c, request); err != nil {
			t.Fatal(err)
		}
	}
	return &rawClient{Conn: c, r: bufio.NewReader(c)}
}

func get(path string, header ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + strings.Join(header, "") + "\r\n"
}

func (rc *rawClient) response(t *testing.T) *nethttp.Response {
	t.Helper()
	resp, err := nethttp.ReadResponse(rc.r, nil)
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	return resp
}

func (rc *rawClient) body(t *testing.T, resp *nethttp.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading a body: %v", err)
	}
	return string(b)
}

// expectEOF checks that the server closes the connection with nothing
// more to read.
func (rc *rawClient) expectEOF(t *testing.T, what string) {
	t.Helper()
	rest, err := io.ReadAll(rc.r)
	if err != nil {
		t.Fatalf("%s: reading to the end: %v", what, err)
	}
	if len(rest) > 0 {
		t.Fatalf("%s: %q before the end, want nothing", what, rest)
	}
}

// skipEvent reads the stream up to the end of its next event.
func (rc *rawClient) skipEvent(t *testing.T) {
	t.Helper()
	for {
		line, err := rc.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\n" {
			return
		}
	}
}

// inBackground runs stop (a stop or a hand-over) on a goroutine, bounded
// by testutil.Timeout, and returns where its result will be.
func inBackground(stop func(context.Context) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		defer cancel()
		done <- stop(ctx)
	}()
	return done
}

// wsCloseCode reads a server's close frame and returns its code.
func (rc *rawClient) wsCloseCode(t *testing.T) int {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(rc.r, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	if h[0] != 0x88 || h[1] < 2 || h[1] > 125 {
		t.Fatalf("frame header % x, want an unmasked final close frame", h)
	}
	p := make([]byte, h[1])
	if _, err := io.ReadFull(rc.r, p); err != nil {
		t.Fatalf("reading a close frame: %v", err)
	}
	// Answer it, as a client does, masked with a zero key.
	_, _ = rc.Write([]byte{0x88, 0x80, 0, 0, 0, 0})
	return int(binary.BigEndian.Uint16(p))
}

const wsHandshake = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

// A hand-over (reload, restart) ends each connection so that its client
// comes back to the new process: the event stream with a retry hint, the
// WebSocket with 1012, the response in progress with "Connection: close",
// an idle keep-alive connection after a grace in which a request is still
// answered.
func TestHandOverEndsConnectionsSoClientsComeBack(t *testing.T) {
	release := make(chan struct{})
	w := drainServer(t, release)
	addr := w.Addr()

	stream := dialRaw(t, addr, get("/sse", "Accept: text/event-stream\r\n"))
	if resp := stream.response(t); resp.StatusCode != 200 {
		t.Fatalf("event stream: status %d", resp.StatusCode)
	}
	ws := dialRaw(t, addr, get("/ws", wsHandshake))
	if resp := ws.response(t); resp.StatusCode != 101 {
		t.Fatalf("WebSocket handshake: status %d", resp.StatusCode)
	}
	idle := dialRaw(t, addr, get("/"))
	if resp := idle.response(t); idle.body(t, resp) != "ok" || resp.Close {
		t.Fatal("keep-alive request: unexpected answer")
	}
	late := dialRaw(t, addr, get("/"))
	if resp := late.response(t); late.body(t, resp) != "ok" {
		t.Fatal("keep-alive request: unexpected answer")
	}
	slow := dialRaw(t, addr, get("/slow"))
	// The event stream's first event tells that the server has its
	// connection; /slow's request is in by the time the others answered.
	stream.skipEvent(t)

	done := inBackground(w.handOver)

	// The stream: a retry hint between 1 and 2 s, then its end.
	rest, err := io.ReadAll(stream.r)
	if err != nil {
		t.Fatal(err)
	}
	ms, ok := strings.CutPrefix(string(rest), "retry: ")
	ms, ok2 := strings.CutSuffix(ms, "\n\n")
	n, err := strconv.Atoi(ms)
	if !ok || !ok2 || err != nil || n < 1000 || n >= 2000 {
		t.Fatalf("the stream ended with %q, want a retry hint in [1000, 2000) ms", rest)
	}
	if code := ws.wsCloseCode(t); code != websocket.CloseServiceRestart {
		t.Fatalf("WebSocket close code %d, want %d", code, websocket.CloseServiceRestart)
	}
	// Within the grace, a request on an idle connection is answered, and
	// closes it.
	if _, err := io.WriteString(late, get("/")); err != nil {
		t.Fatal(err)
	}
	resp := late.response(t)
	if late.body(t, resp) != "ok" || !resp.Close {
		t.Fatalf("a request during the grace: Close=%v, want an answer with Connection: close", resp.Close)
	}
	late.expectEOF(t, "the connection of a request answered during the grace")
	// The response in progress is finished, with Connection: close.
	close(release)
	resp = slow.response(t)
	if slow.body(t, resp) != "slow done" || !resp.Close {
		t.Fatalf("the response in progress: Close=%v, want Connection: close", resp.Close)
	}
	slow.expectEOF(t, "the connection of the response in progress")
	// The idle connection closes after the grace, without a word.
	idle.expectEOF(t, "the idle keep-alive connection")
	if err := <-done; err != nil {
		t.Fatalf("hand-over: %v", err)
	}
}

// A stop ends the connections for a server going away: the WebSocket with
// 1001, the event stream without a retry hint, an idle connection at once.
func TestStopEndsConnectionsForAServerGoingAway(t *testing.T) {
	w := drainServer(t, nil)
	addr := w.Addr()
	stream := dialRaw(t, addr, get("/sse", "Accept: text/event-stream\r\n"))
	stream.response(t)
	ws := dialRaw(t, addr, get("/ws", wsHandshake))
	ws.response(t)
	idle := dialRaw(t, addr, get("/"))
	idle.body(t, idle.response(t))
	stream.skipEvent(t)
	done := inBackground(w.Stop)
	stream.expectEOF(t, "the event stream")
	if code := ws.wsCloseCode(t); code != websocket.CloseGoingAway {
		t.Fatalf("WebSocket close code %d, want %d", code, websocket.CloseGoingAway)
	}
	idle.expectEOF(t, "the idle keep-alive connection")
	if err := <-done; err != nil {
		t.Fatalf("stop: %v", err)
	}
}
