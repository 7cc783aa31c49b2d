// Command longpoll-chat is javascript.info's long-polling chat, on the same
// URLs and with the same page:
//
//   - GET /subscribe is held open (parked) until a message exists, then
//     answered with it; the page sends the next request at once.
//   - POST /publish delivers its body to every waiting subscriber.
//   - A subscriber whose request closes (the page went away) is dropped.
//
// It is built on pubsub.LongPoll, which adds what the original lacks: each
// answer carries a cursor (the X-Cursor header, the id of the message) that
// the page sends back with its next request (?cursor=...), so a message
// published between two requests is not lost. A parked request that sees no
// message for 25 seconds is answered 204 (below the timeouts of proxies,
// which would answer 502), and the page polls again.
//
// The chat keeps its last 100 messages for 10 minutes, for the pages that
// come back with a cursor (a page whose cursor is older gets 410, and goes
// on from the newest message). A message is at most 8 KiB (8192 bytes of
// body): a larger POST is answered 413, and its connection closed. So the
// whole history fits in its byte budget (100 messages of 8 KiB with their
// ids, 819 KiB): no message is dropped before its time for its size.
//
//	go run ./examples/longpoll-chat                    # http://127.0.0.1:8087/
//	go run ./examples/longpoll-chat -listen 0.0.0.0:9000 start
//	curl -i http://127.0.0.1:8087/subscribe            # waits...
//	curl -d hello http://127.0.0.1:8087/publish        # ...until this, in another terminal
package main

import (
	"context"
	"embed"
	"io/fs"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

//go:embed public
var public embed.FS

const (
	topic = "chat" // the chat's topic in the hub
	// keep is the history: the messages a page that comes back with its
	// cursor can get (for 10 minutes, pubsub.DefaultReplayAge).
	keep = 100
	// maxMessage bounds a message, in bytes: a larger POST is answered 413.
	maxMessage = 8 << 10
	// keepBytes is the history's byte budget: keep messages of maxMessage
	// bytes, each with its topic and id (64 bytes are more than enough)
	// and the broker's overhead.
	keepBytes = keep * (maxMessage + 64 + pubsub.MessageOverhead)
)

func main() {
	newServer("127.0.0.1:8087")
	worker.RunAll()
}

// newServer returns the worker, listening on hostport once started.
func newServer(hostport string) *worker.Worker[*http.Request] {
	return newChat(hostport, newHub(), pubsub.DefaultPollTimeout)
}

// newHub returns the chat's hub, with its history.
func newHub() *pubsub.Hub {
	return pubsub.NewHub(pubsub.Options{ReplayCount: keep, ReplayBytes: keepBytes})
}

// newChat is newServer with its hub, and the time a request stays parked
// before it is answered 204 (for the test).
func newChat(hostport string, hub *pubsub.Hub, timeout time.Duration) *worker.Worker[*http.Request] {
	pages, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the embedded folder is part of the program
	}
	files := http.NewFSServer(pages)
	poll := &pubsub.LongPoll{Hub: hub, Timeout: timeout}

	// A body over maxMessage is refused as soon as its Content-Length (or
	// its chunks) say so: 413, before it is read.
	w := worker.New("http://"+hostport, http.ProtocolWith(http.Config{Limits: http.Limits{MaxBodyBytes: maxMessage}}))
	w.Name = "longpoll-chat"
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.Path == "/subscribe":
			// A client wants the next message: the request is parked until
			// there is one after its cursor (at once if there already is).
			// Its subscription ends with the answer, or when the connection
			// closes.
			if err := poll.Serve(c, r, topic); err != nil {
				c.Close() // the connection is closing
			}
		case r.Path == "/publish" && r.Method == "POST":
			// Publish to everyone: each parked request is answered with it.
			if _, err := hub.Publish(context.Background(), topic, pubsub.Message{Data: string(r.Body)}); err != nil {
				c.Send(http.NewResponse(500, err.Error()))
				return
			}
			c.Send("ok")
		default:
			// The rest is static.
			files.Serve(c, r)
		}
	}
	return w
}
