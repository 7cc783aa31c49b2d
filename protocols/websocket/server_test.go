package websocket_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
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
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

const testTimeout = testutil.Timeout

var start = testutil.Start

// echoServer is a websocket:// worker that echoes every message with its
// type.
func echoServer(t *testing.T, opts websocket.Options, maxPackage int) string {
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(opts))
	w.Count = 1
	w.MaxPackageSize = maxPackage
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		c.Send(websocket.Message{Opcode: m.Opcode, Payload: m.Payload})
	}
	return start(t, w)
}

// rawClient speaks WebSocket by hand over a TCP connection, to send what a
// well-behaved client would not.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	asm  *wsframe.Assembler
	buf  []byte
}

const handshakeKey = "dGhlIHNhbXBsZSBub25jZQ=="

func dialRaw(t *testing.T, addr, path string, extra ...string) (*rawClient, *nethttp.Response) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + handshakeKey + "\r\nSec-WebSocket-Version: 13\r\n"
	for _, f := range extra {
		req += f + "\r\n"
	}
	io.WriteString(c, req+"\r\n")
	br := bufio.NewReader(c)
	resp, err := nethttp.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		io.ReadAll(resp.Body)
	}
	return &rawClient{t: t, conn: c, br: br, asm: wsframe.NewAssembler(wsframe.Config{Role: wsframe.RoleClient, MaxMessageSize: 64 << 20})}, resp
}

