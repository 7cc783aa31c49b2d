package main

import (
	"io"
	nethttp "net/http"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/protocols/websocket"
)

func TestWorkermanWS(t *testing.T) {
	w := newServer("127.0.0.1:0")
	if w.Count != 4 {
		t.Fatalf("Count %d, want the manual's 4", w.Count)
	}
	addr := wstest.Start(t, w) // with its 4 loops

	// The page on /, through OnHTTPRequest; 404 elsewhere.
	wstest.Page(t, "http://"+addr+"/", "ws.send('tom')")
	resp, err := (&nethttp.Client{Timeout: wstest.Timeout}).Get("http://" + addr + "/other")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("GET /other: %d, want 404", resp.StatusCode)
	}

	// The WebSocket on the same URL: 'hello ' . $data, for several clients
	// (spread over the loops).
	var clients []*wstest.Client
	for range 8 {
		clients = append(clients, wstest.Dial(t, "ws://"+addr+"/"))
	}
	for i, c := range clients {
		for _, data := range []string{"tom", "", "héllo wörld", string(rune('a' + i))} {
			c.Send(data)
			if got := c.Text(); got != "hello "+data {
				t.Fatalf("client %d sent %q: got %q, want %q", i, data, got, "hello "+data)
			}
		}
	}

	// A binary message is answered in binary.
	c := clients[0]
	c.Send([]byte{0xff, 0x00})
	if m := c.Next(); m.Opcode != websocket.OpBinary || string(m.Payload) != "hello \xff\x00" {
		t.Fatalf("binary: %v %q", m.Opcode, m.Payload)
	}
	c.Close(websocket.CloseNormal, "")
	if e := c.ExpectClose(); e.Code != websocket.CloseNormal {
		t.Fatalf("close: %+v", e)
	}
}
