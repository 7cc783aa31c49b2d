package websocket_test

import (
	"fmt"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

// A websocket:// worker, as Workerman's: every message is answered.
func ExampleProtocol() {
	w := worker.New("websocket://0.0.0.0:2000", websocket.Protocol(websocket.Options{
		PingInterval: 30 * time.Second,
		IdleTimeout:  90 * time.Second,
	}))
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		c.Send("hello " + string(m.Payload)) // a text frame
	}
	_ = w // worker.RunAll() runs it
}

// Pages and WebSockets on one port: the http worker upgrades the requests
// that ask for it.
func ExampleUpgrade() {
	opts := websocket.Options{
		Subprotocols: []string{"chat"},
		OnWebSocketConnect: func(c *connection.Conn, h *websocket.Handshake) error {
			if h.Request.Header.Get("Origin") != "https://example.com" {
				return fmt.Errorf("origin %q not allowed", h.Request.Header.Get("Origin"))
			}
			return nil
		},
	}
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.IsUpgrade("websocket") {
			websocket.Upgrade(c, r, opts, func(c *connection.Conn, m websocket.Message) {
				c.Send(m.Payload) // echo, as a binary frame
			})
			return
		}
		c.Send("<script>new WebSocket('wss://example.com/', 'chat')</script>")
	}
	_ = w
}

// A client connection with reconnection, as Workerman's
// AsyncTcpConnection('ws://...').
func ExampleDial() {
	ac, err := websocket.Dial("ws://127.0.0.1:2000/chat", websocket.ClientOptions{PingInterval: 30 * time.Second})
	if err != nil {
		panic(err)
	}
	ac.OnMessage = func(c *connection.Conn, m websocket.Message) { fmt.Println(string(m.Payload)) }
	ac.OnClose = func(c *connection.Conn) { ac.Reconnect(time.Second) }
	ac.Send("hello") // written once the handshake is done
	ac.Connect()
}

// Closing with a code, and learning how a connection ended: the close
// codes are this package's.
func ExampleClose() {
	w := worker.New("websocket://0.0.0.0:2000", websocket.Protocol(websocket.Options{
		Callbacks: websocket.Callbacks{
			OnWebSocketClose: func(c *connection.Conn, code int, reason string) {
				if code == websocket.CloseAbnormal {
					fmt.Println("connection lost without a close frame")
				}
			},
		},
	}))
	w.OnMessage = func(c *connection.Conn, m websocket.Message) {
		if m.Opcode != websocket.OpText {
			websocket.Close(c, websocket.CloseUnsupportedData, "text only")
			return
		}
		c.Send(m) // echoed with its opcode
	}
	_ = w
}