// frame writes one frame, masked unless unmasked is set.
func (r *rawClient) frame(op websocket.Opcode, fin bool, payload []byte, unmasked bool) {
	h := wsframe.FrameHeader{Fin: fin, Opcode: op, Masked: !unmasked, MaskKey: [4]byte{1, 2, 3, 4}}
	if _, err := r.conn.Write(wsframe.AppendFrame(nil, h, payload)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawClient) write(b []byte) {
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// next reads the next message or control frame from the server.
func (r *rawClient) next() (websocket.Message, error) {
	for {
		if len(r.buf) > 0 {
			m, n, ok, err := r.asm.Next(r.buf)
			r.buf = r.buf[n:]
			if err != nil {
				return websocket.Message{}, err
			}
			if ok {
				return websocket.Message{Opcode: m.Opcode, Payload: bytes.Clone(m.Payload)}, nil
			}
			if n > 0 {
				continue
			}
		}
		chunk := make([]byte, 64<<10)
		n, err := r.br.Read(chunk)
		if err != nil {
			return websocket.Message{}, err
		}
		r.buf = append(r.buf, chunk[:n]...)
	}
}

// expectClose reads until the server's close frame and checks its code,
// then checks that the TCP connection ends.
func (r *rawClient) expectClose(code int) {
	r.t.Helper()
	for {
		m, err := r.next()
		if err != nil {
			r.t.Fatalf("waiting for close %d: %v", code, err)
		}
		if m.Opcode != websocket.OpClose {
			continue
		}
		got, reason, _ := wsframe.ParseClosePayload(m.Payload)
		if got != code {
			r.t.Fatalf("close code %d (%q), want %d", got, reason, code)
		}
		break
	}
	if _, err := r.br.ReadByte(); err == nil {
		r.t.Fatal("connection open after the close frame")
	}
}

func TestHandshakeAndEcho(t *testing.T) {
	addr := echoServer(t, websocket.Options{}, 0)
	r, resp := dialRaw(t, addr, "/chat")
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ||
		!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	r.frame(websocket.OpText, true, []byte("héllo"), false)
	if m, err := r.next(); err != nil || m.Opcode != websocket.OpText || string(m.Payload) != "héllo" {
		t.Fatalf("text echo: %v %q %v", m.Opcode, m.Payload, err)
	}
	r.frame(websocket.OpBinary, true, []byte{0, 1, 2, 255}, false)
	if m, err := r.next(); err != nil || m.Opcode != websocket.OpBinary || !bytes.Equal(m.Payload, []byte{0, 1, 2, 255}) {
		t.Fatalf("binary echo: %v %v %v", m.Opcode, m.Payload, err)
	}
	// Fragmented, with a ping in between: the pong comes first, then the
	// whole message.
	r.frame(websocket.OpText, false, []byte("frag"), false)
	r.frame(websocket.OpPing, true, []byte("p1"), false)
	r.frame(wsframe.OpContinuation, false, []byte("men"), false)
	r.frame(wsframe.OpContinuation, true, []byte("ted"), false)
	if m, err := r.next(); err != nil || m.Opcode != websocket.OpPong || string(m.Payload) != "p1" {
		t.Fatalf("pong: %v %q %v", m.Opcode, m.Payload, err)
	}
	if m, err := r.next(); err != nil || string(m.Payload) != "fragmented" {
		t.Fatalf("fragmented echo: %q %v", m.Payload, err)
	}
	// UTF-8 split across fragments is fine.
	euro := []byte("€")
	r.frame(websocket.OpText, false, euro[:1], false)
	r.frame(wsframe.OpContinuation, true, euro[1:], false)
	if m, err := r.next(); err != nil || string(m.Payload) != "€" {
		t.Fatalf("split UTF-8: %q %v", m.Payload, err)
	}
	// A close is answered with the same code, then the connection ends.
	r.frame(websocket.OpClose, true, wsframe.AppendClosePayload(nil, 1000, "done"), false)
	r.expectClose(1000)
}

func TestProtocolErrorsCloseWithTheirCode(t *testing.T) {
	addr := echoServer(t, websocket.Options{MaxMessageSize: 1000}, 0)
	for _, tc := range []struct {
		name string
		send func(r *rawClient)
		code int
	}{
		{"unmasked frame", func(r *rawClient) { r.frame(websocket.OpText, true, []byte("x"), true) }, 1002},
		{"RSV1 without deflate", func(r *rawClient) { r.write([]byte{0xC1, 0x80, 0, 0, 0, 0}) }, 1002},
		{"reserved opcode", func(r *rawClient) { r.write([]byte{0x83, 0x80, 0, 0, 0, 0}) }, 1002},
		{"fragmented ping", func(r *rawClient) { r.frame(websocket.OpPing, false, nil, false) }, 1002},
		{"long ping", func(r *rawClient) { r.write(append([]byte{0x89, 0xFE, 0, 126, 0, 0, 0, 0}, make([]byte, 126)...)) }, 1002},
		{"continuation first", func(r *rawClient) { r.frame(wsframe.OpContinuation, true, []byte("x"), false) }, 1002},
		{"invalid UTF-8", func(r *rawClient) { r.frame(websocket.OpText, true, []byte{0xff, 'a'}, false) }, 1007},
		{"UTF-8 broken across fragments", func(r *rawClient) {
			r.frame(websocket.OpText, false, []byte{0xe2, 0x82}, false)
			r.frame(wsframe.OpContinuation, true, []byte{'x'}, false)
		}, 1007},
		{"too big", func(r *rawClient) { r.frame(websocket.OpBinary, true, make([]byte, 1001), false) }, 1009},
		{"bad close code", func(r *rawClient) { r.frame(websocket.OpClose, true, []byte{0x03, 0xed}, false) }, 1002},
		{"one-byte close", func(r *rawClient) { r.frame(websocket.OpClose, true, []byte{3}, false) }, 1002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := dialRaw(t, addr, "/")
			tc.send(r)
			r.expectClose(tc.code)
		})
	}
}

func TestHandshakeRefusals(t *testing.T) {
	addr := echoServer(t, websocket.Options{}, 0)
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"plain GET", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
		{"version 8", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + handshakeKey + "\r\nSec-WebSocket-Version: 8\r\n\r\n", 426},
		{"short key", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc=\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"POST", "POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + handshakeKey + "\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, testTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(testTimeout))
			io.WriteString(c, tc.req)
			resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("%v %v, want %d", resp, err, tc.status)
			}
			if tc.status == 426 && resp.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("426 without Sec-WebSocket-Version: %v", resp.Header)
			}
		})
	}
}

