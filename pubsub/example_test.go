package pubsub_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/workerman-go/workerman/connection"
	"github.com/workerman-go/workerman/protocols/http"
	"github.com/workerman-go/workerman/protocols/sse"
	"github.com/workerman-go/workerman/protocols/websocket"
	"github.com/workerman-go/workerman/pubsub"
	"github.com/workerman-go/workerman/worker"
)

// A news feed over server-sent events: every stream subscribes to the
// topic, resuming after the browser's Last-Event-ID, and a POST publishes.
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
			_, err = hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{
				After: s.LastEventID(), // what it missed is written first, then the live messages
				OnGap: func(err error) {
					s.Send(sse.Event{Event: "reload"}) // it missed too much: start over
				},
			})
			if err != nil {
				c.Close() // the connection is closing
			}
		case r.Method == "POST":
			m, err := hub.Publish(context.Background(), "news", pubsub.Message{Event: "news", Data: string(r.Body)})
			if err != nil {
				c.Send(http.NewResponse(500, err.Error()))
				return
			}
			c.Send(fmt.Sprintf("published as %s", m.ID))
		default:
			c.Send("<script>new EventSource('/').addEventListener('news', e => console.log(e.data))</script>")
		}
	}
	_ = w // worker.RunAll() runs it
}

// A function instead of a Format: a WebSocket client that wants JSON, say.
// The replayed messages come in one call, then each live batch.
func ExampleHub_SubscribeFunc() {
	hub := pubsub.NewHub(pubsub.Options{})
	onConnect := func(c *connection.Conn, lastID string) {
		_, err := hub.SubscribeFunc(c, "prices", func(ms []pubsub.Message) {
			for _, m := range ms { // read-only, valid during the call
				c.Send(m.Data)
			}
		}, pubsub.SubscribeOptions{After: lastID})
		if err != nil {
			c.Close()
		}
	}
	_ = onConnect
}

// Two Hubs (say, one per worker of a process) share a broker: what one
// publishes, the other's subscribers receive, and both read the same
// history.
func ExampleMemoryBroker() {
	broker := pubsub.NewMemoryBroker(pubsub.MemoryBrokerOptions{ReplayCount: 2})
	defer broker.Close()
	a := pubsub.NewHub(pubsub.Options{Broker: broker})
	defer a.Close()
	b := pubsub.NewHub(pubsub.Options{Broker: broker})
	defer b.Close()

	ctx := context.Background()
	first, _ := a.Publish(ctx, "t", pubsub.Message{Data: "one"})
	b.Publish(ctx, "t", pubsub.Message{Data: "two"})
	b.Publish(ctx, "t", pubsub.Message{Data: "three"})

	ms, _ := a.History(ctx, "t", "", 0) // the two kept
	for _, m := range ms {
		fmt.Println(m.Seq, m.Data)
	}
	// The message just before the oldest kept one is placed without being
	// kept: nothing is missing after it.
	ms, err := b.History(ctx, "t", first.ID, 0)
	fmt.Println(len(ms), err)
	// An id of another broker (an earlier run) cannot be placed.
	_, err = b.History(ctx, "t", "0-1", 0)
	fmt.Println(errors.Is(err, pubsub.ErrGap))
	// Output:
	// 2 two
	// 3 three
	// 2 <nil>
	// true
}

// Long polling on the same hub: GET /subscribe?cursor=... is answered as
// soon as a message after the cursor exists, or 204 after 25 s.
func ExampleLongPoll() {
	hub := pubsub.NewHub(pubsub.Options{})
	lp := &pubsub.LongPoll{Hub: hub, Timeout: 25 * time.Second}
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		if r.Path == "/subscribe" {
			if err := lp.Serve(c, r, "chat"); err != nil {
				c.Close()
			}
			return
		}
		if r.Path == "/publish" && r.Method == "POST" {
			if _, err := hub.Publish(context.Background(), "chat", pubsub.Message{Data: string(r.Body)}); err != nil {
				c.Send(http.NewResponse(500, err.Error()))
				return
			}
		}
		c.Send("ok")
	}
	_ = w
}

// A push server on one port, as the README shows it: pages, event streams,
// WebSockets and long polling share an http:// Worker and one Hub, so a
// message sent over a WebSocket reaches every client however it listens.
func Example_pushServer() {
	hub := pubsub.NewHub(pubsub.Options{}) // topics, history, fan-out one task per event loop
	longPoll := &pubsub.LongPoll{Hub: hub} // parked GETs, 25 s, with a cursor
	w := worker.New("http://0.0.0.0:8080", http.Protocol())
	w.OnMessage = func(c *connection.Conn, r *http.Request) {
		switch {
		case r.AcceptsEventStream(): // EventSource: Server-Sent Events
			s, err := sse.Start(c, r, sse.Options{}) // head, then a heartbeat every 15 s
			if err != nil {
				return // no stream: a HEAD request got the head, or the client left
			}
			_, err = hub.Subscribe(c, "news", pubsub.SSE, pubsub.SubscribeOptions{
				After: s.LastEventID(),                                   // what it missed, then live
				OnGap: func(error) { s.Send(sse.Event{Event: "reset"}) }, // too old to replay
			})
			if err != nil {
				s.Close() // the connection is closing
			}
		case r.IsUpgrade("websocket"): // WebSocket on the same URL
			err := websocket.Upgrade(c, r, websocket.Options{}, func(c *connection.Conn, m websocket.Message) {
				hub.Publish(context.Background(), "news", pubsub.Message{Data: string(m.Payload)}) // in memory: never blocks
			})
			if err == nil {
				hub.Subscribe(c, "news", pubsub.WebSocketText, pubsub.SubscribeOptions{})
			}
		case r.Path == "/subscribe": // long polling with a cursor
			if err := longPoll.Serve(c, r, "news"); err != nil {
				c.Close()
			}
		default:
			c.Send("<html>...</html>")
		}
	}
	worker.RunAll() // start | start -d | stop | status
}
