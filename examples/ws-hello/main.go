// Command ws-hello is javascript.info's first WebSocket demo: the page opens
// a WebSocket and sends a name, the server answers "Hello from server,
// <name>" and closes the connection (1000) 5 seconds later, so the page sees
// open, message, close. The page and the WebSocket share one URL: a
// WebSocket handshake on / gets the WebSocket, any other request the page.
//
// The tutorial's server, in Node.js with the ws package:
//
//	function onConnect(ws) {
//	  ws.on('message', function (message) {
//	    let name = message.match(/([\p{Alpha}\p{M}\p{Nd}\p{Pc}\p{Join_C}]+)$/gu) || "Guest";
//	    ws.send(`Hello from server, ${name}!`);
//
//	    setTimeout(() => ws.close(1000, "Bye!"), 5000);
//	  });
//	}
//
// As there, the name is the last word of the message ("My name is John"
// gives John; a message without one gives Guest), and the answer is the
// tutorial's text: "Hello from server, John". Only the first message is
// answered (the tutorial's server would answer each one and start a close
// timer for each); the close timer belongs to the connection, so it goes
// away if the client leaves first.
//
//	go run ./examples/ws-hello                         # http://127.0.0.1:8091/
//	go run ./examples/ws-hello -listen 0.0.0.0:9000 start
package main

import (
	"embed"
	"io/fs"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

// closeDelay is the tutorial's setTimeout(..., 5000) (the test shortens it).
var closeDelay = 5 * time.Second

// maxName bounds the name in the answer, in characters.
const maxName = 50

func main() {
	newServer("127.0.0.1:8091")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)

	onMessage := func(c *connection.Conn, m websocket.Message) {
		if c.Data() != nil {
			return // answered already; the close is on its way
		}
		c.SetData(true)
		c.Send("Hello from server, " + name(m.Payload))
		// A connection timer: it runs on the connection's loop, and is
		// deleted if the connection closes first.
		c.After(closeDelay, func() { websocket.Close(c, websocket.CloseNormal, "Bye!") })
	}

	w := worker.New("http://"+hostport, http.Protocol())
	w.Name = "ws-hello"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path == "/" && r.IsUpgrade("websocket") {
			websocket.Upgrade(c, r, websocket.Options{}, onMessage)
			return
		}
		files.Serve(c, r) // the page: index.html on /
	}
	return w
}

// name returns the last word of the message (letters, marks, digits,
// connector punctuation and joiners, as the tutorial's pattern), ignoring
// spaces and punctuation after it; "Guest" when there is none. A long word
// is cut to maxName characters. A binary message is read as text too.
func name(msg []byte) string {
	s := strings.ToValidUTF8(string(msg), "\uFFFD")
	s = strings.TrimRightFunc(s, func(r rune) bool { return !wordRune(r) })
	start := len(s)
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:start])
		if !wordRune(r) {
			break
		}
		start -= size
	}
	word := s[start:]
	if word == "" {
		return "Guest"
	}
	if utf8.RuneCountInString(word) > maxName {
		word = string([]rune(word)[:maxName])
	}
	return word
}

// wordRune is the tutorial's [\p{Alpha}\p{M}\p{Nd}\p{Pc}\p{Join_C}].
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || r == '\u200c' || r == '\u200d'
}
