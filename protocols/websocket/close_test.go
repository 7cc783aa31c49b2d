package websocket_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/internal/testutil"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

// codesNotToSend are close codes that may not be sent in a close frame.
var codesNotToSend = []int{0, 999, 1004, websocket.CloseNoStatus, websocket.CloseAbnormal, websocket.CloseTLSHandshake,
	2999, 5000, -1, 1000 + 1<<16}

// Close with a code that may not be sent still sends a close frame, with
// no status (an empty payload), so that the peer sees a clean close (1005)
// and not a lost connection (1006).
func TestCloseWithACodeThatMayNotBeSent(t *testing.T) {
	closes := make(chan string, 2*len(codesNotToSend)) // never blocks the loop, even when the test fails
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
			closes <- fmt.Sprint(code, " ", reason)
		}},
	}))
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		code, _ := strconv.Atoi(string(m.Payload))
		websocket.Close(c, code, "a reason")
	}
	addr := start(t, w)
	for _, code := range codesNotToSend {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			r, _ := dialRaw(t, addr, "/")
			r.frame(websocket.OpText, true, []byte(strconv.Itoa(code)), false)
			m, err := r.next()
			if err != nil || m.Opcode != websocket.OpClose {
				t.Fatalf("got %v %v, want a close frame", m.Opcode, err)
			}
			if len(m.Payload) != 0 {
				t.Fatalf("close payload %q, want none", m.Payload)
			}
			// Answered: the server closes the connection at once.
			r.frame(websocket.OpClose, true, nil, false)
			if _, err := r.br.ReadByte(); err == nil {
				t.Fatal("connection open after the closing handshake")
			}
			if got := testutil.Recv(t, closes, "OnWebSocketClose"); got != "1005 " {
				t.Errorf("OnWebSocketClose(%s), want 1005 (the client's close without status)", got)
			}
		})
	}
}

// The same on a client.
func TestClientCloseWithACodeThatMayNotBeSent(t *testing.T) {
	serverCloses := make(chan string, 2*len(codesNotToSend))
	w := worker.New("websocket://127.0.0.1:0", websocket.Protocol(websocket.Options{
		Callbacks: websocket.Callbacks{OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
			serverCloses <- fmt.Sprint(code, " ", reason)
		}},
	}))
	w.Count = 1
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {}
	addr := start(t, w)
	for _, code := range codesNotToSend {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			clientCloses := make(chan string, 1)
			ac, err := websocket.Dial("ws://"+addr+"/", websocket.ClientOptions{
				OnWebSocketConnect: func(c *connection.Conn) { websocket.Close(c, code, "a reason") },
				Callbacks: websocket.Callbacks{OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
					clientCloses <- fmt.Sprint(code, " ", reason)
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			ac.Connect()
			t.Cleanup(ac.Destroy)
			if got := testutil.Recv(t, serverCloses, "the server's OnWebSocketClose"); got != "1005 " {
				t.Errorf("the server saw close %s, want 1005 (a close frame without status)", got)
			}
			if got := testutil.Recv(t, clientCloses, "the client's OnWebSocketClose"); got != "1005 " {
				t.Errorf("client OnWebSocketClose(%s), want the server's echo without status (1005)", got)
			}
		})
	}
}
