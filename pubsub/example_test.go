package pubsub_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// A news feed over server-sent events: every stream subscribes to the
// topic, resuming from the browser's Last-Event-ID, and a POST publishes.
func ExampleHub() {
	hub := pubsub.NewHub(pubsub.Options{ReplayCount: 500, ReplayAge: 10 * time.Minute})

	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.AcceptsEventStream():
			s, err := sse.Start(c, r, sse.Options{})
			if err != nil {
				return
			}
			_, err = hub.Subscribe(c, "news", s.LastEventID(), pubsub.SSE)
			if errors.Is(err, pubsub.ErrGap) {
				s.Send(sse.Event{Event: "reload"}) // it missed too much: start over
			}
		case r.Method == "POST":
			m, _ := hub.Publish("news", pubsub.Message{Event: "news", Data: string(r.Body)})
			c.Send(fmt.Sprintf("published as %s", m.ID))
		default:
			c.Send("<script>new EventSource('/').addEventListener('news', e => console.log(e.data))</script>")
		}
	}
	_ = w // worker.RunAll() runs it
}

// Long polling on the same hub: GET /subscribe?cursor=... is answered as
// soon as a message after the cursor exists, or 204 after 25 s.
func ExampleLongPoll() {
	hub := pubsub.NewHub(pubsub.Options{})
	lp := &pubsub.LongPoll{Hub: hub, Timeout: 25 * time.Second}
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path == "/subscribe" {
			lp.Serve(c, r, "chat")
			return
		}
		if r.Path == "/publish" && r.Method == "POST" {
			hub.Publish("chat", pubsub.Message{Data: string(r.Body)})
		}
		c.Send("ok")
	}
	_ = w
}
