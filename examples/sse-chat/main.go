// Command sse-chat is the chat of the SSE tutorial: messages go to the server
// with a POST and come back to every page over server-sent events.
//
//   - Each user gets a random colour, rgb(r,g,b), kept in the cookie
//     "author". The cookie is checked against a strict pattern: a value that
//     is not such a colour (a forged one, a script) gets a new colour.
//   - A message is sent with POST /send (form field "message"), HTML-escaped
//     against XSS, and published in a pubsub topic, which keeps the recent
//     messages.
//   - The page's stream, its own URL asked for with "Accept:
//     text/event-stream", gets every message the browser has not seen: a new
//     page gets the recent history, a page that reconnects (with the
//     Last-Event-ID of the last message it has) gets exactly the ones it
//     missed, replayed by the pubsub topic; if they are no longer kept, it
//     gets the history again, after an event "reset" that clears its list.
//   - The page queues outgoing messages and sends the next one only when the
//     previous one has completed, so they arrive in order.
//
// The limits: a message has at most 2000 characters (413 beyond, with a
// message that says so), and a POST /send at most 32 KiB of body (413
// before it is read). The topic keeps the last 100 messages for 24 hours,
// in a byte budget that holds 100 of the largest (2000 characters of 6
// bytes each once escaped, as a control character's \u0001 is: 12 KB of
// data, 1.2 MB for the history), so none is dropped before its time for its
// size; a connection's send buffer is 2 MiB, to take a new page's whole
// history at once.
//
// Each event's data is a JSON object, as in the tutorial:
//
//	id: k3x9a-7
//	data: {"author":"rgb(54,48,98)","content":"hello &lt;b&gt;"}
//
// Open http://127.0.0.1:8084/ in two browsers (or a normal and a private
// window, which have separate cookies).
//
//	go run ./examples/sse-chat                         # http://127.0.0.1:8084/
//	go run ./examples/sse-chat -listen 0.0.0.0:9000 start
package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/examples/internal/author"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

const (
	topic      = "chat"
	keep       = 100  // messages kept: the history a new page gets, and what a reconnecting one can replay
	maxMessage = 2000 // characters
	// maxBody bounds the body of a POST /send: more than the form field
	// of a message of maxMessage characters takes (24 KB: at most 12 bytes
	// each, a 4-byte character URL-encoded).
	maxBody = 32 << 10
	// maxData bounds an event's data: the JSON of a message of maxMessage
	// characters, each at most 6 bytes once escaped for HTML and JSON (a
	// quote's &#34; takes 5, a control character's \u0001 6), with the
	// longest author.
	maxData = 6*maxMessage + len(`{"author":"rgb(255,255,255)","content":""}`)
	// keepBytes is the history's byte budget: keep messages of maxData,
	// each with its topic and id (64 bytes are more than enough) and the
	// broker's overhead.
	keepBytes = keep * (maxData + 64 + pubsub.MessageOverhead)
)

func main() {
	newServer("127.0.0.1:8084")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	return newServerWith(hostport, newChat())
}

// newServerWith is newServer with its chat (for the test).
func newServerWith(hostport string, ch *chat) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)
	index, err := fs.ReadFile(pages, "index.html")
	if err != nil {
		panic(err)
	}

	w := worker.New("http://"+hostport, http.ProtocolWith(http.Config{Limits: http.Limits{MaxBodyBytes: maxBody}}))
	w.Name = "sse-chat"
	// The hub writes a new page's history at once: the send buffer holds
	// the largest (keepBytes, 1.2 MB), where the default 1 MiB would
	// disconnect the page as a slow one.
	w.MaxSendBufferSize = 2 << 20
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.Path == "/" && r.AcceptsEventStream():
			ch.stream(c, r)
		case r.Path == "/" && (r.Method == "GET" || r.Method == "HEAD"):
			// The page, served here rather than by the file server, to give
			// a new user a colour before the first message.
			resp := http.NewResponse(200, string(index)).WithHeader("Content-Type", "text/html; charset=utf-8")
			author.Color(r, resp)
			c.Send(resp)
		case r.Path == "/send":
			ch.send(c, r)
		default:
			files.Serve(c, r)
		}
	}
	return w
}