// Same port: pages on the http worker, WebSocket on upgrade, with the
// OnWebSocketConnect hook checking the Origin and adding a field, and a
// subprotocol chosen.
func TestUpgradeOnHTTPWorker(t *testing.T) {
	var closes atomic.Int32
	opts := websocket.Options{
		Subprotocols: []string{"chat.v2", "chat.v1"},
		OnWebSocketConnect: func(c *connection.Conn, h *websocket.Handshake) error {
			if h.Request.Header.Get("Origin") != "http://good.example" {
				return errors.New("bad origin")
			}
			h.Header.Add("X-Hello", "yes")
			return nil
		},
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
			if code == 4000 && reason == "bye" {
				closes.Add(1)
			}
		}},
	}
	w := worker.New("http://127.0.0.1:0", http.Protocol())
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.IsUpgrade("websocket") {
			websocket.Upgrade(c, r, opts, func(c *connection.Conn, m websocket.Message) { c.Send("ws: " + string(m.Payload)) })
			return
		}
		c.Send("page")
	}
	addr := start(t, w)

	resp, err := (&nethttp.Client{Timeout: testTimeout}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "page" {
		t.Fatalf("page: %q", b)
	}
	if _, resp := dialRaw(t, addr, "/", "Origin: http://evil.example"); resp.StatusCode != 403 {
		t.Fatalf("bad origin: %d", resp.StatusCode)
	}
	r, resp := dialRaw(t, addr, "/", "Origin: http://good.example", "Sec-WebSocket-Protocol: chat.v1, chat.v2")
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Protocol") != "chat.v2" || resp.Header.Get("X-Hello") != "yes" {
		t.Fatalf("upgrade: %d %v", resp.StatusCode, resp.Header)
	}
	r.frame(websocket.OpText, true, []byte("hi"), false)
	if m, err := r.next(); err != nil || string(m.Payload) != "ws: hi" {
		t.Fatalf("after upgrade: %q %v", m.Payload, err)
	}
	r.frame(websocket.OpClose, true, wsframe.AppendClosePayload(nil, 4000, "bye"), false)
	r.expectClose(4000)
	testutil.Eventually(t, "OnWebSocketClose(4000, bye)", func() bool { return closes.Load() == 1 })
}

// Our client against our server: echo of text, binary and a 16 MiB
// message, compressed both ways, then a close started by the server.
func TestClientServerWithCompression(t *testing.T) {
	var serverConn atomic.Pointer[connection.Conn]
	opts := websocket.Options{Deflate: &websocket.DeflateConfig{}, CompressThreshold: 16}
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(opts))
	w.Count = 1
	w.MaxPackageSize = 32 << 20
	w.MaxSendBufferSize = 64 << 20
	w.OnConnect = func(c *connection.Conn) { serverConn.Store(c) }
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		c.Send(websocket.Message{Opcode: m.Opcode, Payload: m.Payload})
	}
	addr := start(t, w)
	raw, resp := dialRaw(t, addr, "/", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
	if !strings.HasPrefix(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("deflate not negotiated: %v", resp.Header)
	}
	raw.conn.Close()

	var mu sync.Mutex
	var got []websocket.Message
	var closeCode atomic.Int32
	ac, err := websocket.Dial("ws://"+addr+"/echo?x=1", websocket.ClientOptions{
		Deflate: &websocket.DeflateConfig{}, CompressThreshold: 16, MaxMessageSize: 32 << 20,
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(c *connection.Conn, code int, reason string) { closeCode.Store(int32(code)) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	ac.SetMaxSendBufferSize(64 << 20)
	ac.SetMaxPackageSize(32 << 20)
	ac.OnMessage = func(c *connection.Conn, m websocket.Message) {
		mu.Lock()
		got = append(got, websocket.Message{Opcode: m.Opcode, Payload: bytes.Clone(m.Payload)})
		mu.Unlock()
	}
	// Sent before the connection exists: written after the handshake.
	ac.Send(strings.Repeat("compress me ", 100))
	ac.Connect()
	defer ac.Destroy()
	ac.Send([]byte{1, 2, 3})
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	ac.Send(big)
	testutil.Eventually(t, "three echoes", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 3 })
	mu.Lock()
	if string(got[0].Payload) != strings.Repeat("compress me ", 100) || got[0].Opcode != websocket.OpText ||
		!bytes.Equal(got[1].Payload, []byte{1, 2, 3}) || !bytes.Equal(got[2].Payload, big) {
		t.Fatalf("echoes: %v %d bytes, %v, %d bytes", got[0].Opcode, len(got[0].Payload), got[1].Payload, len(got[2].Payload))
	}
	mu.Unlock()
	websocket.Close(serverConn.Load(), 1001, "going away")
	testutil.Eventually(t, "the client told of close 1001", func() bool { return closeCode.Load() == 1001 })
	testutil.Eventually(t, "the server connection closed", func() bool { return w.Stats().Connections == 0 })
}

func TestPingAndIdleTimeout(t *testing.T) {
	addr := echoServer(t, websocket.Options{PingInterval: 50 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}, 0)
	r, _ := dialRaw(t, addr, "/")
	m, err := r.next()
	if err != nil || m.Opcode != websocket.OpPing {
		t.Fatalf("first frame %v %v, want a ping", m.Opcode, err)
	}
	// Never answering: closed with 1001 after the idle timeout.
	r.expectClose(1001)
}

func TestSendTypes(t *testing.T) {
	done := make(chan error, 1)
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{}))
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		c.Send("text")
		websocket.SetBinary(c, true)
		c.Send("now binary")
		c.Send(websocket.Message{Opcode: websocket.OpPing, Payload: []byte("p")})
		err := c.Send(websocket.Message{Opcode: websocket.OpPing, Payload: make([]byte, 126)})
		done <- err
	}
	addr := start(t, w)
	r, _ := dialRaw(t, addr, "/")
	r.frame(websocket.OpText, true, []byte("go"), false)
	for _, want := range []string{"text/text", "binary/now binary", "ping/p"} {
		m, err := r.next()
		if err != nil || fmt.Sprintf("%v/%s", m.Opcode, m.Payload) != want {
			t.Fatalf("got %v/%s %v, want %s", m.Opcode, m.Payload, err, want)
		}
	}
	if err := <-done; err == nil {
		t.Fatal("a 126-byte ping was accepted")
	}
}

