package main

import (
	"bufio"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"testing"

	"github.com/workerman-go/workerman/examples/internal/wstest"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/protocols/websocket/wsframe"
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

// A client that sends a 1 MiB message and then 10,000 small ones at once,
// and reads everything, gets every reply: while the replies queued for it
// fill half its send buffer, the server stops reading it (back-pressure),
// and its buffer holds twice the largest reply. Before, the 1 MiB reply
// filled the 1 MiB default buffer and the replies to the next 500 to 1,100
// messages were dropped without a trace.
func TestEveryReplyToAFastSender(t *testing.T) {
	addr := wstest.Start(t, newServer("127.0.0.1:0"))
	c := testutil.Dial(t, nil, addr)
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	r := bufio.NewReaderSize(c, 64<<10)
	resp, err := nethttp.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}

	const small = 10000
	big := strings.Repeat("B", maxMessage)
	var frames []byte
	frame := func(payload string) {
		frames = wsframe.AppendFrame(frames, wsframe.FrameHeader{Fin: true, Opcode: wsframe.OpText, Masked: true, MaskKey: wsframe.NewMaskKey()}, payload)
	}
	frame(big)
	for i := range small {
		frame(fmt.Sprintf("m%d", i))
	}
	go c.Write(frames)

	asm := wsframe.NewAssembler(wsframe.Config{Role: wsframe.RoleClient, MaxMessageSize: 2 * maxMessage})
	buf := make([]byte, 0, 4<<20)
	next := func() string {
		for {
			if m, n, ok, err := asm.Next(buf); err != nil {
				t.Fatalf("reading a reply: %v", err)
			} else if n > 0 {
				s := string(m.Payload)
				buf = buf[:copy(buf, buf[n:])]
				if ok {
					return s
				}
				continue
			}
			p := make([]byte, 64<<10)
			n, err := r.Read(p)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			buf = append(buf, p[:n]...)
		}
	}
	if got := next(); got != "hello "+big {
		t.Fatalf("the big reply: %d bytes", len(got))
	}
	for i := range small {
		if got, want := next(), fmt.Sprintf("hello m%d", i); got != want {
			t.Fatalf("reply %d: %q, want %q", i, got, want)
		}
	}
}
