// Command ws-chat is javascript.info's WebSocket chat: every message a client
// sends goes to every connected client, cut to 50 characters. The page (the
// tutorial's form and message list) and the WebSocket share one URL: a
// WebSocket handshake on / gets the WebSocket, any other request the page.
//
// The tutorial's server, in Node.js with the ws package:
//
//	const clients = new Set();
//
//	function onSocketConnect(ws) {
//	  clients.add(ws);
//
//	  ws.on('message', function(message) {
//	    message = message.slice(0, 50); // max message length will be 50
//
//	    for(let client of clients) {
//	      client.send(message);
//	    }
//	  });
//
//	  ws.on('close', function() {
//	    clients.delete(ws);
//	  });
//	}
//
// Here the set of clients is a pubsub topic: a connection joins it when its
// handshake is done (clients.add) and leaves it when it closes
// (clients.delete: the subscription ends with the connection). A message is
// published once, and each event loop writes it to its own clients as one
// text frame encoded once, so a slow client cannot hold up the others (one
// that cannot keep up, its send buffer full, is disconnected). The cut is 50
// characters, never in the middle of a UTF-8 sequence.
//
// The limits: what is published is at most 50 characters (200 bytes), and
// the topic keeps no history (a client gets the messages sent while it is
// connected, as in the tutorial), so the chat keeps nothing of what it is
// sent. A message is read whole before it is cut, up to the WebSocket
// limit (the connection's MaxPackageSize, 10 MiB): a larger one closes the
// connection with 1009 (message too big).
//
//	go run ./examples/ws-chat                          # http://127.0.0.1:8090/
//	go run ./examples/ws-chat -listen 0.0.0.0:9000 start
package main

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

const (
	topic    = "chat" // the set of clients
	maxChars = 50     // message.slice(0, 50)
)

func main() {
	newServer("127.0.0.1:8090")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	return newChat(hostport, newHub())
}

// newHub returns the chat's hub.
func newHub() *pubsub.Hub {
	// No history: as in the tutorial, a client gets the messages sent while
	// it is connected.
	return pubsub.NewHub(pubsub.Options{NoReplay: true})
}

// newChat is newServer with its hub (for the test).
func newChat(hostport string, hub *pubsub.Hub) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)

	opts := websocket.Options{
		// clients.add(ws)
		OnWebSocketConnected: func(c *connection.Conn, req *http.Request) {
			if _, err := hub.Subscribe(c, topic, pubsub.WebSocketText, pubsub.SubscribeOptions{}); err != nil {
				c.Close() // the connection is already closing
			}
		},
	}
	onMessage := func(c *connection.Conn, m websocket.Message) {
		if m.Opcode != websocket.OpText {
			// The page sends text; the tutorial's server would relay bytes.
			websocket.Close(c, websocket.CloseUnsupportedData, "text messages only")
			return
		}
		// for (let client of clients) client.send(message), through the hub.
		// m.Payload is only valid during the callback: cut copies it.
		if _, err := hub.Publish(context.Background(), topic, pubsub.Message{Data: cut(m.Payload, maxChars)}); err != nil {
			slog.Error("ws-chat: publish", "err", err)
		}
	}

	w := worker.New("http://"+hostport, http.Protocol())
	w.Name = "ws-chat"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path == "/" && r.IsUpgrade("websocket") {
			// The handshake is answered (or refused with an HTTP error) and
			// the connection is a WebSocket from now on.
			websocket.Upgrade(c, r, opts, onMessage)
			return
		}
		files.Serve(c, r) // the page: index.html on /
	}
	return w
}

// cut returns the first n characters of the UTF-8 text p (all of it when it
// is shorter), as a new string. p is valid UTF-8 (the WebSocket layer checks
// every text message), so the cut falls between two characters.
func cut(p []byte, n int) string {
	chars := 0
	for i := range string(p) { // no copy: the compiler ranges over p itself
		if chars == n {
			return string(p[:i])
		}
		chars++
	}
	return string(p)
}
