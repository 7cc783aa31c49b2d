// Package interop tests the framework's WebSocket server against
// gorilla/websocket's client (v1.5.3, a dependency of the bench module
// only, so that the framework's go.mod needs none).
package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

// countingConn counts the bytes that cross a connection.
type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// prose returns n bytes of compressible text, different for each seed.
func prose(n, seed int) []byte {
	words := strings.Fields("the quick brown fox jumps over the lazy dog while workerman and gorilla talk")
	b := []byte(fmt.Sprint(seed, ": "))
	for i := seed; len(b) < n; i++ {
		b = append(b, words[(i*7)%len(words)]...)
		b = append(b, ' ')
	}
	return b[:n]
}

// gorilla's client with EnableCompression offers permessage-deflate with
// server_no_context_takeover and client_no_context_takeover, and fails the
// handshake ("invalid compression negotiation") unless the answer has both.
// A server configured for context takeover both ways must agree to the
// client's terms: then messages are compressed both ways, several in a row
// (which a context kept by either side against the terms would break).
func TestGorillaClientWithDeflate(t *testing.T) {
	closed := make(chan string, 1)
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{
		Deflate: &websocket.DeflateConfig{ServerContextTakeover: true, ClientContextTakeover: true},
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
			closed <- fmt.Sprint(code, " ", reason)
		}},
	}))
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		c.Send(websocket.Message{Opcode: m.Opcode, Payload: m.Payload})
	}
	addr := testutil.Start(t, w)

	var wire *countingConn
	d := gorilla.Dialer{
		EnableCompression: true,
		HandshakeTimeout:  testutil.Timeout,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			wire = &countingConn{Conn: c}
			return wire, nil
		},
	}
	c, resp, err := d.Dial("ws://"+addr+"/", nil)
	if err != nil {
		t.Fatalf("handshake: %v (Sec-WebSocket-Extensions: %q)", err, resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "permessage-deflate; server_no_context_takeover; client_no_context_takeover" {
		t.Errorf("Sec-WebSocket-Extensions: %q", ext)
	}
	c.SetReadDeadline(time.Now().Add(testutil.Timeout))
	c.SetWriteDeadline(time.Now().Add(testutil.Timeout))

	read0, written0 := wire.read.Load(), wire.written.Load()
	payload := 0
	for i := range 6 {
		typ := gorilla.TextMessage
		if i%3 == 2 {
			typ = gorilla.BinaryMessage
		}
		msg := prose(20000+i*1000, i)
		if err := c.WriteMessage(typ, msg); err != nil {
			t.Fatal(err)
		}
		gotType, got, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if gotType != typ || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: echo of type %d, %d bytes (%.30q); want type %d, %d bytes", i, gotType, len(got), got, typ, len(msg))
		}
		payload += len(msg)
	}
	read, written := int(wire.read.Load()-read0), int(wire.written.Load()-written0)
	t.Logf("%d bytes of messages each way: %d bytes written, %d read", payload, written, read)
	if written*4 > payload || read*4 > payload {
		t.Errorf("%d bytes of messages: %d bytes written, %d read: not compressed both ways", payload, written, read)
	}
	// A short message too (sent plain by the server).
	if err := c.WriteMessage(gorilla.TextMessage, []byte("tiny")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "tiny" {
		t.Fatalf("tiny: %q %v", got, err)
	}

	err = c.WriteMessage(gorilla.CloseMessage, gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, "bye"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(); !gorilla.IsCloseError(err, gorilla.CloseNormalClosure) {
		t.Errorf("after the close: %v, want the server's echo of 1000", err)
	}
	if got := testutil.Recv(t, closed, "OnWebSocketClose"); got != "1000 bye" {
		t.Errorf("OnWebSocketClose(%s), want 1000 bye", got)
	}
}