// message is the data of one event.
type message struct {
	Author  string `json:"author"`  // rgb(r,g,b)
	Content string `json:"content"` // HTML-escaped
}

// chat is the chat room: its pubsub topic, whose history (the last keep
// messages) a new page gets.
type chat struct {
	hub *pubsub.Hub
}

func newChat() *chat {
	return &chat{hub: pubsub.NewHub(pubsub.Options{ReplayCount: keep, ReplayAge: 24 * time.Hour, ReplayBytes: keepBytes})}
}

// stream starts the event stream of a page.
func (ch *chat) stream(c *connection.Conn, r *http.Request) {
	s, err := sse.Start(c, r, sse.Options{})
	if err != nil {
		return
	}
	ch.subscribe(c, s, s.LastEventID())
}

// subscribe writes the topic's messages to the stream: those after the id
// last (the last message the page has), or, for a new page (last == ""),
// the whole history after a "reset". Either way the hub writes the replayed
// messages, then the live ones, with none lost or repeated in between.
func (ch *chat) subscribe(c *connection.Conn, s *sse.Stream, last string) {
	opts := pubsub.SubscribeOptions{After: last, ReplayAll: last == ""}
	if last == "" {
		s.Send(sse.Event{Event: "reset"}) // the history follows
	}
	var sub *pubsub.Subscription
	if last != "" {
		// The messages after last are no longer kept (or last comes from an
		// earlier run of the server): the page starts over with the
		// history, on a subscription that replays it.
		opts.OnGap = func(error) {
			sub.Cancel()
			ch.subscribe(c, s, "")
		}
	}
	var err error
	if sub, err = ch.hub.Subscribe(c, topic, pubsub.SSE, opts); err != nil {
		c.Close() // the connection is closing
	}
}

// send takes a message: POST /send with the form field "message".
func (ch *chat) send(c *connection.Conn, r *http.Request) {
	if r.Method != "POST" {
		c.Send(http.NewResponse(405, "use POST\n").WithHeader("Allow", "POST"))
		return
	}
	form, err := r.PostForm()
	text := strings.TrimSpace(form.Get("message"))
	switch {
	case err != nil:
		c.Send(http.NewResponse(400, "bad form: "+err.Error()+"\n"))
		return
	case text == "":
		c.Send(http.NewResponse(400, "empty message\n"))
		return
	case utf8.RuneCountInString(text) > maxMessage:
		c.Send(http.NewResponse(413, fmt.Sprintf("a message has at most %d characters\n", maxMessage)))
		return
	}
	resp := http.NewResponse(200, "ok\n").WithHeader("Content-Type", "text/plain; charset=utf-8")
	m := message{
		Author:  author.Color(r, resp),
		Content: html.EscapeString(text), // against XSS: the page shows it as HTML
	}
	if err := ch.publish(m); err != nil {
		c.Send(http.NewResponse(500, err.Error()+"\n"))
		return
	}
	c.Send(resp)
}

// publish publishes m on the topic, which keeps it in its history.
func (ch *chat) publish(m message) error {
	// The content is escaped already: JSON need not escape it again
	// (\u0026lt; for &lt;), so the stream stays readable.
	var data bytes.Buffer
	enc := json.NewEncoder(&data)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return err
	}
	// The hub's broker gives the message its id, "<run>-<n>": the run
	// tells this run of the server from earlier ones, so a page that
	// reconnects with an id from an earlier run gets the history rather
	// than the messages after whichever message now has that number. The
	// data is a string of its own, of its size: the history keeps no
	// larger buffer alive.
	_, err := ch.hub.Publish(context.Background(), topic, pubsub.Message{Data: string(bytes.TrimSuffix(data.Bytes(), []byte("\n")))})
	return err
}