// Broadcast through pubsub: one frame encoding per loop, every client gets
// every message in order.
func TestBroadcastThroughPubSub(t *testing.T) {
	hub := pubsub.NewHub(pubsub.Options{})
	defer hub.Close()
	opts := websocket.Options{OnWebSocketConnected: func(c *connection.Conn, req *http.Request) {
		if _, err := hub.Subscribe(c, "room", pubsub.WebSocketText, pubsub.SubscribeOptions{}); err != nil {
			t.Errorf("subscribe: %v", err)
		}
	}}
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(opts))
	w.Count = 2
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {}
	addr := start(t, w)
	const clients, msgs = 40, 100
	var rs []*rawClient
	for range clients {
		r, _ := dialRaw(t, addr, "/")
		rs = append(rs, r)
	}
	testutil.Eventually(t, "every client subscribed", func() bool { return hub.Stats().Subscribers == clients })
	for i := range msgs {
		if _, err := hub.Publish(context.Background(), "room", pubsub.Message{Data: fmt.Sprint("msg ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for k, r := range rs {
		for i := range msgs {
			m, err := r.next()
			if err != nil || m.Opcode != websocket.OpText || string(m.Payload) != fmt.Sprint("msg ", i) {
				t.Fatalf("client %d, message %d: %v %q %v", k, i, m.Opcode, m.Payload, err)
			}
		}
	}
}

// A websocket:// worker can serve the page that opens the WebSocket on the
// same URL.
func TestOnHTTPRequestServesThePage(t *testing.T) {
	addr := echoServer(t, websocket.Options{OnHTTPRequest: func(c *connection.Conn, req *http.Request) *http.Response {
		if req.Path != "/" {
			return nil
		}
		return http.NewResponse(200, "<script>new WebSocket(location.href.replace('http','ws'))</script>")
	}}, 0)
	client := &nethttp.Client{Timeout: testTimeout}
	for path, want := range map[string]int{"/": 200, "/other": 404} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == 200 && !strings.Contains(string(b), "WebSocket") {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
	r, _ := dialRaw(t, addr, "/")
	r.frame(websocket.OpText, true, []byte("still a websocket"), false)
	if m, err := r.next(); err != nil || string(m.Payload) != "still a websocket" {
		t.Fatalf("%q %v", m.Payload, err)
	}
}
